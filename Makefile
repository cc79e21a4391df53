# The team's habits as targets. The README names two: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run otp-code serve db demo test test-postgres lint format migrations-check messages compilemessages \
	bench bench-relevance bench-exports bench-census bench-mainstream faults loadtest loadtest-smoke audit lock reset-local-db ci clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

compilemessages: install ## Compile the translations (locale/*/LC_MESSAGES/django.mo)
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages --ignore=.venv -v0; \
	else echo "GNU gettext (msgfmt) is not installed: using the committed .mo files."; fi

db: install ## Migrate and load the reference data (idempotent)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_reference_data

demo: db ## Add the demo initiatives and accounts (skipped if present)
	$(MANAGE) seed_demo

run: demo compilemessages ## Set up everything and serve on http://127.0.0.1:8000 (SQLite, eager tasks)
	@echo ""
	@echo "  POPS is starting on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo accounts (password pops-demo-2026): admin (superuser), curatore (POPS staff), ricercatrice (researcher)"
	@echo "  Staff's second factor in the admin: authenticator secret POPSDEMOSTAFFSECONDFACTORTWENTYS"
	@echo "    (otpauth://totp/POPS%3Acuratore?secret=POPSDEMOSTAFFSECONDFACTORTWENTYS&issuer=POPS), or 'make otp-code' for the current code"
	@echo ""
	$(MANAGE) runserver $(HOST):$(PORT)

otp-code: install ## Print the demo staff accounts' current second-factor code (admin, curatore)
	@$(MANAGE) demo_otp_code

