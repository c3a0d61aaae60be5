# member_migration: `make demo` runs the whole job, `make test` runs every test.
# Both set themselves up (virtual environment, install, profile, warehouse).
# With PGHOST set, every step uses that PostgreSQL instead of the embedded one.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MM := $(BIN)/member-migration
DEMO_DIR ?= .demo
DEMO_PERSONS ?= 100000
DEMO_SEED ?= 42
PYTEST_ARGS ?=
# pytest workers (pytest-xdist), one test module per worker: each worker has its own server.
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint fmt pytest docs docs-serve report bench clean help

help:
	@echo "make setup   virtual environment, install, profiles.yml"
	@echo "make demo    warehouse + generate + load + dbt build + docs + report"
	@echo "make test    lint + every test (pytest drives dbt against a real PostgreSQL)"
	@echo "make lint    ruff (lint + format check) and sqlfluff"
	@echo "make bench   time load + dbt build at 100k and 1M persons against the floor and Splink"
	@echo "make docs    generate the dbt docs site and serve it on 127.0.0.1:8080"
	@echo "make clean   stop the warehouse and remove every generated file"

setup: $(STAMP) profiles.yml

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

profiles.yml: profiles.yml.example
	cp profiles.yml.example profiles.yml

demo: setup
	$(MM) warehouse start
	@if [ ! -f "$(DEMO_DIR)/package/pos_member_card.csv" ]; then \
		$(MM) generate --out "$(DEMO_DIR)/package" --persons $(DEMO_PERSONS) --seed $(DEMO_SEED); \
	else echo "Demo package already generated: $(DEMO_DIR)/package"; fi
	$(MM) load "$(DEMO_DIR)/package"
	$(MM) dbt build
	$(MM) publications --limit 1
	$(MM) dbt docs generate
	$(MM) report --out target/migration_report.html
	@echo
	@echo "Done."
	@echo "  report:     $(CURDIR)/target/migration_report.html"
	@echo "  docs site:  $(CURDIR)/target/index.html (make docs serves it on http://127.0.0.1:8080)"
	@echo "  warehouse:  psql $$($(BIN)/python -c 'from member_migration.config import connection_settings as c; print(c().url())')"

lint: setup
	$(BIN)/ruff check src tests/python
	$(BIN)/ruff format --check src tests/python
	@# sqlfluff's dbt templater opens a database connection to compile models
	$(MM) warehouse start
	$(BIN)/sqlfluff lint --processes 2 models analyses tests/staging tests/members tests/points

fmt: setup
	$(BIN)/ruff check --fix src tests/python
	$(BIN)/ruff format src tests/python

pytest: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint pytest

BENCH_STAMP := $(VENV)/.bench-stamp
BENCH_ARGS ?=

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

# Sizes: BENCH_ARGS="--persons 100000" (default: 100 000 and 1 000 000). JSON in target/bench/.
bench: setup $(BENCH_STAMP)
	$(MM) bench $(BENCH_ARGS)

docs: setup
	$(MM) dbt docs generate
	$(MM) dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

clean:
	-@[ -x $(MM) ] && $(MM) warehouse stop || true
	rm -rf $(VENV) .warehouse target logs $(DEMO_DIR) .bench profiles.yml .pytest_cache .ruff_cache
