# Kringloop. `make demo` runs the whole product on this machine; `make test` runs the tests.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PORT ?= 8000
export PORT

.PHONY: demo test test-postgres test-sqlite lint fmt install install-dev assets bench bench-10m bench-replica chaos soak restore-drill e2e clean help messages widget

help:
	@echo "make demo   - install everything and run Kringloop on http://127.0.0.1:$(PORT) (SQLite, file broker, outbox)"
	@echo "make test   - lint, then the test suite on PostgreSQL and on SQLite side by side (Redis on localhost)"
	@echo "make lint   - ruff (lint and format check) and import-linter (the layers)"
	@echo "make fmt    - fix what ruff can fix and format the tree"
	@echo "make bench  - performance benchmark (PostgreSQL, Redis, gunicorn, Celery); BENCH_ARGS=--replica adds a replica"
	@echo "make bench-10m - make bench at 1M answers, then the reads again at 10M in the same run"
	@echo "make bench-replica - the dashboards read from a real streaming replica (scratch primary and replica)"
	@echo "make soak   - $(SOAK_MINUTES) minutes of steady traffic, watching memory and connections (SOAK_MINUTES)"
	@echo "make restore-drill - dump a populated database, restore it, check it and compare"
	@echo "make chaos  - every pipeline under load while the worker, beat, Redis and PostgreSQL fail (CHAOS_ARGS)"
	@echo "make widget - build the website widget (static_src/widget/widget.js -> static/widget/v1.js, esbuild)"

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

# The whole suite runs twice, side by side: on PostgreSQL (production's database, DATABASE_URL or
# settings' default) and on SQLite (the demo's, with its options, in a scratch folder). Each run needs
# a Redis database of its own (the broker queue is shared by name). Tests that need PostgreSQL are
# marked `postgres` and skipped, with their reason, on SQLite. Tests marked `once` run in a process
# and database of their own (the demo's set-up; small `make bench`, `make chaos` and `make restore-drill` smokes, which need
# the PostgreSQL server, LOAD_PG_URL): make test runs them in the SQLite run only, the shorter one.
# Browser tests fail without Chromium. `make test-postgres` or `make test-sqlite` runs one suite, with
# the `once` tests; PYTEST_ARGS is passed to pytest.
REDIS_URL ?= redis://localhost:6379/0
SQLITE_REDIS_URL ?= $(patsubst %/0,%/1,$(REDIS_URL))
LOAD_PG_URL ?= $(if $(filter postgres%,$(DATABASE_URL)),$(dir $(DATABASE_URL))postgres,postgres://postgres@localhost:5432/postgres)
ONCE_ELSEWHERE ?= 0
PYTEST := KRINGLOOP_ENV=test KRINGLOOP_REQUIRE_BROWSER=1 $(PY) -m pytest -p no:cacheprovider

test: install-dev lint
	@if [ "$(SQLITE_REDIS_URL)" = "$(REDIS_URL)" ]; then \
	  echo "make test: set SQLITE_REDIS_URL to a Redis database other than REDIS_URL ($(REDIS_URL))" >&2; exit 2; fi
	$(MAKE) --no-print-directory -j2 --output-sync=target test-postgres test-sqlite ONCE_ELSEWHERE=1

test-postgres: install-dev
	@echo "=== The suite on PostgreSQL ($${DATABASE_URL:-the default in config/settings/database.py}) ==="
	REDIS_URL=$(REDIS_URL) KRINGLOOP_ONCE_ELSEWHERE=$(ONCE_ELSEWHERE) $(PYTEST) $(PYTEST_ARGS)

test-sqlite: install-dev
	@echo "=== The suite on SQLite (the demo's database) ==="
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	echo "DATABASE_URL=sqlite:///$$dir/kringloop.sqlite3 REDIS_URL=$(SQLITE_REDIS_URL)"; \
	DATABASE_URL=sqlite:///$$dir/kringloop.sqlite3 REDIS_URL=$(SQLITE_REDIS_URL) LOAD_PG_URL=$(LOAD_PG_URL) \
	  $(PYTEST) $(PYTEST_ARGS)

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

# Every phase at 1M answers, then the reads again after growing to 10M (tests/load/bench_scale.py).
bench-10m: install-dev
	$(PY) -m tests.load.bench --responses 10000000 $(BENCH_ARGS)

# `make bench BENCH_ARGS=--replica` runs every phase on a scratch primary of its own and adds the replica
# phase (tests/load/bench_replica.py: pg_basebackup into a scratch folder, pg_ctl on another port, both
# removed at the end); this target runs that phase alone.
bench-replica: install-dev
	$(PY) -m tests.load.bench --phases replica $(BENCH_ARGS)

chaos: install-dev
	$(PY) -m tests.load.chaos $(CHAOS_ARGS)

# The website and in-app widget: our own source, minified by esbuild (package.json) into the static file
# served at /widget/v1.js. The built file is committed (tests/test_widget.py checks it matches the source).
ESBUILD ?= node_modules/.bin/esbuild
widget: node_modules/.installed
	$(ESBUILD) static_src/widget/widget.js --minify --target=es2017 --legal-comments=none --outfile=static/widget/v1.js
	@echo "widget: $$(gzip -9 -c static/widget/v1.js | wc -c) bytes gzipped (goal < 15000)"

# Steady mixed traffic for SOAK_MINUTES (default 30), sampling every process's memory and connections each
# minute; the last line is JSON with growth per hour, lost and duplicates (README: Reliability).
SOAK_MINUTES ?= 30
soak: install-dev
	$(PY) -m tests.load.soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

# A backup is only as good as its restore: dump a populated scratch database with pg_dump -Fc, restore it
# into a new one, migrate --check, check_data, compare row counts and dashboard figures (README: Backup and
# restore). DRILL_ARGS, e.g. --responses 100000.
restore-drill: install-dev
	$(PY) -m tests.load.restore_drill $(DRILL_ARGS)

clean:
	rm -rf .demo staticfiles .pytest_cache

messages: install
	$(PY) locale/fill.py
