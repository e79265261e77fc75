# microblog: `make run` to serve the blog, `make test-fast` while you work, `make test` for
# the whole suite (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast checkers lint bench screenshots clean

install: $(STAMP)

# Says what it installs (pip's "Collecting …" lines): the first time takes a minute or two.
$(STAMP): pyproject.toml
	@echo "==> $(VENV): microblog (editable) with its test tools (pyproject.toml's [test]);"
	@echo "    a production server installs without them: pip install . (deploy/install.sh)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# SITE_URL follows HOST and PORT unless it is set (environment or instance/config.py).
# The example post goes only into a database that holds no post; the author's own first
# import takes it out again (microblog/posts/example.py).
run: export MICROBLOG_SERVER_URL = http://$(HOST):$(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) posts import --if-empty --example content/_posts
	$(FLASK) run --host $(HOST) --port $(PORT)

# pytest-xdist workers: one per core by default (WORKERS=1 runs in this process).
WORKERS ?= auto
XDIST := $(if $(filter 1,$(WORKERS)),,-n $(WORKERS) --dist loadgroup)

# The unit and app tiers (no server, no subprocess), on SQLite, in parallel: the loop while
# you work.
test-fast: install
	$(BIN)/python -m pytest -q $(XDIST) -m "not postgres" tests/unit tests/app

# Everything: unit, app and system tiers; a system test file runs whole on one worker (the
# browser folder too) while the other workers take other files and tests. With
# TEST_DATABASE_URL set, the tests of what the database does run on PostgreSQL too.
test: install checkers
	@test -x /usr/bin/chromium || echo "Chromium not installed at /usr/bin/chromium: browser tests skipped (apt-get install chromium)"
	$(BIN)/python -m pytest -q $(XDIST)

# The Nu HTML checker and axe-core from npm (package-lock.json), when npm is installed;
# the tests that need them skip and say so without them.
checkers:
	@if command -v npm >/dev/null 2>&1 && { [ ! -f node_modules/.package-lock.json ] \
	    || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then \
	  npm ci --no-audit --no-fund --silent; fi

# Style, types (mypy over microblog/, settings in pyproject.toml) and the house plan's walls
# (import-linter's contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m pytest -q -s tests/bench

# The README's pictures: the screenshot tests (Chromium) write tests/system/browser/
# screenshots-latest/, then those go to docs/screenshots/. Look at them before committing.
screenshots: install
	$(BIN)/python -m pytest -q -p no:randomly tests/system/browser/test_screenshots.py \
	    tests/system/browser/test_editor.py -k screenshot
	cp tests/system/browser/screenshots-latest/*.png docs/screenshots/

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
