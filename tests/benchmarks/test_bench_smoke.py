"""The benchmark scripts run end to end at small sizes (timings are printed, never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    return r


@pytest.mark.slow
def test_bench_core_quick_runs():
    r = run_bench("bench_core.py", "--quick", "--only", "a,d", "--repeats", "1")
    assert "a numeric10 -> parquet" in r.stdout and "rule patients.dob_before_dod" in r.stdout


@pytest.mark.slow
def test_bench_evaluate_small_runs():
    r = run_bench("bench_evaluate.py", "--rows", "1000")
    # Every stage of the evaluation is timed, and the total is judged against the target.
    for stage in ("fidelity", "utility", "privacy attacks", "privacy", "report", "total"):
        assert f"\n{stage} " in r.stdout, stage


@pytest.mark.slow
def test_bench_testing_quick_runs():
    r = run_bench("bench_testing.py", "--quick", "--repeats", "1")
    for case in ("rows(hospital, patients)", "frames(hospital", "tables(webshop)"):
        assert case in r.stdout, case


@pytest.mark.slow
def test_bench_startup_runs():
    r = run_bench("bench_startup.py", "--runs", "1")
    assert "synthdsl check numeric10 (10 columns)" in r.stdout
    assert "heavy libraries imported by checking numeric10.synth: none" in r.stdout


@pytest.mark.slow
def test_bench_bayesnet_runs_on_a_sample(tmp_path):
    """The synthdsl side on the 2,000-row Adult sample of examples/ (the peers need `make bench`)."""
    r = run_bench(
        "bench_bayesnet.py",
        "--only",
        "synthdsl",
        "--epsilons",
        "1,none",
        "--repeats",
        "1",
        "--data",
        str(ROOT / "examples" / "data" / "adult_real.csv"),
    )
    for eps in ("1", "none"):
        row = rf"^\| synthdsl +\| {eps} +\| +0\.\d{{3}} "
        assert re.search(row, r.stdout, re.M), r.stdout
    assert "ratio, states vs states" in r.stdout and "Traceback" not in r.stderr
