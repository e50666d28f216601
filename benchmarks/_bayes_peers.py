"""The peers of bench_bayesnet.py, run in their own virtual environment (``.venv-bayes-peers``).

    .venv-bayes-peers/bin/python benchmarks/_bayes_peers.py --peer datasynthesizer \\
        --epsilon 1 --train train.csv --out synthetic.csv --categorical workclass,education,...

Learns from ``--train`` (a CSV, "?" marks a missing value and is kept as a category of its own,
as it is in the file), samples as many rows as it has (or ``--rows``), writes them to ``--out``
(same columns, "?" for missing) and prints one JSON line: ``fit_s``, ``sample_s``, ``import_s``,
``rows``, ``version`` and ``note``. Timings: fit = learning plus saving what sampling needs (the
description file for DataSynthesizer), sample = drawing the rows plus writing the CSV; the
interpreter start and the imports are outside both (``import_s``).

Peers:

* ``datasynthesizer``: DataSynthesizer 0.1.13, ``DataDescriber.describe_dataset_in_correlated_
  attribute_mode(k=2, epsilon=E)`` (PrivBayes) and ``DataGenerator.generate_dataset_in_correlated_
  attribute_mode``. ``--epsilon none`` passes ``epsilon=0``, which its docstring and code treat as
  "no differential privacy": ``greedy_bayes`` takes ``if epsilon:`` before the exponential mechanism
  (otherwise the best pair by mutual information is taken), ``get_noisy_distribution_of_attributes``
  adds Laplace noise only ``if epsilon:``, and ``AbstractAttribute.inject_laplace_noise`` only when
  ``epsilon > 0``. Numeric columns are binned by DataSynthesizer itself (20 equal-width bins between
  the data's min and max, which it reads from the data without noise; values drawn uniformly within
  a bin).
* ``mst``: smartnoise-synth 1.0.8, ``Synthesizer.create("mst", epsilon=E)`` (delta stays at its
  default 1e-9). MST works on discrete data only and has no non-DP mode (``--epsilon none`` is an
  error; the benchmark reports "n/a"). The continuous columns are binned HERE, not by snsynth's
  ``BinTransformer``: that one decodes every bin to its midpoint, which would put MST at a needless
  disadvantage on the column (KS) figures; we use fixed edges from public bounds (``PUBLIC_BOUNDS``,
  so the binning spends no privacy budget), 20 equal-width bins like DataSynthesizer's, a bin of
  its own for the value 0 of the two capital columns (about 90% of people have none), and decode a
  bin to a uniform integer within it, as DataSynthesizer does. The binned columns and the
  categorical ones go to MST as ``categorical_columns``. MST's Gaussian noise comes from OpenDP's
  samplers (``snsynth.utils.gaussian_noise``), which draw from a cryptographic generator that
  cannot be seeded: MST's figures differ from run to run even at the same ``--seed`` (which fixes
  numpy's global generator: its exponential mechanism and its sampling).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

t_import = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MISSING = "?"
BINS = 20

# Public bounds of the Adult (UCI "Census Income") columns, for MST's binning. From the UCI
# documentation (adult.names): the records were extracted with AAGE > 16, AFNLWGT > 1 and
# HRSWK > 0, which give the lower bounds. The upper bounds are the Census top codes (age 90,
# capital-gain 99,999, hours-per-week 99) and, for fnlwgt and capital-loss, which have no top code,
# round figures at or above the largest value in the public UCI files (1,490,400 and 4,356).
PUBLIC_BOUNDS = {
    "age": (17, 90),
    "fnlwgt": (1, 1_500_000),
    "capital-gain": (0, 99_999),
    "capital-loss": (0, 4_356),
    "hours-per-week": (1, 99),
}
ZERO_BIN = {"capital-gain", "capital-loss"}  # 0 gets a bin of its own


# ---------------------------------------------------------------------------------------------
# DataSynthesizer (PrivBayes, correlated attribute mode)
# ---------------------------------------------------------------------------------------------


def run_datasynthesizer(
    train: Path, out: Path, epsilon: float | None, categorical: list[str], rows: int, seed: int
) -> dict:
    from DataSynthesizer.DataDescriber import DataDescriber
    from DataSynthesizer.DataGenerator import DataGenerator

    import_s = time.perf_counter() - t_import
    # DataSynthesizer 0.1.13 keys its conditional tables by str() of lists of numpy integers and
    # eval()s them back in the generator; under numpy 2 that str() reads "np.int64(3)", which its
    # eval() cannot resolve. numpy's 1.25 print style writes "3" again (nothing else changes).
    np.set_printoptions(legacy="1.25")
    columns = list(pd.read_csv(train, nrows=0).columns)
    with tempfile.TemporaryDirectory() as tmp:
        description = Path(tmp) / "description.json"
        t0 = time.perf_counter()
        describer = DataDescriber()  # histogram_bins=20, category_threshold=20 (its defaults)
        describer.describe_dataset_in_correlated_attribute_mode(
            str(train),
            k=2,
            epsilon=0 if epsilon is None else epsilon,  # 0: no DP (see the module docstring)
            attribute_to_is_categorical={c: c in categorical for c in columns},
            attribute_to_is_candidate_key=dict.fromkeys(columns, False),
            seed=seed,
        )
        describer.save_dataset_description_to_file(str(description))
        fit_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        generator = DataGenerator()
        generator.generate_dataset_in_correlated_attribute_mode(rows, str(description), seed=seed)
        frame = generator.synthetic_dataset
        frame.to_csv(out, index=False)
        sample_s = time.perf_counter() - t0
    import DataSynthesizer

    return {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "import_s": import_s,
        "rows": len(frame),
        "version": getattr(DataSynthesizer, "__version__", "0.1.13"),
        "note": f"network: {describer.bayesian_network}",
    }


# ---------------------------------------------------------------------------------------------
# smartnoise-synth MST
# ---------------------------------------------------------------------------------------------


def bin_edges(column: str) -> np.ndarray:
    lo, hi = PUBLIC_BOUNDS[column]
    if column in ZERO_BIN:  # [0, 1) then 20 equal-width bins over [1, hi + 1)
        return np.concatenate([[0], np.linspace(1, hi + 1, BINS + 1)])
    return np.linspace(lo, hi + 1, BINS + 1)


def to_bins(values: pd.Series, edges: np.ndarray) -> np.ndarray:
    """Bin index of each value; values outside the public bounds are clamped into the end bins."""
    idx = np.searchsorted(edges, values.to_numpy(dtype=float), side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def from_bins(idx: np.ndarray, edges: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniform integer within each bin [edges[i], edges[i + 1])."""
    lo = np.ceil(edges[idx]).astype(np.int64)
    hi = np.ceil(edges[idx + 1]).astype(np.int64)  # exclusive
    return rng.integers(lo, np.maximum(hi, lo + 1))


