"""Executor: rules hold, determinism across chunks, rejection floor, parent/child tables, sinks."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

import synthdsl
from synthdsl.errors import DataError, RuleError
from synthdsl.streams import BLOCK_ROWS

CLINIC = """
seed 5
table patients {
  rows 3000
  id int = serial() key
  sex enum("F", "M") ~ categorical("F": 0.5, "M": 0.5)
  dx text ~ categorical("flu": 0.8, "prostate cancer": 0.2)
  birth date ~ uniform(date("1930-01-01"), date("2010-12-31"))
  death date? ~ birth + days(uniform(0, 36500)) nulls 60%
  age int = years_between(birth, date("2026-01-01"))
  child bool = age < 18
  bmi float ~ lognormal(3.25, 0.15) clamp(12, 60) round(1)
  score float ~ normal(0, 1)
  rule dod: death is null or birth < death
  rule no_pc_f: not (sex == "F" and dx == "prostate cancer")
  rule pos: score > 1.5
  rule alive_adult: death is null or age > 20
}
table visits {
  rows per patients ~ poisson(3)
  pid int = ref patients.id
  on date ~ uniform(patients.birth, coalesce(patients.death, date("2026-01-01")))
  n int = serial() key
}
"""


@pytest.fixture(scope="module")
def clinic():
    return synthdsl.loads(CLINIC, "clinic.synth")


def test_every_rule_holds(clinic):
    d = clinic.generate()
    p, v = d["patients"], d["visits"]
    assert (p.death.isna() | (p.birth < p.death)).all()
    assert not ((p.sex == "F") & (p.dx == "prostate cancer")).any()
    assert (p.score > 1.5).all()
    assert (p.death.isna() | (p.age > 20)).all()
    assert (p.child == (p.age < 18)).all()
    assert p.bmi.between(12, 60).all() and (p.bmi.round(1) == p.bmi).all()
    merged = v.merge(p, left_on="pid", right_on="id")
    assert len(merged) == len(v)
    end = merged.death.fillna(pd.Timestamp("2026-01-01").date())
    assert ((merged.on >= merged.birth) & (merged.on <= end)).all()
    assert v.n.tolist() == list(range(1, len(v) + 1))


def test_truncated_draw_is_exactly_the_conditional_distribution(clinic):
    score = clinic.generate()["patients"].score.to_numpy()
    a = 1.5
    cdf = lambda x: (stats.norm.cdf(x) - stats.norm.cdf(a)) / stats.norm.sf(a)  # noqa: E731
    assert stats.kstest(score, cdf).pvalue > 0.001


def test_nulls_rate_and_parent_counts(clinic):
    d = clinic.generate(rows={"patients": 20000})
    p, v = d["patients"], d["visits"]
    assert 0.55 < p.death.isna().mean() < 0.7
    assert abs(len(v) / len(p) - 3) < 0.1


def test_byte_identical_across_chunk_sizes(clinic):
    def tables(chunk):
        out: dict[str, list[pa.Table]] = {}
        for t, b in clinic.batches(rows={"patients": 2 * BLOCK_ROWS + 77}, chunk_size=chunk):
            out.setdefault(t, []).append(b)
        return {t: pa.concat_tables(bs).combine_chunks() for t, bs in out.items()}

    a, b = tables(BLOCK_ROWS), tables(10 * BLOCK_ROWS)
    assert a.keys() == b.keys()
    for t in a:
        assert a[t].equals(b[t])


def test_seed_changes_output_and_same_seed_repeats(clinic):
    a = clinic.generate(seed=1)["patients"]
    b = clinic.generate(seed=1)["patients"]
    c = clinic.generate(seed=2)["patients"]
    pd.testing.assert_frame_equal(a, b)
    assert not a.score.equals(c.score)


def test_adding_a_column_leaves_the_others_unchanged():
    base = "seed 3\ntable t {\n rows 500\n a float ~ normal(0, 1)\n b int ~ poisson(2)\n}\n"
    more = base.replace(" b int", ' z text ~ categorical(["p", "q"])\n b int')
    x = synthdsl.loads(base).generate()["t"]
    y = synthdsl.loads(more).generate()["t"]
    pd.testing.assert_frame_equal(x, y[["a", "b"]])


def test_rejection_counts_are_reported(tmp_path, clinic):
    card = clinic.write(tmp_path / "out", format="csv")
    redrawn = {r.rule: r.redrawn_rows for r in card.rules}
    assert redrawn["alive_adult"] > 0  # rejection did real work
    assert redrawn["pos"] == 0 and redrawn["no_pc_f"] == 0  # by construction


def test_unsatisfiable_rule_stops_with_an_error_naming_it():
    spec = synthdsl.loads(
        "table t {\n rows 100\n a float ~ normal(0, 1)\n b float = a * 2\n rule r: b > 50\n}\n"
    )
    with pytest.raises(RuleError) as exc:
        spec.generate()
    msg = str(exc.value)
    assert "rule 'r'" in msg and "columns b" in msg and "acceptance rate" in msg


def test_rules_that_contradict_each_other_stop_fast_naming_both():
    """Each rule's own redraws pass it and the other's redraws break it, so each rule's acceptance
    stayed at 1/6 and the loop ran all 20,000 attempts (81 s for 20,000 rows); the fuzzer found it
    as a timeout (seed 7, negate_rule case 98). The rows' acceptance under all rules stops it."""
    import time

    spec = synthdsl.loads(
        'table t {\n rows 5000\n a text ~ categorical(["x", "y", "z"])\n'
        ' b text ~ categorical(["m", "f"])\n'
        ' rule r1: not (a == "x" implies b == "m")\n'
        ' rule r2: not (a == "y" implies b == "f")\n}\n',
        "s.synth",
    )
    start = time.process_time()
    with pytest.raises(RuleError) as exc:
        spec.generate()
    assert time.process_time() - start < 5
    msg = str(exc.value)
    assert "rules 'r1' and 'r2' of table 't' could not be met together" in msg
    assert "columns a, b" in msg and exc.value.rule == "r1"


