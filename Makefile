# Two entry points, both self-contained on a fresh machine: `make demo` and `make test`.
# The first run creates .venv with torch 2.13.0 (the CPU build pip finds on disk) and the package.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test setup bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[test,serve,docs,notebooks,distributed,datasets]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) -m interventions.demo

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/counterfactual.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
