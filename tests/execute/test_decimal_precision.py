"""decimal(p, s) precision: a draw that provably cannot fit is a check error (E106); a value that does
not fit at run time is a DataError naming table, column and row; values that fit are written
identically by every sink (never wrapped around, as decimal128 casts with safe=False used to do).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

import synthdsl
from synthdsl.errors import DataError, SpecError


def spec(body: str) -> str:
    return "table t {\n  rows 500\n" + body + "\n}\n"


def test_static_range_beyond_precision_is_e106_with_caret_and_hint():
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(spec("  d decimal(4,2) ~ uniform(0, 1000)"), "s.synth")
    (d,) = exc.value.diagnostics
    assert d.code == "E106"
    assert "decimal(4,2), which holds values below 100" in d.message
    assert "uniform(0, 1000) reaches 1000" in d.message
    assert (d.span.line, d.span.column) == (3, 20)
    assert "^^^^^^^^^^^^^^^^" in d.render()
    assert d.hint is not None and "clamp(-99.99, 99.99)" in d.hint


def test_hint_never_suggests_a_clamp_that_still_overflows():
    """decimal(18,2)'s largest value 9999999999999999.99 is 1e16 as a float: the hint suggested
    clamp(-10000000000000000.00, 10000000000000000.00), which fails the same way (review, issue 10)."""
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(spec("  d decimal(18,2) ~ uniform(0, 9999999999999999)"), "s.synth")
    (d,) = exc.value.diagnostics
    assert d.code == "E106" and d.hint == "widen the precision (decimal(19, 2))"


@pytest.mark.parametrize(
    "line",
    [
        "  d decimal(4,2) ~ uniform(0, 100)",  # 99.999 rounds to 100.00
        "  d decimal(3,0) = 1000",
        "  d decimal(4,2) ~ uniform(-500, 5)",
        "  d decimal(4,2) ~ normal(0, 1) clamp(-200, 200)",
    ],
)
def test_other_provable_overflows_are_e106(line):
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(spec(line))
    assert [d.code for d in exc.value.diagnostics] == ["E106"]


@pytest.mark.parametrize(
    "line",
    [
        "  d decimal(4,2) ~ uniform(0, 99.99)",
        "  d decimal(4,2) ~ uniform(0, 1000)\n  rule r: d <= 99.99",
        "  d decimal(4,2) ~ uniform(0, 1000) clamp(0, 99.99)",
        "  d decimal(4,2) ~ normal(0, 1)",  # unbounded: checked at run time
    ],
)
def test_ranges_that_fit_pass_check(line):
    synthdsl.loads(spec(line))


def test_runtime_overflow_is_a_data_error_naming_table_column_and_row():
    s = synthdsl.loads(spec("  d decimal(4,2) ~ normal(0, 60)"))
    with pytest.raises(DataError) as exc:
        s.generate()
    msg = str(exc.value)
    assert "table 't'" in msg and "column 'd'" in msg
    assert exc.value.column == "d"
    assert exc.value.row is not None and exc.value.row >= 1
    assert "decimal(4,2)" in msg


def test_decimals_round_half_even_to_scale():
    s = synthdsl.loads(spec("  d decimal(6,1) = 0.25\n  f decimal(6,0) = 2.5"))
    df = s.generate(rows={"t": 3})["t"]
    assert [str(x) for x in df["d"]] == ["0.2"] * 3
    assert [str(x) for x in df["f"]] == ["2"] * 3


def test_all_sinks_agree_and_hold_values_within_precision(tmp_path):
    s = synthdsl.loads(
        spec(
            "  d decimal(4,2) ~ normal(0, 1000) clamp(-99.99, 99.99)\n"
            "  e decimal(5,3) ~ uniform(-99.999, 99.999)"
        )
    )
    for fmt in ("csv", "jsonl", "parquet", "sqlite"):
        s.write(tmp_path / fmt, format=fmt)
    with open(tmp_path / "csv" / "t.csv", newline="") as f:
        from_csv = [(Decimal(r["d"]), Decimal(r["e"])) for r in csv.DictReader(f)]
    from_jsonl = [
        (Decimal(str(o["d"])), Decimal(str(o["e"])))
        for o in map(
            lambda line: json.loads(line, parse_float=Decimal),
            (tmp_path / "jsonl" / "t.jsonl").read_text().splitlines(),
        )
    ]
    tbl = pq.read_table(tmp_path / "parquet" / "t.parquet")
    from_parquet = list(zip(tbl["d"].to_pylist(), tbl["e"].to_pylist()))
    db = next((tmp_path / "sqlite").glob("*.sqlite*"))
    with sqlite3.connect(db) as con:
        rows = con.execute("select d, e from t order by rowid").fetchall()
    from_sqlite = [
        (Decimal(str(a)).quantize(Decimal("0.01")), Decimal(str(b)).quantize(Decimal("0.001")))
        for a, b in rows
    ]
    assert len(from_csv) == 500
    assert from_csv == from_jsonl == from_parquet == from_sqlite
    assert all(abs(d) <= Decimal("99.99") and abs(e) <= Decimal("99.999") for d, e in from_csv)
    assert any(d == Decimal("99.99") for d, _ in from_csv)  # the clamp is reached, not wrapped


def test_generation_errors_keep_column_row_and_span_across_processes():
    import pickle

    s = synthdsl.loads(spec("  d decimal(4,2) ~ normal(0, 60)"), "s.synth")
    with pytest.raises(DataError) as exc:
        s.generate()
    err = pickle.loads(pickle.dumps(exc.value))  # how a worker process sends it back
    assert (err.column, err.row, str(err)) == (exc.value.column, exc.value.row, str(exc.value))
    assert (err.span.line, err.span.column) == (3, 20)
    assert err.render().startswith("s.synth:3:20: error: table 't': column 'd'")


def test_wide_decimals_past_int64_are_written_not_rejected(tmp_path):
    s = synthdsl.loads(spec("  d decimal(38,2)? ~ uniform(1e20, 2e20) nulls 20%"))
    s.write(tmp_path / "p", format="parquet")
    s.write(tmp_path / "c", format="csv")
    values = pq.read_table(tmp_path / "p" / "t.parquet")["d"].to_pylist()
    lines = (tmp_path / "c" / "t.csv").read_text().splitlines()[1:]  # a null is an empty line
    from_csv = [Decimal(x) if x else None for x in lines]
    assert values == from_csv
    present = [v for v in values if v is not None]
    assert 0 < len(present) < 500
    assert all(Decimal("1e20") <= v < Decimal("2e20") for v in present)


@pytest.mark.parametrize(
    "typ", ["decimal(20,10)", "decimal(38,10)", "decimal(17,9)", "decimal(19,18)"]
)
def test_large_scales_are_written_exactly(tmp_path, typ):
    """A scale of about 9 or more failed on every value ("Decimal precision out of range [1, 38]:
    42"): the conversion divided by 10**s in Arrow, whose result precision passed 38 (review)."""
    s = synthdsl.loads(
        spec(f"  a {typ} = 0.1\n  b {typ}? ~ uniform(-1, 1) nulls 30%\n  c {typ} = -3")
    )
    s.write(tmp_path / "p", format="parquet")
    tbl = pq.read_table(tmp_path / "p" / "t.parquet")
    assert set(tbl["a"].to_pylist()) == {Decimal("0.1")}
    assert set(tbl["c"].to_pylist()) == {Decimal("-3")}
    b = tbl["b"].to_pylist()
    assert 0 < b.count(None) < 500
    frame = s.generate()["t"]
    for got, want in zip(b, frame["b"]):
        assert got == want or (got is None and want is None)
        assert got is None or abs(got) <= 1