test: install compilemessages ## Set up everything and run the whole test suite
	$(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

audit: install ## Security checks: bandit on the code (fails on high severity), pip-audit on the pinned tree
	$(BIN)/bandit -q -r pops initiatives impact stakeholders actionplan -x "*/migrations/*" --severity-level high
	@# pip-audit asks PyPI's JSON API (or OSV) for known vulnerabilities: where neither is
	@# reachable (a registry mirror) it cannot audit, says so, and that is not a failure.
	@out=$$($(BIN)/pip-audit -r requirements.lock --progress-spinner off 2>&1); status=$$?; \
	skipped=$$(printf '%s\n' "$$out" | grep -c "could not be audited" || true); \
	total=$$(grep -c '==' requirements.lock); \
	if [ "$$status" -ne 0 ] && printf '%s\n' "$$out" | grep -q "^Name .*Version .*ID"; then printf '%s\n' "$$out"; exit 1; fi; \
	echo "pip-audit: $$((total - skipped)) of $$total pinned packages audited, no known vulnerability$$( [ "$$skipped" -gt 0 ] && echo " ($$skipped not reachable on this index: audit them where PyPI's JSON API is)")."

migrations-check: install ## Fail if a model change has no migration
	$(MANAGE) makemigrations --check --dry-run

messages: install ## Extract the translatable strings into locale/*/django.po
	$(MANAGE) makemessages -l it -l en --no-obsolete --ignore=.venv --ignore=fixtures/tools
	$(MANAGE) compilemessages --ignore=.venv -v0

# The benchmarks are scripts in tests/bench/, not shipped commands; pytest does not collect them.
bench: install ## Time the showcase (10,000 initiatives, SQLite and PostgreSQL) and the ANVUR export
	$(BIN)/python -m tests.bench.showcase
	$(MAKE) --no-print-directory bench-relevance
	$(MAKE) --no-print-directory bench-exports
	$(MAKE) --no-print-directory bench-census
	$(MAKE) --no-print-directory bench-mainstream

bench-relevance: install ## The search's recall@10 and MRR on the relevance set (demo data; SQLite and PostgreSQL)
	$(BIN)/python -m tests.bench.relevance $(BENCH_RELEVANCE_ARGS)

bench-mainstream: install ## The clever parts against the mainstream Django way, 10,000 initiatives (PostgreSQL)
	@if ! pg_isready -q -d "$(BENCH_EXPORTS_PG)/postgres"; then \
		echo "PostgreSQL is not reachable: the mainstream comparison needs it; skipped."; exit 0; fi; \
	DATABASE_URL=$(BENCH_EXPORTS_PG)/pops_bench_mainstream $(BIN)/python -m tests.bench.mainstream

BENCH_EXPORTS_PG ?= postgres://postgres@127.0.0.1:5432
BENCH_EXPORTS_DB ?= pops_bench_exports
bench-exports: install ## Time the ANVUR export against PostgreSQL COPY and its memory, 10k and 50k rows (scratch database)
	@if ! pg_isready -q -d "$(BENCH_EXPORTS_PG)/postgres"; then \
		echo "PostgreSQL is not reachable: the export bench needs it for COPY; skipped."; exit 0; fi; \
	set -e; \
	psql "$(BENCH_EXPORTS_PG)/postgres" -q -c "DROP DATABASE IF EXISTS $(BENCH_EXPORTS_DB)" -c "CREATE DATABASE $(BENCH_EXPORTS_DB)"; \
	export DATABASE_URL=$(BENCH_EXPORTS_PG)/$(BENCH_EXPORTS_DB); \
	$(MANAGE) migrate --noinput -v0; \
	$(MANAGE) load_reference_data; \
	status=0; $(BIN)/python -m tests.bench.exports $(BENCH_EXPORTS_ARGS) || status=$$?; \
	psql "$(BENCH_EXPORTS_PG)/postgres" -q -c "DROP DATABASE IF EXISTS $(BENCH_EXPORTS_DB)"; exit $$status

BENCH_CENSUS_DB ?= pops_bench_census
bench-census: install ## Time the census workbook's dry run and import, 1,000 and 5,000 initiatives (scratch PostgreSQL database)
	@if ! pg_isready -q -d "$(BENCH_EXPORTS_PG)/postgres"; then \
		echo "PostgreSQL is not reachable: the census bench needs it; skipped."; exit 0; fi; \
	set -e; \
	psql "$(BENCH_EXPORTS_PG)/postgres" -q -c "DROP DATABASE IF EXISTS $(BENCH_CENSUS_DB)" -c "CREATE DATABASE $(BENCH_CENSUS_DB)"; \
	export DATABASE_URL=$(BENCH_EXPORTS_PG)/$(BENCH_CENSUS_DB); \
	$(MANAGE) migrate --noinput -v0; \
	$(MANAGE) load_reference_data > /dev/null; \
	status=0; $(BIN)/python -m tests.bench.census $(BENCH_CENSUS_ARGS) || status=$$?; \
	psql "$(BENCH_EXPORTS_PG)/postgres" -q -c "DROP DATABASE IF EXISTS $(BENCH_CENSUS_DB)"; exit $$status

PG_BIN ?= $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
faults: install ## Break a private PostgreSQL, Redis and Celery worker under the portal and print what held (about 3 min)
	@if [ ! -x "$(PG_BIN)/initdb" ] || ! command -v redis-server >/dev/null; then \
		echo "make faults needs PostgreSQL's server programs (initdb) and redis-server" >&2; exit 1; fi
	PG_BIN=$(PG_BIN) $(BIN)/python -m tests.faults

LOADTEST_DB ?= pops_loadtest
LOADTEST_REDIS ?= redis://127.0.0.1:6379/14
LOADTEST_ARGS ?=
loadtest: install ## 60 s at 50 users with wrk against gunicorn (production settings, PostgreSQL, Redis): errors, req/s, p95 per kind
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m tests.loadtest --database-url $(BENCH_EXPORTS_PG)/$(LOADTEST_DB) --redis-url $(LOADTEST_REDIS) $(LOADTEST_ARGS)

loadtest-smoke: install ## The load test for 5 s at 10 users: 0 errors required, the goals only reported
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m tests.loadtest --seconds 5 --users 10 --no-goals --database-url $(BENCH_EXPORTS_PG)/$(LOADTEST_DB) --redis-url $(LOADTEST_REDIS) $(LOADTEST_ARGS)

reset-local-db: ## Delete the local SQLite database and rebuild it with demo data
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
	$(MAKE) demo

lock: ## Re-pin requirements*.lock from pyproject.toml in a scratch venv
	rm -rf /tmp/pops-lock && $(PYTHON) -m venv /tmp/pops-lock
	/tmp/pops-lock/bin/pip install --quiet -e . && /tmp/pops-lock/bin/pip freeze --exclude-editable > requirements.lock
	/tmp/pops-lock/bin/pip install --quiet -e ".[dev]" && /tmp/pops-lock/bin/pip freeze --exclude-editable > requirements-dev.lock

ci: lint migrations-check test ## What .ci/run does, on the current database settings

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
