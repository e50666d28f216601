"""SQLite decimals: numbers SQL can order and add at every precision, or a clear refusal (issue 10).

A ``decimal(18,2)`` used to be a TEXT column, so ``max(total)`` compared strings and returned
'9970.48' while the largest value was 35151.18. These tests query the database with sqlite3 and
compare with the CSV of the same spec and seed, which keeps the exact digits.
"""

from __future__ import annotations

import csv
import sqlite3
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from synthdsl.cli import app
from synthdsl.dtypes import DType
from synthdsl.errors import DataError
from synthdsl.schema import ColumnSchema, TableSchema
from synthdsl.sinks.sqlite import SqliteSink

runner = CliRunner()

WIDE = """seed 3
table orders {
  rows 300
  id     int            = serial() key
  total  decimal(18, 2) ~ uniform(0, 40000) round(2)
  big    decimal(20, 0) ~ uniform(0, 1e18) round(0)
  small  decimal(8, 2)  ~ uniform(0, 99999) round(2)
}
"""


def _generate(spec: Path, out: Path, fmt: str) -> None:
    r = runner.invoke(app, ["generate", str(spec), "--out", str(out), "--format", fmt])
    assert r.exit_code == 0, r.output


def test_wide_decimals_order_and_add_as_numbers(write_spec, tmp_path):
    spec = write_spec(WIDE)
    _generate(spec, tmp_path / "db", "sqlite")
    _generate(spec, tmp_path / "csv", "csv")
    with open(tmp_path / "csv" / "orders.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    con = sqlite3.connect(tmp_path / "db" / "data.sqlite")
    try:
        for col in ("total", "big", "small"):
            want = [Decimal(r[col]) for r in rows]
            # total(): SQLite's sum() of INTEGERs stops at 2**63 ("integer overflow").
            top, total = con.execute(f"SELECT max({col}), total({col}) FROM orders").fetchone()
            assert top == con.execute(f"SELECT {col} FROM orders ORDER BY {col} DESC").fetchone()[0]
            assert Decimal(repr(top)) == max(want)
            assert float(total) == pytest.approx(float(sum(want)), rel=1e-12)
            ordered = [v for (v,) in con.execute(f"SELECT {col} FROM orders ORDER BY {col}")]
            assert [Decimal(repr(v)) for v in ordered] == sorted(want)
            kinds = {t for (t,) in con.execute(f"SELECT DISTINCT typeof({col}) FROM orders")}
            assert kinds <= {"real", "integer"}, (col, kinds)
        decl = dict(con.execute("SELECT name, type FROM pragma_table_info('orders')").fetchall())
        assert decl["total"] == "NUMERIC(18,2)" and decl["big"] == "NUMERIC(20,0)"
        # Whole numbers past 2**53 stay exact as INTEGER (a REAL would round them).
        bigs = [int(v) for (v,) in con.execute("SELECT big FROM orders ORDER BY id")]
        assert bigs == [int(r["big"]) for r in rows]
    finally:
        con.close()


def test_a_value_sqlite_cannot_hold_exactly_is_refused_and_nothing_written(write_spec, tmp_path):
    spec = write_spec("seed 1\ntable t {\n  rows 50\n  d decimal(19, 3) ~ uniform(1e13, 1e14)\n}\n")
    out = tmp_path / "db"
    r = runner.invoke(app, ["generate", str(spec), "--out", str(out), "--format", "sqlite"])
    assert r.exit_code == 1, r.output
    assert "table 't'" in r.stderr and "column 'd'" in r.stderr and "row " in r.stderr
    assert "precision of at most 15" in r.stderr and "csv or parquet" in r.stderr
    assert "Traceback" not in r.output
    # like every error found while generating, it points at the column's line (review, issue 10)
    assert ":4:22: error: table 't'" in r.stderr and "^^^^" in r.stderr
    assert not (out / "data.sqlite").exists()
    # The same spec keeps every digit in CSV.
    _generate(spec, tmp_path / "csv", "csv")


def test_exact_check_value_by_value(tmp_path):
    """Through the sink itself: which wide decimals pass, and the row named when one does not."""
    dtype = DType("decimal", precision=20, scale=2)
    schema = TableSchema("t", (ColumnSchema("v", dtype.with_nullable(True)),))
    ok = [Decimal("35151.18"), Decimal("9970.48"), None, Decimal("-123456789012345678.00")]
    sink = SqliteSink(tmp_path / "ok", [schema])
    sink.write("t", pa.table({"v": pa.array(ok, dtype.arrow_type())}))
    (path,) = sink.commit()
    con = sqlite3.connect(path)
    try:
        got = con.execute("SELECT v, typeof(v) FROM t ORDER BY rowid").fetchall()
        top = con.execute("SELECT max(v) FROM t").fetchone()[0]
    finally:
        con.close()
    assert got == [
        (35151.18, "real"),
        (9970.48, "real"),
        (None, "null"),
        (-123456789012345678, "integer"),
    ]
    assert top == 35151.18
    bad = SqliteSink(tmp_path / "bad", [schema])
    bad.write("t", pa.table({"v": pa.array(ok[:2], dtype.arrow_type())}))
    with pytest.raises(DataError) as exc:
        bad.write(
            "t",
            pa.table(
                {
                    "v": pa.array(
                        [Decimal("1.00"), Decimal("1234567890123456.78")], dtype.arrow_type()
                    )
                }
            ),
        )
    bad.abort()
    assert exc.value.column == "v" and exc.value.row == 4
    assert "1234567890123456.78" in str(exc.value)
