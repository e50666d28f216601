"""Benchmark: evaluating 50,000 x 20 real against 50,000 x 20 synthetic rows with a holdout.

Target (issue 4): under 60 s on 2 cores. Prints one row per part and the total; ``--rows N`` changes
the size (CI's smoke test uses a small N). The tables mix 12 numeric and 8 categorical columns with
correlations, and the synthetic table is the real one with half its columns shuffled (so every metric
has real work to do).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from synthdsl.evaluation.fidelity import fidelity
from synthdsl.evaluation.privacy import privacy
from synthdsl.evaluation.utility import utility

TARGET_SECONDS = 60.0


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 4))
    cols = {}
    for i in range(12):
        cols[f"num{i}"] = z[:, i % 4] * (1 + i / 6) + rng.normal(0, 0.5, n)
    for i in range(7):
        cols[f"cat{i}"] = np.array(list("abcdefgh"))[
            np.clip((z[:, i % 4] * 2 + 4).astype(int), 0, 7)
        ]
    cols["label"] = np.where(z[:, 0] + z[:, 1] + rng.normal(0, 1, n) > 0, "yes", "no")
    return pd.DataFrame(cols)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    args = ap.parse_args()
    n = args.rows
    real, holdout = table(n, 1), table(n, 2)
    synthetic = table(n, 3)
    rng = np.random.default_rng(4)
    for c in list(synthetic.columns)[::2]:
        synthetic[c] = rng.permutation(synthetic[c].to_numpy())
    kinds = {c: "numeric" if c.startswith("num") else "categorical" for c in real.columns}
    print(
        f"bench_evaluate: {n:,} x {real.shape[1]} (real, synthetic, holdout each); "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}"
    )
    rows = []
    t_all = time.perf_counter()
    for name, fn in (
        ("fidelity", lambda: fidelity(real, synthetic, kinds, seed=0)),
        (
            "utility",
            lambda: utility(
                real, synthetic, kinds, target="label", holdout=holdout, subgroups=("cat0",), seed=0
            ),
        ),
        (
            "privacy",
            lambda: privacy(
                real, synthetic, kinds, holdout=holdout, quasi_identifiers=("cat1", "cat2"), seed=0
            ),
        ),
    ):
        t = time.perf_counter()
        out = fn()
        rows.append((name, time.perf_counter() - t, out.get("score")))
    total = time.perf_counter() - t_all
    print(f"{'part':<10} {'seconds':>8} {'score':>7}")
    for name, secs, score in rows:
        print(f"{name:<10} {secs:>8.1f} {score:>7.3f}")
    met = "yes" if total < TARGET_SECONDS else "NO"
    print(f"{'total':<10} {total:>8.1f}   target < {TARGET_SECONDS:.0f} s: {met}")
    print("quadratic parts are sampled (fidelity: 20,000 rows; privacy: 5,000 query rows)")


if __name__ == "__main__":
    main()
