# The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
STAMP := $(VENV)/.installed

.PHONY: system-deps test-system-deps compile-translations run serve test lint typecheck install translations translations-check check-translations clean
.PHONY: node-deps browser-deps screenshots lighthouse

# Debian packages, installed only when missing (needs root). `make run` needs gettext only.
APT_PACKAGES := gettext
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# What only the tests need. chromium: the browser tests, screenshots and Lighthouse. postgresql and
# redis-server: the tests start throw-away servers from them unless TEST_DATABASE_URL /
# TEST_REDIS_URL name others (tests/servers.py).
# Java (the HTML validator) and Node (axe-core, Lighthouse) come from Debian only when no java / npm
# is on the PATH.
TEST_APT_PACKAGES := chromium postgresql redis-server
test-system-deps: system-deps
	@missing=""; for p in $(TEST_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

# axe-core and Lighthouse, exactly as package-lock.json pins them, in ./node_modules.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json | test-system-deps
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

node-deps: $(NODE_STAMP)

browser-deps: test-system-deps node-deps

$(STAMP): pyproject.toml | system-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Compiled catalogs (.mo) are build output: made from the committed .po files.
COMPILE_CATALOGS := $(BIN)/pybabel compile --use-fuzzy -d translations -D messages --statistics 2>&1 | tail -n 4
compile-translations: $(STAMP)
	$(COMPILE_CATALOGS)

# Debug mode: without PORTAL_SECRET_KEY the app makes a random key once under PORTAL_DATA_DIR.
run: install compile-translations
	$(FLASK) --debug content check || true
	$(FLASK) --debug db upgrade
	$(FLASK) --debug search build
	$(FLASK) run --debug --host 127.0.0.1 --port 5000

# Production serving: gunicorn as gunicorn.conf.py sets it up (workers from WEB_CONCURRENCY,
# JSON logs, /healthz and /readyz); docs/deploy.md runs it on several nodes. Installs the
# runtime dependencies only: no test tools, browsers or Debian packages.
SERVE_STAMP := $(VENV)/.installed-serve
$(SERVE_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(COMPILE_CATALOGS)
	$(FLASK) db upgrade
	$(FLASK) search build
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: install
	$(BIN)/ruff check portal tests bench wsgi.py

# mypy as pyproject.toml's [tool.mypy] sets it: strict on some packages, the rest checked plainly.
typecheck: install
	$(BIN)/mypy

# Extract UI strings, merge them into every catalog, compile. The catalogs keep their header
# (Language, Plural-Forms): without it Babel treats a catalog as fuzzy and skips it.
translations: install
	$(BIN)/pybabel extract --no-location --omit-header --sort-by-file -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -i translations/messages.pot -d translations -D messages
	$(BIN)/pybabel compile -d translations -D messages

# Fails when messages.pot is stale or a catalog has errors.
translations-check: install
	@tmp=$$(mktemp); \
	$(BIN)/pybabel extract --no-location --omit-header --sort-by-file -F babel.cfg -k _l -o $$tmp . >/dev/null 2>&1; \
	if ! diff -q <(grep -v '^"POT-Creation-Date' $$tmp) <(grep -v '^"POT-Creation-Date' translations/messages.pot) >/dev/null; then \
		echo "translations/messages.pot is stale: run 'make translations'"; diff <(grep -v '^"POT' $$tmp) <(grep -v '^"POT' translations/messages.pot) | head -20; rm -f $$tmp; exit 1; fi; \
	rm -f $$tmp
	@for po in translations/*/LC_MESSAGES/messages.po; do msgfmt --check -o /dev/null $$po || exit 1; done
	$(BIN)/pybabel -q compile -d translations -D messages

# Branch coverage of portal/ is measured on every run; the report fails below the floor in
# pyproject.toml ([tool.coverage.report] fail_under), so coverage never drops unnoticed.
test: install translations-check lint typecheck browser-deps
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

# PNGs of the main pages, phone and desktop, light and dark, for people who do not run anything.
screenshots: install compile-translations browser-deps
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

# Lighthouse scores of the article, search and contact pages (needs node_modules).
lighthouse: install compile-translations browser-deps
	bench/lighthouse.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .coverage node_modules
