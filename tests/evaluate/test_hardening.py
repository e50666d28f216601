"""Bad numbers, tiny tables and library noise in `synthdsl evaluate` (issue 10).

The CLI runs in a subprocess: only then does the test see exactly what reaches a user's terminal
(Python prints each warning once per process and place, so an in-process runner can miss them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthdsl.evaluation import evaluate
from tests.conftest import ROOT
from tests.evaluate.frames import frame


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "synthdsl", "evaluate", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def _quiet(r: subprocess.CompletedProcess) -> None:
    """Nothing from a library on stderr: no warning, no traceback."""
    assert "Warning" not in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, seed in (("real", 1), ("syn", 2), ("hold", 3)):
        out[name] = tmp_path / f"{name}.csv"
        frame(300, seed).to_csv(out[name], index=False)
    return out


def test_infinity_names_the_file_column_and_row(tables, tmp_path):
    syn = frame(300, 2)
    syn["x"] = syn["x"].astype(object)
    syn.loc[5, "x"] = "inf"
    bad = tmp_path / "bad.csv"
    syn.to_csv(bad, index=False)
    r = _cli(
        "--real", str(tables["real"]), "--synthetic", str(bad), "--target", "label", "--no-attacks"
    )
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"synthetic table {bad}" in r.stderr
    assert "column 'x'" in r.stderr and "row 6" in r.stderr and "inf" in r.stderr
    _quiet(r)


def test_huge_finite_values_are_limited_with_a_note(tables, tmp_path):
    syn = frame(300, 2)
    syn.loc[5, "x"] = 1e308
    syn.loc[7, "y"] = -1e308
    big = tmp_path / "big.csv"
    syn.to_csv(big, index=False)
    out = tmp_path / "r.json"
    r = _cli(
        "--real",
        str(tables["real"]),
        "--synthetic",
        str(big),
        "--holdout",
        str(tables["hold"]),
        "--target",
        "label",
        "--json",
        str(out),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    _quiet(r)
    data = json.loads(out.read_text())
    notes = data["settings"]["notes"]
    assert any("'x'" in n and "data row 6" in n and "1e+30" in n for n in notes), notes
    assert any("'y'" in n and "data row 8" in n for n in notes), notes
    assert "note: " in r.stdout and "data row 6" in r.stdout
    for part in ("fidelity", "utility", "privacy"):
        assert 0.0 <= data[part]["score"] <= 1.0
    assert data["privacy"]["membership_inference_auc"] is not None


def test_a_one_row_holdout_withholds_its_figures(tables, tmp_path):
    one = tmp_path / "one.csv"
    frame(300, 3).iloc[:1].to_csv(one, index=False)
    out, report = tmp_path / "r.json", tmp_path / "r.html"
    r = _cli(
        "--real",
        str(tables["real"]),
        "--synthetic",
        str(tables["syn"]),
        "--holdout",
        str(one),
        "--target",
        "label",
        "--sensitive",
        "g",
        "--json",
        str(out),
        "--report",
        str(report),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    _quiet(r)
    data = json.loads(out.read_text())
    util, priv = data["utility"], data["privacy"]
    assert util["score"] is None and "at least 20" in util["withheld"]["score"]
    assert priv["membership_inference_auc"] is None
    assert "at least 30" in priv["withheld"]["membership_inference_auc"]
    assert priv["dcr"]["share_closer_than_holdout"] is None
    for risk in ("singling_out_risk", "linkability_risk", "inference_risk"):
        assert priv[risk] is None and "at least 50" in priv["withheld"][risk]
    assert "utility withheld" in r.stdout and "membership AUC withheld" in r.stdout
    assert "withheld utility.score: the test set (holdout) has 1 row" in r.stdout
    html = report.read_text()
    assert "withheld: the test set (holdout) has 1 row" in html
    assert "withheld: the real table has 300 rows and the holdout 1" in html


def test_too_few_real_rows_for_a_split_withholds_utility():
    result = evaluate(frame(50, 1), frame(300, 2), target="label", attacks=False)
    assert result.utility["score"] is None
    reason = result.utility["withheld"]["score"]
    assert "50 real rows" in reason and "--holdout" in reason
    assert result.fidelity["score"] is not None


def test_an_all_null_column_prints_no_library_warning(tables, tmp_path):
    real = frame(300, 1).assign(x=np.nan)
    empty = tmp_path / "real_empty.csv"
    real.to_csv(empty, index=False)
    out = tmp_path / "r.json"
    r = _cli(
        "--real",
        str(empty),
        "--synthetic",
        str(tables["syn"]),
        "--holdout",
        str(tables["hold"]),
        "--target",
        "label",
        "--no-attacks",
        "--json",
        str(out),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    _quiet(r)
    data = json.loads(out.read_text())
    assert any("'x' has no value in the real" in n for n in data["utility"]["notes"])
    assert "'x' has no value" in r.stdout
    imputer = [w for w in data["settings"].get("library_warnings", []) if "Skipping" in w]
    assert not imputer


def test_a_column_null_everywhere_declared_numeric_is_no_traceback(tmp_path):
    paths = []
    for name, seed in (("real", 1), ("syn", 2), ("hold", 3)):
        paths.append(tmp_path / f"{name}.csv")
        frame(300, seed).assign(empty=np.nan).to_csv(paths[-1], index=False)
    r = _cli(
        "--real",
        str(paths[0]),
        "--synthetic",
        str(paths[1]),
        "--holdout",
        str(paths[2]),
        "--target",
        "label",
        "--kind",
        "empty=numeric",
        "--no-attacks",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    _quiet(r)
    assert "'empty' has no value in the synthetic data" in r.stdout


def test_the_python_api_raises_no_warning_even_when_warnings_are_errors():
    real = frame(200, 1)
    syn = frame(200, 2).assign(x=lambda f: f.x * 1e29)  # huge but finite: overflow-prone
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = evaluate(real, syn, holdout=frame(200, 3), target="y", attacks=False)
    assert result.utility["score"] is not None
    assert isinstance(result.settings.get("library_warnings", []), list)


def test_infinity_in_a_frame_names_the_table_column_and_row():
    from synthdsl.errors import DataError

    real = frame(100, 1)
    real.loc[41, "y"] = -np.inf
    with pytest.raises(DataError) as exc:
        evaluate(real, frame(100, 2), attacks=False)
    assert exc.value.column == "y" and exc.value.row == 42
    assert "real table" in str(exc.value) and "-inf" in str(exc.value)


def test_a_parquet_infinity_is_refused_too(tables, tmp_path):
    syn = frame(300, 2)
    syn.loc[0, "x"] = np.inf
    path = tmp_path / "syn.parquet"
    pd.DataFrame(syn).to_parquet(path)
    r = _cli("--real", str(tables["real"]), "--synthetic", str(path), "--no-attacks")
    assert r.returncode == 1 and "column 'x'" in r.stderr and "row 1" in r.stderr
    _quiet(r)


@pytest.mark.parametrize("where", ["real", "synthetic", "holdout"])
def test_a_numeric_target_with_no_value_is_an_error_not_withheld(where):
    """docs/evaluate.md: "a target with no values" is an error; an all-null numeric target gave
    "utility withheld: a 30% test split of 0 real rows" (exit 0) instead (review of issue 10)."""
    from synthdsl.errors import DataError

    tables = {"real": frame(200, 1), "synthetic": frame(200, 2), "holdout": frame(200, 3)}
    tables[where] = tables[where].assign(y=np.nan)
    with pytest.raises(DataError) as exc:
        evaluate(
            tables["real"],
            tables["synthetic"],
            holdout=tables["holdout"],
            target="y",
            attacks=False,
        )
    assert exc.value.column == "y" and "has no value in the" in str(exc.value)
