"""Reading sink output back (``synthdsl.sinks.records``), as the fixture check does: CSV rows keep
their text (quoting counts), multi-line CSV records count as one row, Parquet NaN equals NaN, and a
SQLite file is opened without creating anything beside it."""

from __future__ import annotations

import math
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthdsl.sinks.records import TableNotFoundError, open_records, same_values


def rows(fmt, path, table="t"):
    with open_records(fmt, path, table) as records:
        return records, [(r.line, r.key) for r in records.rows]


def test_csv_rows_keep_their_text_and_span_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('"a","b"\r\n1,"x\ny"\r\n2,""\r\n3,\r\n')
    records, got = rows("csv", path)
    assert records.columns == ["a", "b"]
    # \r\n becomes \n; the record with a quoted newline is one row starting on line 2.
    assert got == [(2, '1,"x\ny"\n'), (4, '2,""\n'), (5, "3,\n")]
    assert records.values(got[1][1]) == {"a": "2", "b": ""}
    assert records.values(got[2][1]) == {"a": "3", "b": ""}  # parsed alike, told apart by text


def test_parquet_nan_equals_nan(tmp_path):
    table = pa.table({"x": pa.array([1.0, math.nan], pa.float64())})
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table, tmp_path / "b.parquet", compression="snappy")
    (_, a), (_, b) = (
        rows("parquet", tmp_path / "a.parquet"),
        rows("parquet", tmp_path / "b.parquet"),
    )
    assert all(same_values(x[1], y[1]) for x, y in zip(a, b))
    assert not same_values((1.0,), (2.0,))


def test_sqlite_is_read_without_writing_beside_it(tmp_path):
    path = tmp_path / "data.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    conn.close()
    records, got = rows("sqlite", path)
    assert got == [(None, (1, "a")), (None, (2, "b"))]
    assert records.schema == ["k: INTEGER", "v: TEXT not null"]
    with pytest.raises(TableNotFoundError):
        rows("sqlite", path, "nosuch")
    assert [p.name for p in tmp_path.iterdir()] == ["data.sqlite"]
