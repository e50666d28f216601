"""The peers of bench_dpcgan.py, run in their own virtual environments.

    .venv-dpcgan-peers/bin/python benchmarks/_dpcgan_peers.py --peer dpcgans \\
        --epsilon 3 --train train.csv --out synthetic.csv --epochs 1 --categorical workclass,...
    .venv-bayes-peers/bin/python benchmarks/_dpcgan_peers.py --peer dpctgan \\
        --epsilon 3 --train train.csv --out synthetic.csv --epochs 300 --categorical workclass,...

Learns from ``--train`` (a CSV; "?" marks a missing value and is kept as a category of its own, as
it is in the file), samples as many rows as it has (or ``--rows``), writes them to ``--out`` (same
columns, "?" for missing) and prints one JSON line: ``fit_s``, ``sample_s``, ``import_s``, ``rows``,
``epochs`` (run), ``epsilon_spent``, ``version`` and ``note``. Timings: fit = building the model's
transformer and training; sample = drawing the rows and writing the CSV; the interpreter start and
the imports are outside both (``import_s``).

Peers:

* ``dpcgans``: dp-cgans 0.3.0 (``.venv-dpcgan-peers``), ``DP_CGAN(epochs=N, private=True)``, its
  README's API: ``fit(frame)`` then ``sample(n)``, text columns as ``object`` (its metadata makes
  them discrete), numbers as int64 (its CTGAN-style mode-specific normalization). It takes NO
  target epsilon: ``private=True`` switches on its noise (hard-coded ``sigma = 1``: Gaussian noise
  of std ``sigma / batch_size`` added to every discriminator gradient by a hook, plus weight
  clipping at 0.01; no per-example gradient clipping) and it PRINTS an epsilon after each epoch
  from an RDP accountant (noise multiplier 1, q = batch / rows, ``steps = i * steps_per_epoch`` with
  the 0-based epoch index i, delta hard-coded 2e-6). The same model therefore runs at every finite
  ``--epsilon``; ``epsilon_spent`` is the last epsilon it printed. ``none`` = ``private=False``.
  It writes ``fitted_transformer.pkl``, ``loss_output_*.txt`` and ``data/weights/`` into the working
  directory and LOADS ``fitted_transformer.pkl`` from there when present: this script runs it in a
  fresh temporary directory. Its epochs are slow; ``--epochs`` caps them (default 1).
* ``dpctgan``: smartnoise-synth 1.0.8 (``.venv-bayes-peers``), ``Synthesizer.create("dpctgan",
  epsilon=E, delta=1e-5, epochs=N, sigma=S)``: opacus DP-SGD on the discriminator (clip 1.0, batch
  500). Its default sigma 5 spends epsilon 3 only after about 200 epochs; S is calibrated here so
  that the epoch cap spends the whole budget (``calibrated_sigma``). Its epsilon IS a target: before each epoch it asks opacus for the epsilon spent so far and
  stops once that exceeds E (so the last epoch may overshoot E by one epoch's worth; ``--epochs``
  is only a cap, default 300 = its own default). ``none`` = its ``disabled_dp=True`` (the
  constructor's documented switch for training without DP; the epsilon check is skipped and all
  ``--epochs`` run). Its continuous columns go through snsynth's ``MinMaxTransformer``, which needs
  bounds (else it spends budget to estimate them): we give the public bounds of bench_bayesnet /
  _bayes_peers (``PUBLIC_BOUNDS``: UCI's extraction rules and the Census top codes), so no budget
  is spent on preprocessing. The categorical columns (labels read from the data, as for MST) are
  one-hot encoded by snsynth.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MISSING = "?"
DELTA = 1e-5  # the delta synthdsl's spec uses; given to DPCTGAN (dp-cgans hard-codes 2e-6)

# The public bounds of bench_bayesnet.PUBLIC_BOUNDS (this script runs in the peers' venvs, which
# cannot import the benchmark: it imports pandas 3 era code); bench_dpcgan checks they agree.
PUBLIC_BOUNDS = {
    "age": (17, 90),
    "fnlwgt": (1, 1_500_000),
    "education-num": (1, 16),
    "capital-gain": (0, 99_999),
    "capital-loss": (0, 4_356),
    "hours-per-week": (1, 99),
}


def read(train: Path, categorical: list[str]) -> pd.DataFrame:
    """The training CSV: categorical columns as text ("?" kept), the others as int64."""
    frame = pd.read_csv(train, dtype=str, keep_default_na=False)
    for c in frame.columns:
        if c not in categorical:
            frame[c] = pd.to_numeric(frame[c]).astype(np.int64)
    return frame


def write(frame: pd.DataFrame, out: Path, columns: list[str]) -> None:
    frame = frame[columns].copy()
    for c in columns:
        if frame[c].dtype.kind == "f":  # numbers back as integers, as in the file
            frame[c] = frame[c].round().astype("Int64")
    frame.to_csv(out, index=False, na_rep=MISSING)


# ---------------------------------------------------------------------------------------------
# dp-cgans
# ---------------------------------------------------------------------------------------------


def run_dpcgans(
    train: Path, out: Path, epsilon: float | None, categorical: list[str], rows: int, epochs: int
) -> dict:
    import dp_cgans
    from dp_cgans import DP_CGAN

    import_s = time.perf_counter() - t_import
    frame = read(train, categorical)
    for c in categorical:
        frame[c] = frame[c].astype(object)
    here = Path.cwd()
    log = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="dpcgans_") as tmp:
        os.chdir(tmp)  # it reads and writes fitted_transformer.pkl etc. in the working directory
        try:
            with contextlib.redirect_stdout(log):
                t0 = time.perf_counter()
                model = DP_CGAN(
                    epochs=epochs,
                    private=epsilon is not None,
                    saved_transformer=None,
                    verbose=False,
                )
                model.fit(frame)
                fit_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                sampled = model.sample(rows)
        finally:
            os.chdir(here)
    write(sampled, out, list(frame.columns))
    sample_s = time.perf_counter() - t0
    printed = re.findall(r"differential privacy with eps = ([0-9.eE+-]+|nan|inf)", log.getvalue())
    spent = float(printed[-1]) if printed else None
    note = f"epoch cap {epochs}"
    if epsilon is not None:
        note += f"; no target epsilon (private=True, sigma 1); it printed eps {printed[-1] if printed else '?'} at delta 2e-6"
    return {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "import_s": import_s,
        "rows": len(sampled),
        "epochs": epochs,
        "epsilon_spent": spent,
        "version": getattr(dp_cgans, "__version__", "0.3.0"),
        "note": note,
    }


# ---------------------------------------------------------------------------------------------
# smartnoise-synth DPCTGAN
# ---------------------------------------------------------------------------------------------


def run_dpctgan(
    train: Path, out: Path, epsilon: float | None, categorical: list[str], rows: int, epochs: int
) -> dict:
    import snsynth
    import torch
    from snsynth import Synthesizer
    from snsynth.transform import MinMaxTransformer

    import_s = time.perf_counter() - t_import
    frame = read(train, categorical)
    continuous = [c for c in frame.columns if c not in categorical]
    missing = [c for c in continuous if c not in PUBLIC_BOUNDS]
    if missing:
        raise SystemExit(f"DPCTGAN: no public bounds for the numeric columns {missing}")
    bounds = {
        c: MinMaxTransformer(lower=PUBLIC_BOUNDS[c][0], upper=PUBLIC_BOUNDS[c][1])
        for c in continuous
    }
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    t0 = time.perf_counter()
    extra = {}
    if epsilon is not None:  # its sigma set so that the epoch cap spends the budget (see below)
        extra["sigma"] = calibrated_sigma(float(epsilon), len(frame), epochs)
    synth = Synthesizer.create(
        "dpctgan",
        epsilon=float(epsilon) if epsilon is not None else 1.0,
        delta=DELTA,
        epochs=epochs,
        verbose=False,
        disabled_dp=epsilon is None,
        cuda=False,
        **extra,
    )
    with contextlib.redirect_stdout(io.StringIO()):
        synth.fit(
            frame,
            transformer=bounds,
            categorical_columns=categorical,
            continuous_columns=continuous,
            preprocessor_eps=0.0,
        )
    fit_s = time.perf_counter() - t0
    ran = len(synth.loss_d_list)
    spent = None
    if epsilon is not None:
        spent = spent_dpctgan(synth, len(frame), ran)
    t0 = time.perf_counter()
    sampled = synth.sample(rows)
    if not isinstance(sampled, pd.DataFrame):
        sampled = pd.DataFrame(list(sampled), columns=frame.columns)
    write(sampled, out, list(frame.columns))
    sample_s = time.perf_counter() - t0
    note = f"{ran} of at most {epochs} epochs"
    if epsilon is None:
        note += "; disabled_dp=True"
    elif spent is not None:
        note += f"; spent eps {spent:.2f} at delta {DELTA:g}"
    return {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "import_s": import_s,
        "rows": len(sampled),
        "epochs": ran,
        "epsilon_spent": spent,
        "version": getattr(snsynth, "__version__", "1.0.8"),
        "note": note,
    }


BATCH = 500  # DPCTGAN's default batch


def calibrated_sigma(epsilon: float, n: int, epochs: int) -> float:
    """The noise multiplier with which DPCTGAN's ``epochs`` (two optimizer steps per batch, as
    ``spent_dpctgan`` counts them) spend ``epsilon`` at ``DELTA``: its default sigma 5 spends
    epsilon 3 only after about 200 epochs (35 minutes here), so a smaller cap would leave most of
    its budget unspent; calibrated, the cap uses all of it, as synthdsl's training does. A binary
    search over opacus' RDP analysis (the venv's opacus predates ``get_noise_multiplier``)."""
    from opacus import privacy_analysis

    steps = 2 * max(n // BATCH, 1) * epochs
    orders = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))

    def spent(sigma: float) -> float:
        rdp = privacy_analysis.compute_rdp(BATCH / n, sigma, steps, orders)
        return float(privacy_analysis.get_privacy_spent(orders, rdp, DELTA)[0])

    lo, hi = 0.3, 50.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if spent(mid) <= epsilon else (mid, hi)
    return hi


def spent_dpctgan(synth, n: int, epochs_run: int) -> float | None:
    """The epsilon DPCTGAN spent in the epochs it ran, by opacus's RDP analysis with its own
    parameters: two optimizer steps per batch (fake, then real), sigma, q = batch / rows."""
    try:
        from opacus import privacy_analysis
    except ImportError:
        return None
    steps = 2 * max(n // synth._batch_size, 1) * epochs_run
    orders = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
    rdp = privacy_analysis.compute_rdp(synth._batch_size / n, synth.sigma, steps, orders)
    eps, _ = privacy_analysis.get_privacy_spent(orders, rdp, synth.delta)
    return float(eps)


PEERS = {"dpcgans": run_dpcgans, "dpctgan": run_dpctgan}
DEFAULT_EPOCHS = {"dpcgans": 1, "dpctgan": 300}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--peer", required=True, choices=sorted(PEERS))
    ap.add_argument("--epsilon", required=True, help="a positive number, or none")
    ap.add_argument("--train", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--categorical", default="", help="comma-separated categorical columns")
    ap.add_argument("--rows", type=int, help="rows to sample (default: as many as --train)")
    ap.add_argument("--epochs", type=int, help="epoch cap (dpcgans 1, dpctgan 300)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    epsilon = None if args.epsilon.lower() == "none" else float(args.epsilon)
    categorical = [c for c in args.categorical.split(",") if c]
    rows = args.rows or sum(1 for _ in args.train.open()) - 1
    epochs = args.epochs or DEFAULT_EPOCHS[args.peer]
    np.random.seed(args.seed)  # both draw batches and conditions from numpy's global generator
    import torch

    torch.manual_seed(args.seed)
    result = PEERS[args.peer](args.train, args.out.resolve(), epsilon, categorical, rows, epochs)
    print(json.dumps({"peer": args.peer, "epsilon": args.epsilon, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
