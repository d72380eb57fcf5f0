# Two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs, from pinned files, when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CDK := npx --no-install cdk
ARGS ?=
BENCH_EVENTS ?= 1000000

export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test lint format docs bench synth deploy destroy samples clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(VENV)/.installed
	$(PY) -m detector scan samples/AWSLogs samples/access-logs/partitioned

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(VENV)/.installed node_modules/.installed lint
	$(PY) -m pytest -n 2

docs: $(VENV)/.installed
	$(PY) -m docs.render

bench: $(VENV)/.installed
	$(PY) -m bench --events $(BENCH_EVENTS)

samples: $(VENV)/.installed
	rm -rf samples/AWSLogs samples/access-logs
	$(PY) -m samples.generate
	$(PY) -m samples.access_logs

synth: $(VENV)/.installed node_modules/.installed
	$(CDK) synth --no-notices $(ARGS)

deploy: $(VENV)/.installed node_modules/.installed
	$(CDK) deploy --all --no-notices $(ARGS)

destroy: $(VENV)/.installed node_modules/.installed
	$(CDK) destroy --all --no-notices $(ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
