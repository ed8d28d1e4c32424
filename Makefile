# Mingjing: `make run` serves the demo portal, `make test` runs the whole suite.
# Both set up everything they need on a fresh machine (virtualenv, system packages).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PO     := portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po
MO     := $(PO:.po=.mo)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test system-deps system-test-deps translations extract-messages clean help

help:
	@echo "make run    - set up and serve the demo portal at http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the whole test suite (TEST_DATABASE_URL adds PostgreSQL)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

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

run: $(VENV)/.installed $(MO) instance/secret_key system-deps
	@export SECRET_KEY="$$(cat instance/secret_key)" MINGJING_DEMO=1 MINGJING_COOKIE_SECURE=0; \
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

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
test: $(VENV)/.installed-test $(MO) system-test-deps
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	 if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

clean:
	rm -rf $(VENV) instance $(MO) .pytest_cache
