"""The example specs in ``examples/``: generated with a fixed seed, every rule checked on its own.

Input: each example spec, generated in memory with small row counts (500 root rows) so the module
is fast. The rules are checked by ``oracles`` (plain pandas on the generated frames and the lookup
CSVs, never the engine's own rule evaluation: ages are recomputed from the dates, sex-aware first
names are checked against Faker's own nl_BE lists, money is compared as exact ``Decimal``), and
the tests here add what the distributions imply at these sizes. Also: the same seed gives identical frames, another seed other frames, and the
CLI writes CSV files and ``card.json`` that agree with the in-memory run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import sys
from decimal import Decimal

import pandas as pd
import pytest

import synthdsl

from . import oracles
from .oracles import EXAMPLES

SEED = 1234

ROWS = {
    "hospital": {"patients": 500},
    "webshop": {"customers": 500, "products": 100},
    "domain_rules": {"people": 500, "trips": 500, "trades": 500, "invoices": 500},
    "taste": {"patients": 500},
}


@functools.cache
def _generate(name: str, seed: int = SEED) -> dict[str, pd.DataFrame]:
    spec = synthdsl.load(EXAMPLES / f"{name}.synth")
    return spec.generate(seed=seed, rows=ROWS[name])


def generated(name: str) -> dict[str, pd.DataFrame]:
    """The cached frames (copies, so a test cannot disturb another)."""
    return {t: df.copy() for t, df in _generate(name).items()}


# ------------------------------------------------------------------ the examples' rules
# ``oracles`` checks what must hold on any valid output; the tests below add what holds for the
# engine's distributions at these sizes (rates of nulls, categories present, rows per parent).
def test_hospital():
    d = generated("hospital")
    oracles.hospital(d)
    p, v = d["patients"], d["visits"]
    assert len(p) == 500
    assert set(p.sex) == {"F", "M"}
    assert 0.02 < p.phone.isna().mean() < 0.2  # nulls 10%
    assert 0.05 < p.death_date.notna().mean() < 0.25  # nulls 85%
    assert (p.city == "Hasselt").any(), "no Hasselt rows: the implication is checked on nothing"
    assert p.child_benefits.any() and not p.child_benefits.all()
    pregnancy = p.diagnosis.isin(["pregnancy", "preeclampsia"])
    # the rules do not empty the categories they constrain
    assert (p.diagnosis == "prostate cancer").any() and pregnancy.any()
    assert 2.5 < len(v) / len(p) < 3.5  # poisson(3) per patient


def test_webshop():
    d = generated("webshop")
    oracles.webshop(d)
    c, pr, o, lines = d["customers"], d["products"], d["orders"], d["order_lines"]
    assert len(c) == 500 and len(pr) == 100
    assert len(o) > 0 and len(lines) >= len(o)
    assert sum(o.total, Decimal(0)) == sum(lines.line_total, Decimal(0))


def test_domain_rules():
    d = generated("domain_rules")
    oracles.domain_rules(d)
    p, trips, trades = d["people"], d["trips"], d["trades"]
    assert (p.city == "Hasselt").any()
    assert (p.age < 18).any()
    # truncation at zero, not clamping: no pile of values at the bound
    assert (trips.duration_min < 0.5).mean() < 0.05
    assert set(trades.side) == {"buy", "sell"}


def test_taste():
    d = generated("taste")
    oracles.taste(d)
    assert (d["patients"].city == "Hasselt").any()


def test_registry():
    d = synthdsl.load(EXAMPLES / "registry.synth").generate(seed=SEED)
    oracles.registry(d)
    p = d["patients"]
    assert p.weight_kg.isna().any() and (p.diagnosis == "pregnancy").any()
    assert (p.age >= 100).any()  # the docs' planted bug needs these patients to exist


def test_adult_marginals():
    d = synthdsl.load(EXAMPLES / "adult_marginals.synth").generate(seed=SEED, rows={"adult": 500})
    oracles.adult_marginals(d)
    assert (d["adult"].relationship == "Husband").any()


# ------------------------------------------------------------------ determinism and the CLI
@pytest.mark.parametrize("name", sorted(ROWS))
def test_same_seed_same_frames(name):
    again = synthdsl.load(EXAMPLES / f"{name}.synth").generate(seed=SEED, rows=ROWS[name])
    first = _generate(name)
    assert list(again) == list(first)
    for table in first:
        pd.testing.assert_frame_equal(again[table], first[table])


@pytest.mark.parametrize("name", sorted(ROWS))
def test_other_seed_other_frames(name):
    other = synthdsl.load(EXAMPLES / f"{name}.synth").generate(seed=SEED + 1, rows=ROWS[name])
    first = _generate(name)
    assert any(not other[t].equals(first[t]) for t in first)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_cli_generates_csv_and_card(name, tmp_path):
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "synthdsl",
        "generate",
        str(EXAMPLES / f"{name}.synth"),
        "--out",
        str(out),
        "--format",
        "csv",
        "--seed",
        str(SEED),
    ]
    for table, n in ROWS[name].items():
        cmd += ["--rows", f"{table}={n}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr

    frames = _generate(name)
    card = json.loads((out / "card.json").read_text())
    assert card["seed"] == SEED
    assert card["format"] == "csv"
    assert {t["name"]: t["rows"] for t in card["tables"]} == {t: len(f) for t, f in frames.items()}
    for table, frame in frames.items():
        csv = pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False)
        assert list(csv.columns) == list(frame.columns)
        assert len(csv) == len(frame)
        for col in frame.columns:
            got = [_from_csv(text, value) for text, value in zip(csv[col], frame[col])]
            assert got == [_plain(x) for x in frame[col]], f"{table}.{col} differs in the CSV"


def _plain(value):
    """A frame value as a plain Python value (None for any null)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _from_csv(text: str, like):
    """Parse one CSV cell as the type of the in-memory value ``like``."""
    like = _plain(like)
    if text == "" or like is None:
        return None if text == "" else text
    if isinstance(like, bool):
        return {"true": True, "false": False}.get(text.lower(), text)
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    if isinstance(like, Decimal):
        return Decimal(text)
    if isinstance(like, dt.datetime):
        return dt.datetime.fromisoformat(text)
    if isinstance(like, dt.date):
        return dt.date.fromisoformat(text)
    return text
