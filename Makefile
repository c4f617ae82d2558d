# openmrv: two commands on a fresh machine with Python 3.11+ and pip.
#   make demo   set up and run the main job on the Turkmenistan case
#   make test   set up and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CASE ?= examples/turkmenistan

.PHONY: demo test setup lint clean

$(BIN)/openmrv: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/openmrv

demo: setup
	$(BIN)/openmrv run $(CASE) --out runs/demo

test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) runs
