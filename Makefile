# Two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs, from pinned files, when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := npx --no-install cdk
ARGS ?=
BENCH_EVENTS ?= 1000000
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test lint format docs screenshot bench synth deploy destroy samples clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
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

test: $(VENV)/.installed node_modules/.installed .make/chromium lint
	$(PY) -m pytest -n 2

docs: $(VENV)/.installed
	$(PY) -m docs.render

screenshot: $(VENV)/.installed .make/chromium
	$(PY) -m docs.screenshot

bench: $(VENV)/.installed
	$(PY) -m bench --events $(BENCH_EVENTS)

samples: $(VENV)/.installed
	rm -rf samples/AWSLogs
	$(PY) -m samples.generate

synth: $(VENV)/.installed node_modules/.installed
	$(CDK) synth --no-notices $(ARGS)

deploy: $(VENV)/.installed node_modules/.installed
	$(CDK) deploy --no-notices $(ARGS)

destroy: $(VENV)/.installed node_modules/.installed
	$(CDK) destroy --no-notices $(ARGS)

clean:
	rm -rf $(VENV) node_modules .make cdk.out .pytest_cache .mypy_cache .ruff_cache
