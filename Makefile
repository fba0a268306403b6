# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins packaging<24, which pytest 9 cannot live with: it gets a venv of its own.
TOOLS   := $(VENV)/tools
CHECKOV := $(TOOLS)/bin/checkov

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet 'checkov==3.3.30'

demo: $(STAMP)
	$(BIN)/quotameter demo

lint: $(STAMP)
	$(BIN)/ruff check exporter tests bench deploy dashboards
	$(BIN)/ruff format --check exporter tests bench deploy dashboards
	$(BIN)/lint-imports

test: lint $(CHECKOV)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.sync --size 5000x20 --rounds 3
	$(BIN)/python -m bench.events --size 5000x20 --events 200000
	$(BIN)/python -m bench.bench_state

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
