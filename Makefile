# Two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs, from pinned files, when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
DEMO_VENV := .venv-demo
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
CDK := npx --no-install cdk
ARGS ?=
BENCH_EVENTS ?= 1000000
PIP_INSTALL := pip install --quiet --disable-pip-version-check --constraint constraints.txt
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: install demo test lint format docs screenshot bench synth checkov deploy destroy samples lock clean

# Everything: the scan, the CDK app (.[cdk]) and the test tools (.[dev]), the checkout installed in place.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/$(PIP_INSTALL) --editable '.[cdk,dev]'
	touch $@

# Only what scanning needs, in a venv of its own, so the demo's first run installs a few packages, not the CDK.
$(DEMO_VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/$(PIP_INSTALL) --editable .
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

demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/s3-legacy-clients scan samples/AWSLogs samples/access-logs/partitioned

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The four installs are independent, so they run side by side: on a fresh machine most of their time is waiting.
install:
	@$(MAKE) --no-print-directory -j4 $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed .make/chromium

test: install lint
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

# constraints.txt again from pyproject.toml's ranges: the newest versions they allow, every transitive one pinned.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --disable-pip-version-check '.[cdk,dev]'
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/pip freeze --exclude legacy-s3-client-detector; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) $(DEMO_VENV) $(CHECKOV_VENV) node_modules .make cdk.out .pytest_cache .mypy_cache .ruff_cache
