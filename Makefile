# Forrás: `make run` serves the demo, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
WORKERS ?= 2

.PHONY: run test install system-deps lint migrate translations constraints production clean

# Compiled catalogues (.mo) are build output, never committed: each is rebuilt
# from its .po whenever that changes, before the app serves or the tests run.
CATALOGUES := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# constraints.txt pins every package to the version the suite last passed with.
$(VENV)/.installed: setup.cfg pyproject.toml setup.py constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Record the versions installed now (after `make test` passed with them). To move
# to newer releases: .venv/bin/pip install -U -e '.[test]', make test, make constraints.
constraints: $(VENV)/.installed
	{ echo "# The versions the suite passed with; make install uses them, make constraints rewrites them."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^forras-lms\b'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	touch $(VENV)/.installed

# Wheels of every pinned dependency and of the build tools, so that
# tests/core/test_packaging.py can build and install Forrás into a clean
# virtualenv with no network (pip --no-index --find-links).
WHEELHOUSE := $(VENV)/wheelhouse
$(WHEELHOUSE)/.complete: constraints.txt setup.cfg pyproject.toml setup.py | $(VENV)/.installed
	$(BIN)/python -m pip wheel --quiet -c constraints.txt -w $(WHEELHOUSE) . setuptools wheel
	rm -f $(WHEELHOUSE)/forras_lms-*.whl
	touch $@

system-deps:
	@bash scripts/system-deps.sh

install: system-deps $(VENV)/.installed $(COMPILED)

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

# Links in e-mails and on certificates (even the demo's) use the address served here,
# unless PUBLIC_BASE_URL is set. The mail and job workers run beside gunicorn (scripts/serve.sh).
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo "Forrás is serving on $(PUBLIC_BASE_URL)/ with its mail and job workers (Ctrl-C stops all)"
	bash scripts/serve.sh $(BIN) $(HOST) $(PORT) $(WORKERS)

# The production shape on this machine: PostgreSQL, Redis, several gunicorn workers,
# the mail worker and a local SMTP sink (scripts/production.sh; README "Production").
production: install
	bash scripts/production.sh $(BIN)

test: install $(WHEELHOUSE)/.complete
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

# After changing models: make migrate MESSAGE="what changed", then read the file.
migrate: install
	$(BIN)/flask db migrate -m "$(MESSAGE)"

# After adding or changing user-facing text: refresh the catalogues from the
# sources, then translate the new entries in lms/translations/<lang>/LC_MESSAGES/messages.po
# (tests/i18n fails until every entry is translated). No fuzzy matching: a
# changed English text starts untranslated rather than with a guess.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --add-comments=NOTE \
		--project=Forrás --copyright-holder=Forrás -o lms/translations/messages.pot .
	$(BIN)/pybabel -q update -i lms/translations/messages.pot -d lms/translations \
		--no-fuzzy-matching --ignore-obsolete --width=100

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