def run_mst(
    train: Path, out: Path, epsilon: float | None, categorical: list[str], rows: int, seed: int
) -> dict:
    if epsilon is None:
        raise SystemExit("MST has no non-DP mode: give a finite epsilon")
    import snsynth
    from snsynth import Synthesizer

    import_s = time.perf_counter() - t_import
    np.random.seed(seed)  # MST draws its noise and its samples from numpy's global generator
    rng = np.random.default_rng(seed)
    frame = pd.read_csv(train, dtype=str, keep_default_na=False)
    numeric = [c for c in frame.columns if c not in categorical]
    missing = [c for c in numeric if c not in PUBLIC_BOUNDS]
    if missing:
        raise SystemExit(f"MST: no public bounds for the numeric columns {missing}")

    t0 = time.perf_counter()
    data = frame.copy()
    edges = {c: bin_edges(c) for c in numeric}
    for c in numeric:  # the numeric columns have no "?" in Adult; a "?" would fail here
        data[c] = to_bins(pd.to_numeric(data[c]), edges[c])
    synth = Synthesizer.create("mst", epsilon=float(epsilon))
    synth.fit(data, categorical_columns=list(data.columns), preprocessor_eps=0.0)
    fit_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    sampled = synth.sample(rows)
    if not isinstance(sampled, pd.DataFrame):
        sampled = pd.DataFrame(list(sampled), columns=data.columns)
    for c in numeric:
        sampled[c] = from_bins(sampled[c].to_numpy(dtype=np.int64), edges[c], rng)
    sampled.to_csv(out, index=False)
    sample_s = time.perf_counter() - t0
    return {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "import_s": import_s,
        "rows": len(sampled),
        "version": getattr(snsynth, "__version__", "1.0.8"),
        "note": f"delta={synth.delta:g}; binned here: {', '.join(numeric)}",
    }


PEERS = {"datasynthesizer": run_datasynthesizer, "mst": run_mst}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--peer", required=True, choices=sorted(PEERS))
    ap.add_argument("--epsilon", required=True, help="a positive number, or none")
    ap.add_argument("--train", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--categorical", default="", help="comma-separated categorical columns")
    ap.add_argument("--rows", type=int, help="rows to sample (default: as many as --train)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    epsilon = None if args.epsilon.lower() == "none" else float(args.epsilon)
    categorical = [c for c in args.categorical.split(",") if c]
    rows = args.rows or sum(1 for _ in args.train.open()) - 1
    result = PEERS[args.peer](args.train, args.out, epsilon, categorical, rows, args.seed)
    print(json.dumps({"peer": args.peer, "epsilon": args.epsilon, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
