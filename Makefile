# Kringloop. `make demo` runs the whole product on this machine; `make test` runs the tests.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PORT ?= 8000
export PORT

.PHONY: demo test lint fmt install install-dev assets bench chaos e2e clean help messages

help:
	@echo "make demo   - install everything and run Kringloop on http://127.0.0.1:$(PORT) (SQLite, file broker, outbox)"
	@echo "make test   - lint, then run the test suite against PostgreSQL and Redis on localhost"
	@echo "make lint   - ruff (lint and format check) and import-linter (the layers)"
	@echo "make fmt    - fix what ruff can fix and format the tree"
	@echo "make bench  - performance benchmark (PostgreSQL, Redis, gunicorn, Celery)"
	@echo "make chaos  - fault-injection run (kills the worker and restarts Redis under load)"

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

demo: install
	KRINGLOOP_ENV=development $(PY) manage.py migrate --noinput
	KRINGLOOP_ENV=development $(PY) manage.py seed_demo
	KRINGLOOP_ENV=development $(PY) manage.py rundemo --port $(PORT)

test: install-dev lint
	KRINGLOOP_ENV=test KRINGLOOP_REQUIRE_BROWSER=1 $(PY) -m pytest $(PYTEST_ARGS)

# Lint, format check and the layer contract (pyproject.toml); `make fmt` fixes what can be fixed.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install-dev
	$(PY) -m tests.load.bench $(BENCH_ARGS)

chaos: install-dev
	$(PY) -m tests.load.chaos

clean:
	rm -rf .demo staticfiles .pytest_cache

messages: install
	$(PY) locale/fill.py
