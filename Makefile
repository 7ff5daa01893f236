# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv and install pinned requirements only when the requirement files change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

VALIDATORS := tests/validators

.PHONY: run test setup migrate seed admin serve lint check bench bench-merge bench-data bench-scale clean validators example

run: setup migrate seed admin serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-run

migrate: setup
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) load_seed_content --site-url http://$(HOST):$(PORT)

admin: migrate
	$(MANAGE) ensure_admin --site-url http://$(HOST):$(PORT)

serve:
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	WAGTAILADMIN_BASE_URL=http://$(HOST):$(PORT) $(MANAGE) runserver $(HOST):$(PORT)

# The example front end (examples/frontend/, docs/headless.md) on its own origin, reading
# the site `make run` serves. For the whole loop, start that site with the example allowed:
#   CORS_ALLOWED_ORIGINS=http://127.0.0.1:3000 HEADLESS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1 \
#   HEADLESS_PREVIEW_URL='http://127.0.0.1:3000/preview?token={token}' make run
EXAMPLE_PORT ?= 3000
example: setup
	$(BIN)/python examples/frontend/server.py --cms http://$(HOST):$(PORT) --port $(EXAMPLE_PORT)

# The public checkers the tests run (Nu HTML Checker, axe-core, Spectral, openapi-typescript,
# tsc), at the exact versions of their lockfile, installed again only when it changes.
# Without npm their tests skip with the reason (and fail under CI=true, where .ci/run installs it).
$(VALIDATORS)/node_modules/.installed: $(VALIDATORS)/package.json $(VALIDATORS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(VALIDATORS) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm is not installed: the validator tests will be skipped (apt-get install npm)"; \
	fi

validators: $(VALIDATORS)/node_modules/.installed

test: $(VENV)/.installed-test validators
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed-test
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=cms.settings.production REDIS_URL=redis://127.0.0.1:6379/0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=example.org $(MANAGE) check --deploy --fail-level WARNING

# Throughput of the site, its comment API and Isso on this machine (docs/benchmarks.md).
# Options: BENCH_ARGS="--cases thread_ours,thread_isso", BENCH_DURATION=3 for a quick run.
bench: $(VENV)/.installed-run
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The latest SQLite and PostgreSQL runs of `make bench` in one table (bench/results/latest.md).
bench-merge: $(VENV)/.installed-run
	$(BIN)/python bench/merge.py

# A million comments on 10,000 posts in a PostgreSQL database of their own (bench_million on
# DATABASE_URL's server), then the pages and APIs measured at that size (docs/benchmarks.md).
BENCH_DATABASE ?= bench_million
bench-data: $(VENV)/.installed-run
	$(BIN)/python bench/fill_database.py --database $(BENCH_DATABASE) --output bench/results/fill-database.json

bench-scale: $(VENV)/.installed-run
	$(BIN)/python bench/at_scale.py --database $(BENCH_DATABASE) $(BENCH_SCALE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
