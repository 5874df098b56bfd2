# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install translations

run: $(VENV)/.installed translations
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed translations
	scripts/system-packages.sh --browser
	scripts/fetch-telegram-js.sh
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

install: $(VENV)/.installed

translations: $(VENV)/.installed
	scripts/system-packages.sh
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=$(VENV) -v 0

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@
