# smm: two commands. `make run` serves the dashboard; `make test` runs the whole suite.
# Both work on a machine with only Python 3.11+: they create .venv and, without DATABASE_URL /
# REDIS_URL, use an embedded PostgreSQL (var/pgdata) and a filesystem Celery broker (var/broker).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n auto

.PHONY: run test lint typecheck check messages vendor clean

run: $(VENV)/.run-installed
	@$(BIN)/python -m smm.lib.devstack run

test: $(VENV)/.test-installed
	@$(BIN)/python -m smm.lib.devstack exec -- $(BIN)/python -m pytest --ds=smm.settings_test $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/python -m smm.lib.devstack exec -- $(BIN)/mypy

# Regenerate locale/fi/LC_MESSAGES/django.po from the code (needs GNU gettext), then compile.
messages: $(VENV)/.test-installed
	$(BIN)/python -m smm.lib.devstack exec -- $(BIN)/python manage.py makemessages -l fi --no-location --no-obsolete
	$(BIN)/python .ci/locale_check.py --compile

vendor:
	static/vendor/update.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.test-installed: requirements.txt tests/requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	@touch $@ $(VENV)/.run-installed

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .mypy_cache .ruff_cache
