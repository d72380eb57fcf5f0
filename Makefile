# Two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs, from pinned files, when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
CDK := npx --no-install cdk
ARGS ?=
BENCH_EVENTS ?= 1000000
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test lint format docs screenshot bench synth checkov deploy destroy samples clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

# checkov pins its own boto3, so it gets a venv of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the HTML report's browser test and the README screenshot.
.make/chromium:
	@mkdir -p .make
	@if [ ! -x $(CHROMIUM) ]; then $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; fi
	touch $@

demo: $(VENV)/.installed
	$(PY) -m detector scan samples/AWSLogs

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed .make/chromium lint
	$(PY) -m pytest -n 2

docs: $(VENV)/.installed
	$(PY) -m docs.render

screenshot: $(VENV)/.installed .make/chromium
	$(PY) -m docs.screenshot

bench: $(VENV)/.installed
	$(PY) -m bench --events $(BENCH_EVENTS)

samples: $(VENV)/.installed
	rm -rf samples/AWSLogs samples/access-logs
	$(PY) -m samples.generate
	$(PY) -m samples.access_logs

synth: $(VENV)/.installed node_modules/.installed
	$(CDK) synth --no-notices $(ARGS)

# What checkov finds in the synthesized stack; tests/test_checkov.py holds each failure to its README justification.
checkov: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed
	$(CDK) synth --no-notices --quiet $(ARGS) > /dev/null
	$(CHECKOV_VENV)/bin/checkov -d cdk.out --framework cloudformation --skip-download --compact --soft-fail
	$(PY) -m pytest -q tests/test_checkov.py

deploy: $(VENV)/.installed node_modules/.installed
	$(CDK) deploy --all --no-notices $(ARGS)

destroy: $(VENV)/.installed node_modules/.installed
	$(CDK) destroy --all --no-notices $(ARGS)

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules .make cdk.out .pytest_cache .mypy_cache .ruff_cache
