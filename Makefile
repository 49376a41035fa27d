# Rampart: everything starts from plain python3.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test test-postgres check lint format bench bench-compare clean deps deps-dev system-deps

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.deps: requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	touch $@

$(VENV)/.deps-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.deps

deps: $(VENV)/.deps
deps-dev: $(VENV)/.deps-dev

system-deps:
	@bash scripts/system-deps

## Run Rampart with demo data: web on http://$(HOST):$(PORT)/ and the scheduler.
## DEBUG is off, as in production: refused or missing pages are Rampart's own 403/404/500
## pages (never Django's debug page listing every URL), and whitenoise serves the static
## files collected under var/. Plain HTTP on this machine, so cookies are not "Secure".
DEMO_ENV = RAMPART_DEBUG=0 RAMPART_SECURE_COOKIES=0 RAMPART_ALLOWED_HOSTS=$(HOST),127.0.0.1,localhost
run: deps
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input -v 0
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --force
	@echo "Rampart on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the scheduler)"
	@$(DEMO_ENV) BIN=$(BIN) scripts/run-demo $(HOST):$(PORT)

## The whole test suite (SQLite unless DATABASE_URL is set).
test: deps-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: deps-dev system-deps
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rampart} $(BIN)/python -m pytest $(PYTEST_ARGS)

## Lint, formatting, types, migrations, deployment checks.
check: deps-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run
	RAMPART_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9') \
	RAMPART_ALLOWED_HOSTS=rampart.example.org RAMPART_SSL_REDIRECT=1 RAMPART_DEBUG=0 \
	RAMPART_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py check --deploy --fail-level WARNING

format: deps-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks on SQLite and PostgreSQL; figures go to benchmarks/RESULTS.md.
bench: deps-dev
	$(BIN)/python benchmarks/run.py

## This tree against an earlier revision (BASE=4fc24c1 by default), both servers asked in turn.
bench-compare: deps-dev
	$(BIN)/python benchmarks/compare.py $(if $(BASE),--base $(BASE))

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
