# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins packaging<24, which pytest 9 cannot live with: it gets a venv of its own.
TOOLS   := $(VENV)/tools
CHECKOV := $(TOOLS)/bin/checkov

.PHONY: demo test lint bench clean cluster cluster-build test-cluster

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
	$(BIN)/ruff check exporter quotasim tests bench deploy dashboards cluster
	$(BIN)/ruff format --check exporter quotasim tests bench deploy dashboards cluster
	$(BIN)/lint-imports

test: lint $(CHECKOV)
	$(BIN)/python -m pytest --ignore=tests/cluster

# The real control plane, built from the Go modules in cluster/ (cached per go.sum), and
# helm for the chart's tests (cluster/helm).
cluster-build:
	bash cluster/build.sh
	bash cluster/build.sh helm

cluster: $(STAMP) cluster-build
	$(BIN)/python -m cluster

test-cluster: $(STAMP) cluster-build
	$(BIN)/python -m pytest tests/cluster --timeout=600

bench: $(STAMP)
	$(BIN)/python -m bench.sync --size 5000x20 --rounds 3
	$(BIN)/python -m bench.events --size 5000x20 --events 200000
	$(BIN)/python -m bench.bench_state

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
