"""Specs over a small sample of UCI Adult (examples/data/adult_real.csv, 2,000 rows, CC BY 4.0)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "examples" / "data" / "adult_real.csv"
COLUMNS = ["age", "workclass", "education", "relationship", "sex", "capital-gain", "class"]


def q(name: str) -> str:
    return f"`{name}`" if "-" in name else name


def declarations(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """Each column typed as the data is: int, or an enum of its labels (public domain)."""
    out = []
    for c in columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s):
            out.append(f"  {q(c)} int")
        else:
            labels = ", ".join(f'"{v}"' for v in sorted(s.dropna().unique()))
            out.append(f"  {q(c)} enum({labels}){'?' if s.isna().any() else ''}")
    return out


def adult_spec(
    privacy: str = "privacy epsilon 1",
    *,
    columns: list[str] = COLUMNS,
    rows: int = 1500,
    extra_model: str = "",
    extra_table: str = "",
    given: str = "",
    data: str = "adult.csv",
    frame: pd.DataFrame | None = None,
) -> str:
    frame = pd.read_csv(ADULT, na_values="?") if frame is None else frame
    cols = ", ".join(q(c) for c in columns)
    drawn = ", ".join(q(c) for c in columns if c != given)
    return "\n".join(
        [
            "seed 11",
            f'dataset adult = csv("{data}", na = "?")',
            "model net : bayesnet {",
            f"  learn from adult ({cols})",
            f"  {privacy}",
            *([f"  {extra_model}"] if extra_model else []),
            "}",
            "table twin {",
            f"  rows {rows}",
            "  id int = serial() key",
            *declarations(frame, columns),
            f"  ({drawn}) ~ net" + (f" given {q(given)}" if given else ""),
            *([f"  {extra_table}"] if extra_table else []),
            "}",
            "",
        ]
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ADULT, tmp_path / "adult.csv")
    return tmp_path


def synthdsl(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line as a user runs it, in a child process (a traceback shows as one)."""
    return subprocess.run(
        [sys.executable, "-m", "synthdsl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return synthdsl(cwd, *args)


def out_of(r: subprocess.CompletedProcess) -> str:
    return r.stdout + r.stderr
