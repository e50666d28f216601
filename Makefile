# Two entry points: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip -q --disable-pip-version-check

.PHONY: demo test test-fast wheel-smoke lint format bench clean

# anonymeter pins numpy<1.27 and pyarrow<22 but runs on numpy 2 / pyarrow 26: install it without its
# pins; the dependencies it really needs come with the `evaluate` extra (see docs/evaluate.md).
ANONYMETER := anonymeter==1.1.0

# torch goes in first, alone and pinned: the CPU build on local disk (a looser pin, asked for by
# opacus in the `neural` extra, resolves to a CUDA build of several GB).
TORCH := torch==2.13.0

$(VENV)/.core: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install '$(TORCH)'
	$(PIP) install -e '.[evaluate,bayes,neural]'
	$(PIP) install --no-deps '$(ANONYMETER)'
	touch $@

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VENV)/.test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install '$(TORCH)'
	$(PIP) install -e '.[test]'
	$(PIP) install --no-deps '$(ANONYMETER)'
	touch $@

# The report is tested in a real browser: Debian's chromium, driven by Playwright's Python API.
BROWSER := /usr/bin/chromium
$(BROWSER):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

demo: $(VENV)/.core
	$(VENV)/bin/synthdsl generate examples/hospital.synth --out demo_out --format csv
	$(VENV)/bin/synthdsl generate examples/adult_marginals.synth --out demo_out/adult --format csv
	$(VENV)/bin/synthdsl evaluate --real examples/data/adult_real.csv \
	  --holdout examples/data/adult_holdout.csv --synthetic demo_out/adult/adult.csv \
	  --target class --subgroups sex --quasi-identifiers age --quasi-identifiers sex \
	  --quasi-identifiers race --sensitive class \
	  --report demo_out/adult/report.html --json demo_out/adult/report.json
	$(VENV)/bin/synthdsl fit examples/adult_bayesnet.synth --artifacts demo_out/models
	$(VENV)/bin/synthdsl generate examples/adult_bayesnet.synth --artifacts demo_out/models \
	  --out demo_out/adult_bayesnet --format csv
	$(VENV)/bin/synthdsl evaluate --real examples/data/adult_real.csv \
	  --holdout examples/data/adult_holdout.csv --synthetic demo_out/adult_bayesnet/people.csv \
	  --target class --report demo_out/adult_bayesnet/report.html \
	  --json demo_out/adult_bayesnet/report.json
	$(VENV)/bin/synthdsl generate examples/cohort.synth --out demo_out/cohort --format csv
	$(VENV)/bin/synthdsl fit examples/adult_dpcgan.synth --artifacts demo_out/models
	$(VENV)/bin/synthdsl generate examples/adult_dpcgan.synth --artifacts demo_out/models \
	  --out demo_out/adult_dpcgan --format csv
	@echo "demo: wrote demo_out/ (hospital tables, card.md), demo_out/adult/ (report.html, card.md)"
	@echo "      demo_out/adult_bayesnet/ (a DP twin at epsilon 1: people.csv, card.md, report.html),"
	@echo "      demo_out/adult_dpcgan/ (a DP-GAN twin at epsilon 3) and demo_out/cohort/ (a simulation)"

test: $(VENV)/.test $(BROWSER) wheel-smoke
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n 2 -q

# Build the sdist and wheel, install the wheel into a fresh venv outside the checkout, run the CLI.
wheel-smoke: $(VENV)/.test
	.ci/wheel_smoke.sh $(PY)

test-fast: $(VENV)/.test $(BROWSER)
	$(PY) -m pytest -n 2 -q -m "not slow"

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Peers measured beside us in the benchmarks, in their own venv (SDMetrics pins pandas<3).
PEERS := .venv-peers
$(PEERS)/.ok:
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip -q --disable-pip-version-check install sdmetrics==0.32.0 pyarrow
	touch $@

# The peers of bench_bayesnet.py in a venv of their own: DataSynthesizer (PrivBayes) and
# smartnoise-synth (MST). smartnoise-sql pins pandas<3 and smartnoise-synth requires opacus, hence
# torch: torch goes in first, alone and pinned, so that pip takes the CPU build (a looser pin
# resolves to a CUDA build of several GB). benchmarks/bayes-peers.txt pins every other package.
BAYES_PEERS := .venv-bayes-peers
BAYES_PEERS_PIP := $(BAYES_PEERS)/bin/python -m pip -q --disable-pip-version-check
$(BAYES_PEERS)/.ok: benchmarks/bayes-peers.txt
	test -x $(BAYES_PEERS)/bin/python || $(PYTHON) -m venv $(BAYES_PEERS)
	$(BAYES_PEERS_PIP) install torch==2.13.0
	$(BAYES_PEERS_PIP) install -c benchmarks/bayes-peers.txt DataSynthesizer==0.1.13 smartnoise-synth==1.0.8
	touch $@

# The peer of bench_simulate.py in a venv of its own: Mesa 3.5.1 needs Python >= 3.12, and its
# `network` extra (`import mesa` imports networkx). benchmarks/sim-peers.txt pins every package.
# Without a python3.12 the benchmark runs without Mesa (and says so): make bench SIM_PYTHON=...
SIM_PYTHON ?= python3.12
SIM_PEERS := .venv-sim-peers
$(SIM_PEERS)/.ok: benchmarks/sim-peers.txt
	test -x $(SIM_PEERS)/bin/python || $(SIM_PYTHON) -m venv $(SIM_PEERS) || true
	test ! -x $(SIM_PEERS)/bin/python || $(SIM_PEERS)/bin/python -m pip -q --disable-pip-version-check install -c benchmarks/sim-peers.txt 'mesa[network]==3.5.1'
	touch $@

# The dp-cgans peer of bench_dpcgan.py in a venv of its own (its other peer, smartnoise-synth's
# DPCTGAN, runs in .venv-bayes-peers). torch goes in first, alone and pinned (the CPU build), then
# dp-cgans and six (which dp-cgans 0.3.0 imports without declaring it), every package pinned by
# benchmarks/dpcgan-peers.txt.
DPCGAN_PEERS := .venv-dpcgan-peers
DPCGAN_PEERS_PIP := $(DPCGAN_PEERS)/bin/python -m pip -q --disable-pip-version-check
$(DPCGAN_PEERS)/.ok: benchmarks/dpcgan-peers.txt
	test -x $(DPCGAN_PEERS)/bin/python || $(PYTHON) -m venv $(DPCGAN_PEERS)
	$(DPCGAN_PEERS_PIP) install torch==2.13.0
	$(DPCGAN_PEERS_PIP) install -c benchmarks/dpcgan-peers.txt dp-cgans==0.3.0 six
	touch $@

bench: $(VENV)/.test $(PEERS)/.ok $(BAYES_PEERS)/.ok $(DPCGAN_PEERS)/.ok $(SIM_PEERS)/.ok
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_evaluate.py
	$(PY) benchmarks/bench_testing.py
	$(PY) benchmarks/bench_bayesnet.py
	$(PY) benchmarks/bench_dpcgan.py
	$(PY) benchmarks/bench_simulate.py

clean:
	rm -rf $(VENV) $(PEERS) $(BAYES_PEERS) $(DPCGAN_PEERS) $(SIM_PEERS) demo_out .pytest_cache .ruff_cache
