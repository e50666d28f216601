# Two entry points: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check

.PHONY: demo test test-fast lint format bench clean

$(VENV)/.core: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[test]'
	touch $@

demo: $(VENV)/.core
	$(VENV)/bin/synthdsl generate examples/hospital.synth --out demo_out --format csv
	@echo "demo: wrote demo_out/ (see demo_out/card.json)"

test: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n 2 -q

test-fast: $(VENV)/.test
	$(PY) -m pytest -n 2 -q -m "not slow"

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.test
	$(PY) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) demo_out .pytest_cache .ruff_cache
