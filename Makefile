# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install translations

# Serving the app needs only requirements.txt; the tests' tools come with `make test`.
run: $(VENV)/.app-installed translations
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 scripts/serve-with-worker.sh $(BIN)/python $(PORT)

test: $(VENV)/.dev-installed translations
	scripts/system-packages.sh --browser
	scripts/fetch-telegram-js.sh
	scripts/anki-venv.sh
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/mypy

install: $(VENV)/.dev-installed

translations: $(VENV)/.app-installed
	scripts/system-packages.sh
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=$(VENV) -v 0

$(VENV)/.app-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.app-installed requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@
