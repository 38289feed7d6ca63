# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both first set up .venv (Python) from the project's own files, once.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench

setup: $(STAMP)

$(STAMP): requirements-dev.txt bench/requirements.txt pyproject.toml $(wildcard pyrpc_*/pyproject.toml) package.json package-lock.json $(wildcard pyrpc_ts/npm/*/package.json)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# The npm side: typescript and the workspaces under pyrpc_ts/npm (@pyrpc/client), built from source.
	npm ci --no-audit --no-fund
	npm run build --workspaces
	touch $(STAMP)

# The example server on the embedded default: uvicorn, http://127.0.0.1:8000/rpc
run: setup
	$(BIN)/uvicorn --app-dir examples/hello app:app --host 127.0.0.1 --port 8000

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest runs the node side too: tests/npm runs `npm test` of @pyrpc/client (node --test) and
# the end-to-end TypeScript program against a live server.
# Two workers where there are two logical CPUs or more (pytest-xdist): each test file runs whole
# on one worker, and the tests of the npm workspace's packages on one (tests/conftest.py says why).
test: lint
	$(BIN)/pytest --numprocesses logical --maxprocesses 2 --dist loadgroup

# The benchmarks (not part of the tests): a table of ratios against peers, measured in one run.
# wrk is used when installed (apt-get install wrk); otherwise a bundled Python load generator.
bench: setup
	$(BIN)/python -m bench.run --markdown docs/performance.md
