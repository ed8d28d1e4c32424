# Mingjing: `make run` serves the demo portal, `make test` runs the whole suite.
# Both set up everything they need on a fresh machine (virtualenv, system packages).

# The distribution's Python when it is 3.11 or newer and can make virtualenvs (Debian: python3-venv): Debian builds
# it with profile-guided and link-time optimisation: the portal spent about 10 % less CPU a request on it under
# bench/load.py than on a Python compiled without them (pyenv's default), up to 30 % in templates and translations.
# Otherwise the first python3 on PATH.
PYTHON ?= $(shell /usr/bin/python3 -c 'import ensurepip, sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
            && echo /usr/bin/python3 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PO     := portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po
MO     := $(PO:.po=.mo)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint format test-faults test-hostile bench audit lock install install-test install-bench system-deps \
        system-test-deps system-bench-deps translations extract-messages clean help

help:
	@echo "make run          - set up and serve the demo portal at http://$(HOST):$(PORT)"
	@echo "make test         - set up and run the whole test suite (TEST_DATABASE_URL adds PostgreSQL)"
	@echo "make lint         - ruff (lint rules and formatting) and mypy; CI runs it before the tests"
	@echo "make format       - apply ruff's fixes and formatting"
	@echo "make test-faults  - databases stopped, workers killed, disks filled: prints what survived"
	@echo "make test-hostile - sqlmap against every public parameter on SQLite and PostgreSQL"
	@echo "make bench        - every benchmark in bench/, then one table of their figures"
	@echo "make audit        - pip-audit of the locked dependencies (needs a vulnerability service)"
	@echo "make lock         - re-pin requirements.lock from the virtualenv after changing pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml or the lock changes. requirements.lock pins every package at the
# version the suite passed with (pip constraints), so a fresh machine installs what was tested.
LOCK := requirements.lock

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test]'
	@touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[test,bench,audit]'
	@touch $(VENV)/.installed $(VENV)/.installed-test $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

# After changing dependencies in pyproject.toml: install them all, run the suite, then pin what passed.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench,audit]'
	@echo "# Every package Mingjing installs, at the version the suite passed with (make lock writes it)." > $(LOCK)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e ' >> $(LOCK)
	@touch $(VENV)/.installed $(VENV)/.installed-test $(VENV)/.installed-bench

$(MO): $(PO) | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations -D messages >/dev/null

translations: $(MO)

# Refresh the catalogue after changing user-facing strings, then translate the new entries.
# Babel reads the locale zh_CN as zh_Hans_CN, so that is the catalogue's directory name.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -D messages --no-fuzzy-matching --ignore-obsolete

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@
	@chmod 600 $@

# The audit trail's key, kept outside the database: "<key id> <secret>" (see MINGJING_AUDIT_KEY_FILE).
instance/audit_key:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print('local1', secrets.token_hex(32))" > $@
	@chmod 600 $@

run: $(VENV)/.installed $(MO) instance/secret_key instance/audit_key system-deps
	@export SECRET_KEY="$$(cat instance/secret_key)" MINGJING_AUDIT_KEY_FILE=instance/audit_key MINGJING_DEMO=1 \
	        MINGJING_COOKIE_SECURE=0; \
	 $(BIN)/flask --app wsgi db upgrade && \
	 $(BIN)/flask --app wsgi seed-demo && \
	 echo "" && echo "Mingjing is serving at http://$(HOST):$(PORT)/  (Ctrl-C to stop)" && echo "" && \
	 exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - wsgi:app

# The Chinese font embedded in PDF closure reports (and shown by the browser tests' Chromium).
system-deps:
	@if ! fc-list 2>/dev/null | grep -qi "WenQuanYi Zen Hei"; then \
	  echo "installing fonts-wqy-zenhei with apt-get"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-wqy-zenhei fontconfig >/dev/null; \
	fi

# Debian's Chromium (Playwright's own browser download does not work here) and pdftotext for the PDF tests.
system-test-deps: system-deps
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null; then \
	  echo "installing chromium and poppler-utils with apt-get"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium poppler-utils >/dev/null; \
	fi

# Lint and types: ruff's rules and formatting, then mypy (settings in pyproject.toml). Fails on any finding.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# One pytest process per CPU (pytest-xdist, TEST_WORKERS=0 for one process); pytest exits 5 when it collected
# nothing: a failure here, not a pass.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-test $(MO) system-test-deps
	@$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS); rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

# Faults on servers of their own (a private PostgreSQL cluster, gunicorn on free ports, a small tmpfs):
# the machine's PostgreSQL is never stopped. The run ends with a table of what was done and what was lost.
test-faults: $(VENV)/.installed-test $(MO) system-test-deps
	@MINGJING_FAULTS=1 $(BIN)/pytest -p no:cacheprovider tests/faults $(PYTEST_ARGS); rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "pytest collected no fault tests: failing"; exit 1; fi; exit $$rc

# sqlmap (Debian) and wrk (Debian) for the hostile-input scan and the search comparison.
system-bench-deps: system-test-deps
	@if ! command -v sqlmap >/dev/null || ! command -v wrk >/dev/null; then \
	  echo "installing sqlmap and wrk with apt-get"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq sqlmap wrk >/dev/null; \
	fi

BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

# sqlmap at level 3 / risk 2 against every public GET and POST parameter, on SQLite and PostgreSQL (its own
# database mingjing_sqlmap on the local server, dropped and made again; --pg-url / SQLMAP_DATABASE_URL).
test-hostile: $(VENV)/.installed-bench $(MO) system-bench-deps
	$(BIN)/python bench/hostile/sqlmap_scan.py

# Every benchmark (PostgreSQL at BENCH_DATABASE_URL), then one table. A failing benchmark does not stop
# the others; the table says which figures are missing or missed their target (and exits 1 then).
bench: $(VENV)/.installed-bench $(MO) system-bench-deps
	-$(BIN)/python bench/search.py --entries 1000000
	-$(BIN)/python bench/compare.py --seconds 15
	-$(BIN)/python bench/dashboard.py
	-$(BIN)/python bench/dashboard.py --database-url $(BENCH_DATABASE_URL)
	-$(BIN)/python bench/import_defaulters.py --rows 1000000
	-$(BIN)/python bench/load.py --engine both --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python bench/table.py

# Known vulnerabilities of the locked versions, from PyPI's advisory data (needs to reach pypi.org's JSON
# API or api.osv.dev; a registry mirror alone is not enough, and then this fails rather than pass).
audit: $(VENV)/.installed-bench
	$(BIN)/pip-audit --requirement $(LOCK) --no-deps --disable-pip --strict --progress-spinner off

clean:
	rm -rf $(VENV) instance $(MO) .pytest_cache
