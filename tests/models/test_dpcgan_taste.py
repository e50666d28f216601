"""The design brief's `model labs : dpcgan { ... }` block and its draw `(glucose, hba1c, ldl) ~ labs
given diagnosis` parse, check and run as written (LANGUAGE.md, "A taste"), on a made-up survey: 500
rows, so the brief's 300 epochs of batch 500 are 300 DP-SGD steps (each row in each)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.models.conftest import out_of, synthdsl

pytest.importorskip("torch", reason="the neural extra is part of the test extras")

ROOT = Path(__file__).resolve().parents[2]
BRIEF = (ROOT.parent / "shared" / "design" / "LANGUAGE.md").read_text()
MODEL = re.search(r"^model labs : dpcgan \{.*?^\}\n", BRIEF, re.M | re.S)
DRAW = re.search(r"^\s*\(glucose, hba1c, ldl\) ~ labs given diagnosis\s*$", BRIEF, re.M)
LABELS = ["healthy", "prediabetes", "diabetes"]


def survey(path: Path, n: int = 500) -> None:
    rng = np.random.default_rng(3)
    diagnosis = rng.choice(LABELS, n, p=[0.6, 0.25, 0.15])
    shift = pd.Series(diagnosis).map({"healthy": 0.0, "prediabetes": 1.0, "diabetes": 3.0})
    pd.DataFrame(
        {
            "diagnosis": diagnosis,
            "glucose": (5.0 + shift + rng.normal(0, 0.5, n)).round(1),
            "hba1c": (5.2 + shift * 0.8 + rng.normal(0, 0.3, n)).round(1),
            "ldl": (3.0 + rng.normal(0, 0.7, n)).round(2),
        }
    ).to_csv(path, index=False)


def spec_text() -> str:
    assert MODEL is not None and DRAW is not None
    assert "train epochs 300 batch 500" in MODEL.group(0)
    labels = ", ".join(f'"{x}": {p}' for x, p in zip(LABELS, (0.6, 0.25, 0.15), strict=True))
    return "\n".join(
        [
            "seed 2026",
            'dataset survey = csv("data/health_survey.csv")',
            MODEL.group(0),
            "table patients {",
            "  rows 500",
            "  id int = serial() key",
            f"  diagnosis enum({', '.join(repr(x).replace(chr(39), chr(34)) for x in LABELS)}) "
            f"= categorical({labels})",
            DRAW.group(0),
            "}",
            "",
        ]
    )


@pytest.mark.slow
def test_the_brief_model_block_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    survey(tmp_path / "data" / "health_survey.csv")
    (tmp_path / "taste.synth").write_text(spec_text())
    r = synthdsl(tmp_path, "check", "taste.synth")
    assert r.returncode == 0, out_of(r)
    r = synthdsl(tmp_path, "fit", "taste.synth", "--artifacts", "m", timeout=600)
    assert r.returncode == 0, out_of(r)
    r = synthdsl(
        tmp_path, "generate", "taste.synth", "--artifacts", "m", "--out", "o", "--format", "csv"
    )
    assert r.returncode == 0, out_of(r)
    rows = pd.read_csv(tmp_path / "o" / "patients.csv")
    assert list(rows.columns) == ["id", "diagnosis", "glucose", "hba1c", "ldl"]
    assert len(rows) == 500 and rows[["glucose", "hba1c", "ldl"]].notna().all().all()
    doc = json.loads((tmp_path / "m" / "labs" / "model.json").read_text())
    training = doc["report"]["training"]
    assert training["epochs"] == pytest.approx(300, rel=0.01)
    assert training["epsilon_spent"] <= next(
        m["epsilon"] for m in doc["privacy"]["mechanisms"] if m["name"] == "training"
    )
    assert doc["privacy"]["epsilon"] == 3.0 and doc["privacy"]["delta"] == 1e-5