def test_rule_with_nothing_random_to_redraw():
    spec = synthdsl.loads("table t {\n rows 10\n id int = serial()\n rule r: id < 5\n}\n")
    with pytest.raises(RuleError, match="no random column to redraw"):
        spec.generate()


def test_unique_and_determines_are_table_wide():
    spec = synthdsl.loads(
        "table t {\n rows 40000\n code int ~ uniform(0, 60000) unique\n"
        " g int ~ poisson(50)\n h int ~ poisson(3)\n rule fd: g determines h\n}\n"
    )
    t = spec.generate()["t"]
    assert t.code.is_unique
    assert (t.groupby("g").h.nunique() == 1).all()


def test_random_reference_to_another_table():
    spec = synthdsl.loads(
        "table products {\n rows 20\n id int = serial() key\n price decimal(8,2) ~ uniform(1, 100) round(2)\n}\n"
        "table orders {\n rows 300\n id int = serial() key\n}\n"
        "table lines {\n rows per orders ~ geometric(0.5)\n oid int = ref orders.id\n"
        " pid int = ref products.id\n qty int ~ poisson(2)\n price decimal(8,2) = products.price\n"
        " total decimal(10,2) = qty * price\n rule q: qty >= 1\n}\n"
    )
    d = spec.generate()
    lines, products = d["lines"], d["products"]
    m = lines.merge(products, left_on="pid", right_on="id", suffixes=("", "_p"))
    assert len(m) == len(lines)
    assert (m.price == m.price_p).all()
    assert np.allclose(lines.total.astype(float), lines.qty * lines.price.astype(float))
    assert (lines.qty >= 1).all()
    assert lines.oid.nunique() == 300  # geometric has support 1..: every order has a line


def test_bad_runtime_parameter_names_the_column():
    spec = synthdsl.loads(
        "table t {\n rows 50\n a float ~ normal(0, 1)\n b float ~ normal(0, a)\n}\n"
    )
    with pytest.raises(DataError) as exc:
        spec.generate()
    assert exc.value.column == "b" and "sd" in str(exc.value)


