"""Every rule and relation of the example specs, checked with plain pandas on generated frames.

One function per example spec takes its tables (a dict of DataFrames) and asserts what must hold on
*any* valid output, however many rows and however drawn: rules, keys, references, computed columns
and aggregates, recomputed here independently (ages from the dates, provinces from the CSV, money as
exact ``Decimal``). Nothing statistical: those checks belong to the engine's tests, since the
Hypothesis strategies draw over the allowed values, not from the distributions. Used by
``test_examples.py`` on the engine's output and by ``tests/testing`` on the strategies' examples.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path

import pandas as pd
from faker import Faker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = EXAMPLES / "data"
END = dt.date(2026, 1, 1)  # the examples' reference date for "alive" and ages


# ------------------------------------------------------------------ helpers
@functools.cache
def cities() -> dict[str, str]:
    df = pd.read_csv(DATA / "be_cities.csv")
    assert df.city.is_unique
    return dict(zip(df.city, df.province))


@functools.cache
def tickers() -> dict[str, str]:
    df = pd.read_csv(DATA / "be_tickers.csv")
    assert df.ticker.is_unique
    return dict(zip(df.ticker, df.company))


@functools.cache
def first_names_nl_be() -> tuple[frozenset[str], frozenset[str]]:
    """Faker's own nl_BE female and male first names."""
    providers = Faker("nl_BE").providers
    person = next(x for x in providers if type(x).__module__.endswith("person.nl_BE"))
    return frozenset(person.first_names_female), frozenset(person.first_names_male)


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
    assert (df[df.city == "Hasselt"].province == "Limburg").all()


def assert_life_dates(df: pd.DataFrame) -> None:
    assert df.birth_date.notna().all()
    assert (df.death_date.isna() | (df.birth_date < df.death_date)).all()


def assert_references(child: pd.DataFrame, col: str, parent: pd.DataFrame) -> None:
    assert child[col].notna().all()
    assert child[col].isin(parent.id).all(), f"{col} points at a missing row"


def with_parent(child: pd.DataFrame, col: str, parent: pd.DataFrame, suffix="") -> pd.DataFrame:
    """Each child row beside its parent row (exactly one)."""
    m = child.merge(
        parent, left_on=col, right_on="id", how="left", suffixes=("", suffix), validate="m:1"
    )
    assert len(m) == len(child)
    return m


# ------------------------------------------------------------------ one function per spec
def hospital(d: dict[str, pd.DataFrame]) -> None:
    p, v = d["patients"], d["visits"]
    assert_key(p)
    female, male = first_names_nl_be()
    assert set(p.sex) <= {"F", "M"}
    assert p[p.sex == "F"].first_name.isin(female).all()
    assert p[p.sex == "M"].first_name.isin(male).all()
    assert (p.name == p.first_name + " " + p.last_name).all()
    assert_life_dates(p)
    assert p.birth_date.between(dt.date(1930, 1, 1), dt.date(2025, 12, 31)).all()
    assert (p.death_date.isna() | (p.death_date <= END)).all()
    assert_location(p)
    ages = [full_years(b, e) for b, e in zip(p.birth_date, coalesce_end(p.death_date))]
    assert p.age.tolist() == ages
    assert (p.child_benefits == (p.age < 18)).all()
    assert p.bmi.between(12, 60).all()
    assert (p.bmi.round(1) == p.bmi).all()
    assert not ((p.sex == "F") & (p.diagnosis == "prostate cancer")).any()
    pregnancy = p.diagnosis.isin(["pregnancy", "preeclampsia"])
    assert not (pregnancy & (p.sex == "M")).any()
    assert p[pregnancy].age.between(14, 50).all()

    assert_references(v, "patient_id", p)
    m = with_parent(v, "patient_id", p)
    assert (m.visit_date >= m.birth_date).all()
    assert (m.visit_date <= coalesce_end(m.death_date)).all()
    assert (m.death_date.isna() | (m.visit_date <= m.death_date)).all()
    ages = [full_years(b, x) for b, x in zip(m.birth_date, m.visit_date)]
    assert v.age_at_visit.tolist() == ages
    assert (v.ward == v.age_at_visit.map(lambda a: "pediatrics" if a < 18 else "general")).all()
    assert set(v.reason) <= {"checkup", "acute", "referral"}
    assert all(Decimal(10) <= c <= Decimal(5000) and decimals(c) <= 2 for c in v.cost)


