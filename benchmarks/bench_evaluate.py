"""Benchmark: evaluating 50,000 x 20 real against 50,000 x 20 synthetic rows with a holdout.

Target (issue 4): the whole evaluation (fidelity, utility, anonymeter's attacks, the other privacy
figures) plus the HTML report in under 60 s on 2 cores. Prints one row per stage and the total.

Peer: SDMetrics' ``QualityReport`` (column shapes and column-pair trends; the fidelity part of what
we compute) on the same files, measured in the same run, in its own virtual environment
(``.venv-peers``, made by ``make bench``: SDMetrics pins pandas<3, which this project's venv has).
Without that venv the peer row says so.

``--rows N`` changes the size (CI's smoke test uses a small N). The tables mix 12 numeric and 8
categorical columns with correlations; the synthetic table is a fresh sample of the same process
with half its columns shuffled, so every metric has real work to do.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synthdsl import __version__
from synthdsl.evaluation import evaluate
from synthdsl.evaluation.report import write_report

ROOT = Path(__file__).resolve().parents[1]
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
TARGET_SECONDS = 60.0

PEER_SCRIPT = """
import json, sys, time
import pandas as pd
from sdmetrics.reports.single_table import QualityReport
real = pd.read_parquet(sys.argv[1]); syn = pd.read_parquet(sys.argv[2])
meta = {"columns": {c: {"sdtype": "numerical" if c.startswith("num") else "categorical"}
                    for c in real.columns}}
t = time.perf_counter()
report = QualityReport()
report.generate(real, syn, meta, verbose=False)
print(json.dumps({"seconds": time.perf_counter() - t, "score": report.get_score()}))
"""


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


def run_peer(real: Path, syn: Path) -> tuple[float | None, float | None, str]:
    if not PEER_PYTHON.exists():
        return None, None, f"no peer venv at {PEER_PYTHON} (run `make bench`)"
    t = time.perf_counter()
    r = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, str(real), str(syn)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t
    if r.returncode != 0:
        return None, None, f"peer failed: {r.stderr.strip().splitlines()[-1:]}"
    import json

    out = json.loads(r.stdout.strip().splitlines()[-1])
    return out["seconds"], out["score"], f"peer process wall time incl. import {wall:.1f} s"


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
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"bench_evaluate: {n:,} x {real.shape[1]} (real, synthetic, holdout each); "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"synthdsl {__version__}, load average {load[0]:.2f}"
    )
    # Imports outside the timing, as the peer script imports SDMetrics before its timer.
    t_imp = time.perf_counter()
    import sklearn.ensemble
    import sklearn.metrics  # noqa: F401

    import synthdsl.evaluation.attacks
    import synthdsl.evaluation.fidelity
    import synthdsl.evaluation.privacy
    import synthdsl.evaluation.utility

    synthdsl.evaluation.attacks.load_anonymeter()
    print(f"imports (not timed below): {time.perf_counter() - t_imp:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.parquet" for name in ("real", "synthetic", "holdout")}
        for name, frame in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
            frame.to_parquet(paths[name])
        marks: list[tuple[str, float]] = []
        t_all = time.perf_counter()
        result = evaluate(
            paths["real"],
            paths["synthetic"],
            holdout=paths["holdout"],
            target="label",
            subgroups=("cat0",),
            quasi_identifiers=("cat1", "cat2", "num0", "num1"),
            sensitive=("label",),
            seed=0,
            progress=lambda stage: marks.append((stage, time.perf_counter())),
        )
        marks.append(("report", time.perf_counter()))
        write_report(Path(tmp) / "report.html", result)
        end = time.perf_counter()
        total = end - t_all
        size_kb = (Path(tmp) / "report.html").stat().st_size / 1024
        peer_sec, peer_score, peer_note = run_peer(paths["real"], paths["synthetic"])
    stamps = [*marks, ("end", end)]
    scores = {
        "fidelity": result.fidelity["score"],
        "utility": result.utility["score"],
        "privacy": result.privacy["score"],
    }
    print(f"{'stage':<16} {'seconds':>8}  result")
    for (stage, start), (_, stop) in itertools.pairwise(stamps):
        info = ""
        if stage in scores:
            info = f"score {scores[stage]:.3f}"
        elif stage == "privacy attacks":
            p = result.privacy
            info = (
                f"singling out {p['singling_out_risk']:.3f}, linkability "
                f"{p['linkability_risk']:.3f}, inference {p['inference_risk']:.3f}"
            )
        elif stage == "report":
            info = f"{size_kb:,.0f} KB HTML"
        print(f"{stage:<16} {stop - start:>8.1f}  {info}")
    met = "yes" if total < TARGET_SECONDS else "NO"
    print(f"{'total':<16} {total:>8.1f}  target < {TARGET_SECONDS:.0f} s: {met}")
    fid = next(
        stop - start for (s, start), (_, stop) in itertools.pairwise(stamps) if s == "fidelity"
    )
    if peer_sec is None:
        print(f"peer: SDMetrics QualityReport: {peer_note}")
    else:
        print(
            f"peer: SDMetrics QualityReport {peer_sec:.1f} s (score {peer_score:.3f}); our "
            f"fidelity stage {fid:.1f} s = {peer_sec / fid:.2f}x its speed while also computing "
            f"detection AUC, MMD and Cramér's V ({peer_note})"
        )
    for note in result.settings["sampling"]:
        print(f"sampled: {note}")
    print(f"python {sys.version.split()[0]}, load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