def test_failed_run_leaves_no_output_file(tmp_path):
    spec = synthdsl.loads(
        "table ok {\n rows 40000\n a float ~ normal(0, 1)\n}\n"
        "table bad {\n rows 100\n a float ~ normal(0, 1)\n b float = a * 2\n rule r: b > 50\n}\n"
    )
    out = tmp_path / "out"
    for fmt in ("csv", "parquet", "jsonl", "sqlite"):
        with pytest.raises(RuleError):
            spec.write(out, format=fmt)
        assert not out.exists() or list(out.iterdir()) == [], fmt


def test_sqlite_round_trip_with_foreign_keys(tmp_path, clinic):
    clinic.write(tmp_path, format="sqlite", rows={"patients": 200})
    con = sqlite3.connect(tmp_path / "data.sqlite")
    con.execute("PRAGMA foreign_keys=ON")
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    n_p = con.execute("SELECT count(*) FROM patients").fetchone()[0]
    orphans = con.execute(
        "SELECT count(*) FROM visits v LEFT JOIN patients p ON v.pid = p.id WHERE p.id IS NULL"
    ).fetchone()[0]
    assert n_p == 200 and orphans == 0
    with pytest.raises(sqlite3.IntegrityError):
        con.execute(
            "INSERT INTO visits (pid, on_, n) VALUES (99999, '2020-01-01', 1)".replace(
                "on_", '"on"'
            )
        )
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name='visits'").fetchone()[0]
    assert "REFERENCES" in ddl and "patients" in ddl


def test_every_format_is_deterministic_across_chunks_and_workers(tmp_path):
    spec = synthdsl.loads(CLINIC, "clinic.synth")
    rows = {"patients": BLOCK_ROWS + 5}
    for fmt in ("csv", "jsonl", "parquet"):
        a, b = tmp_path / f"a_{fmt}", tmp_path / f"b_{fmt}"
        spec.write(a, format=fmt, rows=rows, chunk_size=BLOCK_ROWS)
        spec.write(b, format=fmt, rows=rows, chunk_size=5 * BLOCK_ROWS)
        for f in sorted(a.iterdir()):
            if f.name != "card.json":
                assert f.read_bytes() == (b / f.name).read_bytes(), f"{fmt}: {f.name}"


@pytest.mark.slow
def test_workers_give_the_same_bytes(tmp_path):
    spec = synthdsl.loads(CLINIC, "clinic.synth")
    rows = {"patients": 2 * BLOCK_ROWS + 5}
    spec.write(tmp_path / "one", format="csv", rows=rows, chunk_size=BLOCK_ROWS)
    spec.write(tmp_path / "two", format="csv", rows=rows, chunk_size=BLOCK_ROWS, workers=2)
    for name in ("patients.csv", "visits.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_low_acceptance_rules_converge_on_every_row():
    # Found by the property tests: only (red, red) satisfies all three rules, a 5% joint acceptance;
    # a small fixed attempt cap used to leave a row unresolved now and then.
    spec = synthdsl.loads(
        'table t {\n rows 20000\n a1 enum("red", "green", "blue", "amber", "o\'k")\n'
        ' a2 text ~ categorical(["red", "green", "blue", "amber"])\n'
        ' rule r0: not (a2 in ["green", "blue", "amber"] and a1 in ["red", "green", "blue", "amber", "o\'k"])\n'
        ' rule r1: not (a1 in ["green", "blue", "amber", "o\'k"] and a2 in ["red"])\n}\n'
    )
    for seed in range(5):
        t = spec.generate(seed=seed)["t"]
        assert ((t.a1 == "red") & (t.a2 == "red")).all()


def test_an_int_column_beyond_64_bits_is_an_error_not_a_wrapped_value():
    spec = synthdsl.loads(
        "table t {\n rows 10\n y float ~ uniform(1, 2)\n x int = y * 1e19\n}\n", path="o.synth"
    )
    with pytest.raises(synthdsl.DataError) as err:
        spec.generate()
    assert "column 'x'" in str(err.value) and "beyond the 64-bit integer range" in str(err.value)
