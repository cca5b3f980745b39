# Rapport: `make run` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SMTP_PORT ?= 2525
PYTHON ?= python3

.PHONY: run test test-sqlite test-postgres bench lint system-deps messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

## run: install, migrate, load demo data into an empty database, serve on http://127.0.0.1:$(PORT) with a worker and an SMTP listener on port $(SMTP_PORT)
run: $(VENV)/.installed
	$(BIN)/rapport migrate --noinput -v0
	$(BIN)/rapport demo --if-empty --customers 2000 --events-per-customer 8
	$(BIN)/rapport serve --port $(PORT) --smtp-port $(SMTP_PORT)

## test: install dev tools, PostgreSQL and Chromium from Debian, run the suite on SQLite and PostgreSQL
test: $(VENV)/.installed-dev system-deps
	$(BIN)/ruff check rapport
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: $(VENV)/.installed-dev
	$(BIN)/pytest -q

test-postgres: $(VENV)/.installed-dev
	scripts/with-postgres $(BIN)/pytest -q

system-deps:
	scripts/system-deps

## bench: the benchmarks of docs/benchmarks.md (1,000,000 customers; takes a while)
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run

# The benchmarks compare the customer value models with lifetimes (bench extra).
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev,bench]"
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check rapport bench

## messages: refresh the German and English catalogues after changing user-facing strings
messages: $(VENV)/.installed-dev
	cd rapport && ../$(BIN)/rapport makemessages -l de -l en --no-obsolete --ignore=static/*
	cd rapport && ../$(BIN)/rapport compilemessages

clean:
	rm -rf $(VENV) var
