# Conveyor — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test test-fast bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

## Set everything up and serve the dashboard and API on http://127.0.0.1:8000 (API docs at /docs),
## SQLite + demo data; prints the demo admin's dashboard login.
run: install
	mkdir -p var
	$(BIN)/conveyor db upgrade
	$(BIN)/conveyor demo
	@test ! -f var/demo-admin-login.txt || { echo "dashboard: http://127.0.0.1:8000/ — demo login:"; cat var/demo-admin-login.txt; }
	$(BIN)/conveyor serve

## The whole suite (SQLite; PostgreSQL too when CONVEYOR_TEST_POSTGRES_URL is set), in TEST_WORKERS
## processes (pytest-xdist): many tests wait on servers and subprocesses, so more processes than cores.
TEST_WORKERS ?= 3
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

test-fast: install
	$(BIN)/python -m pytest tests/unit

## Load and quality benchmarks; results are recorded in docs/benchmarks.md.
bench: install
	CONVEYOR_TEST_POSTGRES_URL=$${CONVEYOR_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/python benchmarks/run_all.py

## Style (ruff), the layering of DESIGN.md (import-linter contracts in pyproject.toml) and types (mypy).
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var build *.egg-info
