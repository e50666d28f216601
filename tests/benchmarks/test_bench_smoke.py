"""The benchmark script runs end to end at small sizes (timings are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_bench_core_quick_runs():
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_core.py"),
            "--quick",
            "--only",
            "a,d",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "a numeric10 -> parquet" in r.stdout and "rule patients.dob_before_dod" in r.stdout


@pytest.mark.slow
def test_bench_evaluate_small_runs():
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_evaluate.py"), "--rows", "1000"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "fidelity" in r.stdout and "total" in r.stdout
