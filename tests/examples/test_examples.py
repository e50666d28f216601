"""The example specs in ``examples/``: generated with a fixed seed, every rule checked on its own.

Input: each example spec, generated in memory with small row counts (500 root rows) so the module
is fast. The checks are plain pandas on the generated frames and on the lookup CSVs read with
``pandas.read_csv``, never the engine's own rule evaluation: ages are recomputed from the dates
here, sex-aware first names are checked against Faker's own nl_BE lists, and money is compared as
exact ``Decimal``. Also: the same seed gives identical frames, another seed other frames, and the
CLI writes CSV files and ``card.json`` that agree with the in-memory run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import synthdsl

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = EXAMPLES / "data"
SEED = 1234
END = dt.date(2026, 1, 1)  # the examples' reference date for "alive" and ages

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


# ------------------------------------------------------------------ independent helpers
def cities() -> dict[str, str]:
    df = pd.read_csv(DATA / "be_cities.csv")
    assert df.city.is_unique
    return dict(zip(df.city, df.province))


def tickers() -> dict[str, str]:
    df = pd.read_csv(DATA / "be_tickers.csv")
    assert df.ticker.is_unique
    return dict(zip(df.ticker, df.company))


def full_years(start: dt.date, end: dt.date) -> int:
    """Completed years from ``start`` to ``end`` (a birthday counts on its day)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def coalesce_end(s: pd.Series) -> pd.Series:
    return s.map(lambda d: END if d is None or pd.isna(d) else d)


def decimals(x: Decimal) -> int:
    return -x.as_tuple().exponent if x.as_tuple().exponent < 0 else 0


def assert_key(df: pd.DataFrame, col: str = "id") -> None:
    assert df[col].notna().all()
    assert df[col].is_unique


def assert_location(df: pd.DataFrame) -> None:
    """city comes from the CSV, province is the CSV's province, a city has one province."""
    mapping = cities()
    assert df.city.isin(list(mapping)).all()
    assert (df.province == df.city.map(mapping)).all()
    assert (df.groupby("city").province.nunique() == 1).all()
    hasselt = df[df.city == "Hasselt"]
    assert len(hasselt) > 0, "no Hasselt rows: the implication is checked on nothing"
    assert (hasselt.province == "Limburg").all()


def assert_life_dates(df: pd.DataFrame) -> None:
    assert df.birth_date.notna().all()
    assert (df.death_date.isna() | (df.birth_date < df.death_date)).all()


# ------------------------------------------------------------------ hospital
def test_hospital_patients():
    p = generated("hospital")["patients"]
    assert len(p) == 500
    assert_key(p)
    assert set(p.sex) == {"F", "M"}
    from faker import Faker

    providers = Faker("nl_BE").providers
    person = next(x for x in providers if type(x).__module__.endswith("person.nl_BE"))
    female, male = set(person.first_names_female), set(person.first_names_male)
    assert p[p.sex == "F"].first_name.isin(female).all()
    assert p[p.sex == "M"].first_name.isin(male).all()
    assert (p.name == p.first_name + " " + p.last_name).all()
    assert 0.02 < p.phone.isna().mean() < 0.2  # nulls 10%

    assert_life_dates(p)
    assert p.birth_date.between(dt.date(1930, 1, 1), dt.date(2025, 12, 31)).all()
    assert (p.death_date.isna() | (p.death_date <= END)).all()
    assert 0.05 < p.death_date.notna().mean() < 0.25  # nulls 85%
    assert_location(p)

    ages = [full_years(b, e) for b, e in zip(p.birth_date, coalesce_end(p.death_date))]
    assert p.age.tolist() == ages
    assert (p.child_benefits == (p.age < 18)).all()
    assert p.child_benefits.any() and not p.child_benefits.all()

    assert p.bmi.between(12, 60).all()
    assert (p.bmi.round(1) == p.bmi).all()

    assert not ((p.sex == "F") & (p.diagnosis == "prostate cancer")).any()
    pregnancy = p.diagnosis.isin(["pregnancy", "preeclampsia"])
    assert not (pregnancy & (p.sex == "M")).any()
    assert p[pregnancy].age.between(14, 50).all()
    # the rules do not empty the categories they constrain
    assert (p.diagnosis == "prostate cancer").any() and pregnancy.any()


def test_hospital_visits():
    d = generated("hospital")
    p, v = d["patients"], d["visits"]
    assert v.patient_id.notna().all()
    assert v.patient_id.isin(p.id).all()
    assert 2.5 < len(v) / len(p) < 3.5  # poisson(3) per patient
    m = v.merge(p, left_on="patient_id", right_on="id", how="left", validate="many_to_one")
    assert len(m) == len(v)
    assert (m.visit_date >= m.birth_date).all()
    assert (m.visit_date <= coalesce_end(m.death_date)).all()
    assert (m.death_date.isna() | (m.visit_date <= m.death_date)).all()
    ages = [full_years(b, x) for b, x in zip(m.birth_date, m.visit_date)]
    assert v.age_at_visit.tolist() == ages
    assert (v.ward == v.age_at_visit.map(lambda a: "pediatrics" if a < 18 else "general")).all()
    assert set(v.reason) <= {"checkup", "acute", "referral"}
    assert all(Decimal(10) <= c <= Decimal(5000) and decimals(c) <= 2 for c in v.cost)


