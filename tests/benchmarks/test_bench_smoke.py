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


@pytest.mark.slow
def test_bench_dpcgan_runs_on_a_sample():
    """The synthdsl side on 1,500 training rows, two epochs (the peers need `make bench`)."""
    r = run_bench(
        "bench_dpcgan.py",
        "--only",
        "synthdsl",
        "--epsilons",
        "3,none",
        "--repeats",
        "1",
        "--rows",
        "1500",
        "--epochs",
        "2",
    )
    for eps in ("3", "none"):
        row = rf"^\| synthdsl +\| {eps} +\| +0\.\d{{3}} "
        assert re.search(row, r.stdout, re.M), r.stdout
    assert re.search(r"^\| real data .*\| +1\.000 \|", r.stdout, re.M), r.stdout
    assert "eps 3: training" in r.stdout and "Traceback" not in r.stderr


def table_rows(stdout: str) -> dict[tuple[str, int], list[str]]:
    """The Markdown table's rows by (tool, entities): their cells, stripped."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) > 2 and cells[1].replace(",", "").isdigit():
            rows[(cells[0], int(cells[1].replace(",", "")))] = cells
    return rows


@pytest.mark.slow
def test_bench_simulate_quick_runs():
    """synthdsl (end to end and in memory) and the Python loop on the cohort at smoke sizes (Mesa
    where `make bench` made its venv); the big run is skipped."""
    r = run_bench("bench_simulate.py", "--quick")
    rows = table_rows(r.stdout)
    measured = [
        rows.get(("synthdsl", 2000)),
        rows.get(("synthdsl (in memory)", 2000)),
        rows.get(("synthdsl (in memory)", 500)),
        rows.get(("Python loop", 500)),
    ]
    if (ROOT / ".venv-sim-peers" / "bin" / "python").exists():
        measured.append(next((v for (t, n), v in rows.items() if t.startswith("Mesa")), None))
    for cells in measured:
        assert cells is not None, r.stdout
        steps, seconds, rate, visits, history, rss = (cells[i] for i in (2, 3, 4, 7, 8, 9))
        assert steps == "26", cells
        assert float(seconds) > 0 and float(rate.replace(",", "")) > 0, cells
        assert int(visits.replace(",", "")) > 0 and int(history.replace(",", "")) > 0, cells
        assert float(rss.replace(",", "")) > 0, cells
    assert re.search(r"ratio vs synthdsl", r.stdout) and "same work (loop vs synthdsl" in r.stdout
    assert re.search(r"ratio vs in memory", r.stdout), r.stdout
    assert (
        "synthdsl in memory and end to end at 2,000 entities made the same row counts" in r.stdout
    )
    for how in ("end to end (CLI, files)", "in memory (like the peers)"):
        assert f"synthdsl >= 50x the Python loop, {how}" in r.stdout, r.stdout
    assert "Traceback" not in r.stderr