def webshop(d: dict[str, pd.DataFrame]) -> None:
    c, pr, o, lines = d["customers"], d["products"], d["orders"], d["order_lines"]
    assert_key(c)
    assert_key(pr)
    assert c.email.is_unique and c.email.str.contains("@").all()
    assert c.signup_date.between(dt.date(2019, 1, 1), dt.date(2025, 6, 30)).all()
    assert set(c.segment) <= {"consumer", "business"}
    assert (pr.sku == pr.id.map(lambda i: f"SKU-{i:05d}")).all()
    assert pr.sku.is_unique
    assert all(Decimal("0.99") <= x <= Decimal(2500) and decimals(x) <= 2 for x in pr.price)

    assert_key(o)
    assert_references(o, "customer_id", c)
    m = with_parent(o, "customer_id", c, "_c")
    assert (m.order_date >= m.signup_date).all()
    assert (m.order_date <= dt.date(2025, 12, 31)).all()
    assert set(o.status) <= {"delivered", "shipped", "cancelled"}

    assert_key(lines)
    assert_references(lines, "order_id", o)
    assert_references(lines, "product_id", pr)
    assert set(o.id) == set(lines.order_id)  # geometric(0.5) per order: at least one line
    assert lines.quantity.between(1, 20).all()
    m = with_parent(lines, "product_id", pr, "_p")
    assert (m.unit_price == m.price).all()
    assert all(t == q * u for t, q, u in zip(lines.line_total, lines.quantity, lines.unit_price))

    # orders.total and orders.n_lines are aggregates of order_lines, recomputed here
    sums = lines.groupby("order_id").line_total.agg(lambda s: sum(s, Decimal(0)))
    counts = lines.groupby("order_id").size()
    o = o.set_index("id")
    assert (o.total.loc[sums.index] == sums).all()
    assert (o.n_lines.loc[counts.index] == counts).all()
    assert (o.n_lines >= 1).all()
    assert all(t > 0 and decimals(t) <= 2 for t in o.total)


def domain_rules(d: dict[str, pd.DataFrame]) -> None:
    p, trips, trades, inv = d["people"], d["trips"], d["trades"], d["invoices"]
    assert_key(p)
    assert_life_dates(p)  # date of birth before date of death
    assert (p.death_date.isna() | (p.death_date <= END)).all()
    assert_location(p)  # city implies province; Hasselt -> Limburg
    assert p.age.tolist() == [full_years(b, END) for b in p.birth_date]
    assert (p.child_benefits == (p.age < 18)).all()  # age under 18 implies child benefits

    assert_key(trips)
    assert trips.distance_km.notna().all() and (trips.distance_km > 0).all()
    assert (trips.distance_km.round(2) == trips.distance_km).all()
    assert trips.duration_min.notna().all() and (trips.duration_min > 0).all()
    assert set(trips["mode"]) <= {"car", "bike", "train"}

    mapping = tickers()
    assert_key(trades)
    assert trades.ticker.isin(list(mapping)).all()
    assert (trades.company == trades.ticker.map(mapping)).all()  # the CSV's company
    assert (trades.groupby("ticker").company.nunique() == 1).all()  # ticker determines company
    assert set(trades.side) <= {"buy", "sell"}
    assert trades.shares.between(1, 10_000).all()

    assert_key(inv)
    for net, vat, total in zip(inv.net, inv.vat, inv.total):
        assert Decimal(5) <= net <= Decimal(2000) and decimals(net) <= 2
        assert abs(vat - net * Decimal("0.21")) <= Decimal("0.005")
        assert total == net + vat


def taste(d: dict[str, pd.DataFrame]) -> None:
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
    assert_references(v, "patient_id", p)
    m = with_parent(v, "patient_id", p)
    assert (m.visit_date >= m.birth_date).all()
    assert (m.visit_date <= coalesce_end(m.death_date)).all()


def adult_marginals(d: dict[str, pd.DataFrame]) -> None:
    a = d["adult"]
    real = pd.read_csv(DATA / "adult_real.csv", na_values="?")
    for col in ("workclass", "education", "relationship", "race", "sex", "class"):
        assert set(a[col].dropna()) <= set(real[col].dropna()), col
    for col in ("age", "fnlwgt", "education-num", "hours-per-week"):
        assert a[col].between(real[col].min(), real[col].max()).all(), col
    assert not ((a.relationship == "Husband") & (a.sex != "Male")).any()
    assert not ((a.relationship == "Wife") & (a.sex != "Female")).any()


def registry(d: dict[str, pd.DataFrame]) -> None:
    p, a = d["patients"], d["admissions"]
    assert_key(p)
    assert set(p.sex) <= {"F", "M"}
    assert p.birth_date.between(dt.date(1916, 1, 1), dt.date(2025, 12, 31)).all()
    assert p.age.tolist() == [full_years(b, END) for b in p.birth_date]
    assert p.age.between(0, 110).all()
    assert not ((p.diagnosis == "pregnancy") & (p.sex != "F")).any()
    assert not ((p.diagnosis == "prostate cancer") & (p.sex != "M")).any()
    assert p[p.diagnosis == "pregnancy"].age.between(14, 50).all()
    w = p.weight_kg.dropna()
    assert w.between(2, 250).all() and (w.round(1) == w).all()
    assert_references(a, "patient_id", p)
    m = with_parent(a, "patient_id", p)
    assert (m.admitted >= m.birth_date).all() and (m.admitted <= dt.date(2025, 12, 31)).all()
    assert (m[m.ward == "maternity"].sex == "F").all()
    assert set(a.ward) <= {"general", "icu", "maternity"}


ORACLES = {
    "registry": registry,
    "hospital": hospital,
    "webshop": webshop,
    "domain_rules": domain_rules,
    "taste": taste,
    "adult_marginals": adult_marginals,
}
