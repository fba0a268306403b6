# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins packaging<24, which pytest 9 cannot live with: it gets a venv of its own.
TOOLS   := $(VENV)/tools
CHECKOV := $(TOOLS)/bin/checkov
# focus-validator (the FinOps Foundation's FOCUS checker) needs Python 3.12+, newer than
# the project's 3.11: the first of python3.12 and python3.13 that runs, from PATH, pyenv
# or pyenv's versions folder (pyenv's shims refuse a version that is not selected). 3.12 first: numpy<2, which
# focus-validator requires, has no wheels for 3.13. pyarrow, which it leaves unpinned,
# wants numpy 2 from version 22 on: pinned here.
FOCUS_VENV      := $(VENV)/focus
FOCUS_VALIDATOR := $(FOCUS_VENV)/bin/focus-validator
FOCUS_PYTHON    ?= $(shell for v in 3.12 3.13; do \
	if python$$v -c '' 2>/dev/null; then command -v python$$v; break; fi; \
	p=$$(pyenv prefix $$v 2>/dev/null) && [ -x "$$p/bin/python$$v" ] && { echo "$$p/bin/python$$v"; break; }; \
	p=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.* 2>/dev/null | sort -V | tail -1); \
	[ -n "$$p" ] && [ -x "$$p/bin/python$$v" ] && { echo "$$p/bin/python$$v"; break; }; \
	done)

.PHONY: demo test lint bench clean cluster cluster-build test-cluster

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHECKOV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet 'checkov==3.3.30'

$(FOCUS_VALIDATOR):
	@test -n "$(FOCUS_PYTHON)" || { echo "focus-validator needs Python 3.12 or newer:" \
		"none on PATH or under pyenv (set FOCUS_PYTHON=/path/to/python3.12)" >&2; exit 1; }
	$(FOCUS_PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/pip install --quiet 'focus-validator==2.2.1' 'pyarrow==21.0.0'

demo: $(STAMP)
	$(BIN)/quotameter demo

# mypy checks what [tool.mypy] in pyproject.toml lists, exporter/ under the --strict flags.
lint: $(STAMP)
	$(BIN)/ruff check exporter quotasim tests bench deploy dashboards cluster
	$(BIN)/ruff format --check exporter quotasim tests bench deploy dashboards cluster
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint $(CHECKOV) $(FOCUS_VALIDATOR)
	$(BIN)/python -m pytest --ignore=tests/cluster

# The real control plane, built from the Go modules in cluster/ (cached per go.sum),
# helm for the chart's tests (cluster/helm) and Thanos for fleet mode's (cluster/thanos).
cluster-build:
	bash cluster/build.sh
	bash cluster/build.sh helm thanos

cluster: $(STAMP) cluster-build
	$(BIN)/python -m cluster

test-cluster: $(STAMP) cluster-build
	$(BIN)/python -m pytest tests/cluster --timeout=600

bench: $(STAMP)
	$(BIN)/python -m bench.sync --size 5000x20 --rounds 3
	$(BIN)/python -m bench.events --size 5000x20 --events 200000
	$(BIN)/python -m bench.bench_state

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