# ------------------------------------------------------------------ webshop
def test_webshop_customers_and_products():
    d = generated("webshop")
    c, pr = d["customers"], d["products"]
    assert len(c) == 500 and len(pr) == 100
    assert_key(c)
    assert_key(pr)
    assert c.email.is_unique and c.email.str.contains("@").all()
    assert c.signup_date.between(dt.date(2019, 1, 1), dt.date(2025, 6, 30)).all()
    assert set(c.segment) <= {"consumer", "business"}
    assert (pr.sku == pr.id.map(lambda i: f"SKU-{i:05d}")).all()
    assert pr.sku.is_unique
    assert all(Decimal("0.99") <= x <= Decimal(2500) and decimals(x) <= 2 for x in pr.price)


def test_webshop_orders():
    d = generated("webshop")
    c, o = d["customers"], d["orders"]
    assert_key(o)
    assert o.customer_id.isin(c.id).all()
    m = o.merge(c, left_on="customer_id", right_on="id", suffixes=("", "_c"), validate="m:1")
    assert len(m) == len(o)
    assert (m.order_date >= m.signup_date).all()
    assert (m.order_date <= dt.date(2025, 12, 31)).all()
    assert set(o.status) <= {"delivered", "shipped", "cancelled"}


def test_webshop_order_lines():
    d = generated("webshop")
    o, pr, lines = d["orders"], d["products"], d["order_lines"]
    assert_key(lines)
    assert lines.order_id.isin(o.id).all()
    assert lines.product_id.isin(pr.id).all()
    # geometric(0.5) has support 1, 2, ...: every order has at least one line
    assert set(o.id) == set(lines.order_id)
    assert lines.quantity.between(1, 20).all()
    m = lines.merge(pr, left_on="product_id", right_on="id", suffixes=("", "_p"), validate="m:1")
    assert len(m) == len(lines)
    assert (m.unit_price == m.price).all()
    assert all(t == q * u for t, q, u in zip(lines.line_total, lines.quantity, lines.unit_price))


def test_webshop_order_totals_are_the_sums_of_their_lines():
    """orders.total and orders.n_lines are aggregates of order_lines: recompute both here with
    pandas (exact Decimal sums of quantity * unit_price, and line counts per order_id)."""
    d = generated("webshop")
    o, lines = d["orders"], d["order_lines"]
    lines = lines.assign(recomputed=[q * u for q, u in zip(lines.quantity, lines.unit_price)])
    assert (lines.line_total == lines.recomputed).all()
    sums = lines.groupby("order_id").recomputed.agg(lambda s: sum(s, Decimal(0)))
    counts = lines.groupby("order_id").size()
    o = o.set_index("id")
    assert sums.index.tolist() == sorted(o.index.tolist())  # every order has lines
    assert (o.total.loc[sums.index] == sums).all()
    assert (o.n_lines.loc[counts.index] == counts).all()
    assert o.n_lines.min() >= 1
    assert all(t > 0 and decimals(t) <= 2 for t in o.total)
    assert sum(o.total, Decimal(0)) == sum(lines.line_total, Decimal(0))


# ------------------------------------------------------------------ domain rules
def test_domain_rules_people():
    p = generated("domain_rules")["people"]
    assert_key(p)
    assert_life_dates(p)  # date of birth before date of death
    assert (p.death_date.isna() | (p.death_date <= END)).all()
    assert_location(p)  # city implies province; Hasselt -> Limburg
    ages = [full_years(b, END) for b in p.birth_date]
    assert p.age.tolist() == ages
    assert (p.child_benefits == (p.age < 18)).all()  # age under 18 implies child benefits
    assert p[p.age < 18].child_benefits.all()
    assert (p.age < 18).any()


def test_domain_rules_trips():
    t = generated("domain_rules")["trips"]
    assert_key(t)
    assert t.distance_km.notna().all() and (t.distance_km > 0).all()
    assert (t.distance_km.round(2) == t.distance_km).all()
    assert t.duration_min.notna().all() and (t.duration_min > 0).all()
    # truncation at zero, not clamping: no pile of values at the bound
    assert (t.duration_min < 0.5).mean() < 0.05
    assert set(t["mode"]) <= {"car", "bike", "train"}


def test_domain_rules_trades():
    t = generated("domain_rules")["trades"]
    mapping = tickers()
    assert_key(t)
    assert t.ticker.isin(list(mapping)).all()
    assert (t.company == t.ticker.map(mapping)).all()  # the CSV's company
    assert (t.groupby("ticker").company.nunique() == 1).all()  # ticker determines company
    assert set(t.side) == {"buy", "sell"}
    assert t.shares.between(1, 10_000).all()


def test_domain_rules_invoices():
    inv = generated("domain_rules")["invoices"]
    assert_key(inv)
    for net, vat, total in zip(inv.net, inv.vat, inv.total):
        assert Decimal(5) <= net <= Decimal(2000) and decimals(net) <= 2
        assert abs(vat - net * Decimal("0.21")) <= Decimal("0.005")
        assert total == net + vat


# ------------------------------------------------------------------ taste
def test_taste():
    d = generated("taste")
    p, v = d["patients"], d["visits"]
    assert_key(p)
    assert p.email.is_unique
    assert_life_dates(p)
    assert_location(p)
    assert not ((p.sex == "F") & (p.diagnosis == "prostate cancer")).any()
    assert ((p.smoking == "never") | (p.age >= 12)).all()
    assert p.age.tolist() == [full_years(b, END) for b in p.birth_date]
    assert (p.child_benefits == (p.age < 18)).all()
    assert p.bmi.between(12, 60).all()
    assert v.patient_id.isin(p.id).all()
    m = v.merge(p, left_on="patient_id", right_on="id", validate="m:1")
    assert (m.visit_date >= m.birth_date).all()
    assert (m.visit_date <= coalesce_end(m.death_date)).all()


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
