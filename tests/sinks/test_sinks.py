"""Sinks: real files written, read back and compared; atomicity; byte-identity across splits.

Input: small hand-built Arrow batches (helpers below build them from a ``TableSchema`` and columns
of Python values). Output: files in pytest's ``tmp_path``, read back with pyarrow, json, csv readers
and sqlite3. Nothing is mocked: the claims tested are the ones the engine relies on (same rows ->
same bytes, failed run -> no new file and no temp, values and types survive the round trip).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from synthdsl.card.model import (
    Card,
    ColumnReport,
    RuleReport,
    TableReport,
    card_schema,
    card_schema_text,
    read_card,
    write_card,
)
from synthdsl.dtypes import DType
from synthdsl.errors import DataError
from synthdsl.schema import ColumnSchema, TableSchema
from synthdsl.sinks import SINKS, Sink, open_sink
from synthdsl.sinks.jsonl import json_fragments
from synthdsl.sinks.parquet import ROW_GROUP_ROWS
from synthdsl.sinks.sqlite import FILE_NAME, create_table_sql

FORMATS = sorted(SINKS)
REPO = Path(__file__).resolve().parents[2]

# -- helpers ---------------------------------------------------------------------------------------

DEC = DType("decimal", precision=12, scale=2)
ENUM = DType("enum", values=("red", "green", "blue"))
KINDS: dict[str, DType] = {
    "i": DType("int"),
    "f": DType("float"),
    "d": DEC,
    "b": DType("bool"),
    "t": DType("text"),
    "e": ENUM,
    "day": DType("date"),
    "ts": DType("datetime"),
}


def col(name: str, dtype: DType, **kw: Any) -> ColumnSchema:
    return ColumnSchema(name, dtype, **kw)


def table_schema(name: str, *cols: ColumnSchema) -> TableSchema:
    return TableSchema(name, tuple(cols))


def batch(schema: TableSchema, columns: dict[str, list[Any]]) -> pa.Table:
    """An Arrow batch in the schema's types from columns of Python values (None = null)."""
    arrow = schema.arrow_schema()
    arrays = [pa.array(columns[f.name], type=f.type) for f in arrow]
    return pa.Table.from_arrays(arrays, schema=arrow)


def split(table: pa.Table, sizes: list[int]) -> list[pa.Table]:
    """Cut ``table`` into consecutive batches of the given sizes (the last takes the rest)."""
    out, start = [], 0
    for n in sizes:
        if start >= table.num_rows:
            break
        out.append(table.slice(start, n))
        start += n
    if start < table.num_rows:
        out.append(table.slice(start))
    return out


def random_sizes(n: int, seed: int, high: int) -> list[int]:
    rnd = random.Random(seed)
    sizes, total = [], 0
    while total < n:
        sizes.append(rnd.randint(1, high))
        total += sizes[-1]
    return sizes


def leftovers(out: Path) -> list[str]:
    """Hidden files (temps) left in ``out``."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


TRICKY = [
    "",
    "plain",
    'say "hi"',
    "a,b",
    "line1\nline2",
    "cr\r\nlf",
    "tab\there",
    "back\\slash",
    "ctrl\x01\x1f\x7f",
    "bell\b\fform",
    "émoji 😀 ü",
    " lead and trail ",
    "null",
    "\u2028sep",
]
FLOATS = [0.1, 1.0, -0.0, 1e20, 1e-7, 123.456, 5e-324, 1.7976931348623157e308, -2.5, 1e15]


def everything_schema() -> TableSchema:
    """One non-nullable and one nullable column of every type, a key and a unique column."""
    cols = [col("id", DType("int"), key=True), col("code", DType("text"), unique=True)]
    for name, dtype in KINDS.items():
        cols.append(col(name, dtype))
        cols.append(col(name + "_n", dtype.with_nullable(True)))
    return table_schema("everything", *cols)


def everything_columns(n: int, seed: int = 7) -> dict[str, list[Any]]:
    rnd = random.Random(seed)
    base: dict[str, list[Any]] = {
        "i": [rnd.choice([0, -1, 2**62, -(2**62), rnd.randint(-1000, 1000)]) for _ in range(n)],
        "f": [rnd.choice([*FLOATS, rnd.gauss(0, 1e6)]) for _ in range(n)],
        "d": [
            rnd.choice(
                [
                    Decimal("12.30"),
                    Decimal("-0.05"),
                    Decimal("0.00"),
                    Decimal("9999999999.99"),
                    Decimal(rnd.randint(-(10**11), 10**11)) / 100,
                ]
            ).quantize(Decimal("0.01"))
            for _ in range(n)
        ],
        "b": [rnd.random() < 0.5 for _ in range(n)],
        "t": [rnd.choice(TRICKY) for _ in range(n)],
        "e": [rnd.choice(ENUM.values or ()) for _ in range(n)],
        "day": [
            rnd.choice([dt.date(1, 1, 1), dt.date(9999, 12, 31)])
            if rnd.random() < 0.1
            else dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randint(-20000, 30000))
            for _ in range(n)
        ],
        "ts": [
            dt.datetime(2024, 2, 29, 23, 59, 59, rnd.choice([0, 1, 999999]))
            + dt.timedelta(seconds=rnd.randint(-(10**9), 10**9))
            for _ in range(n)
        ],
    }
    columns: dict[str, list[Any]] = {"id": list(range(1, n + 1))}
    columns["code"] = [f"C{i:05d}" for i in range(n)]
    for name, values in base.items():
        columns[name] = values
        columns[name + "_n"] = [None if rnd.random() < 0.3 else v for v in values]
    return columns


PARENT = table_schema(
    "customers", col("id", DType("int"), key=True), col("name", DType("text", nullable=True))
)
CHILD = table_schema(
    "orders",
    col("id", DType("int"), key=True),
    col("customer_id", DType("int"), ref=("customers", "id")),
    col("total", DEC.with_nullable(True)),
)


def parent_child(n_parents: int = 40, n_children: int = 150) -> tuple[pa.Table, pa.Table]:
    rnd = random.Random(3)
    parents = batch(
        PARENT,
        {
            "id": list(range(1, n_parents + 1)),
            "name": [None if i % 7 == 0 else f"name {i}" for i in range(n_parents)],
        },
    )
    children = batch(
        CHILD,
        {
            "id": list(range(1, n_children + 1)),
            "customer_id": [rnd.randint(1, n_parents) for _ in range(n_children)],
            "total": [
                None if i % 5 == 0 else Decimal(rnd.randint(0, 10**6)) / 100
                for i in range(n_children)
            ],
        },
    )
    return parents, children


def write_all(fmt: str, out: Path, plan: list[tuple[str, pa.Table]], schemas: list[TableSchema]):
    with open_sink(fmt, out, schemas) as sink:
        for name, b in plan:
            sink.write(name, b)
        return sink.commit()


def file_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


# -- registry --------------------------------------------------------------------------------------


def test_sinks_registry_names_every_format() -> None:
    assert set(SINKS) == {"csv", "jsonl", "parquet", "sqlite"}
    for name, cls in SINKS.items():
        assert cls.format == name and issubclass(cls, Sink)


def test_unknown_format_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="csv, jsonl, parquet, sqlite"):
        open_sink("xlsx", tmp_path, [PARENT])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_creates_missing_out_dir_and_returns_final_paths(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "a" / "b"
    parents, children = parent_child(5, 5)
    paths = write_all(fmt, out, [("customers", parents), ("orders", children)], [PARENT, CHILD])
    if fmt == "sqlite":
        assert paths == [out / FILE_NAME]
    else:
        assert paths == [out / f"customers.{fmt}", out / f"orders.{fmt}"]
    assert all(p.is_file() for p in paths)
    assert leftovers(out) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_published_files_honour_the_umask(tmp_path: Path, fmt: str) -> None:
    old = os.umask(0o022)
    try:
        (path,) = write_all(fmt, tmp_path, [], [PARENT])
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


# -- determinism -----------------------------------------------------------------------------------


def _plans(parents: pa.Table, children: pa.Table) -> list[list[tuple[str, pa.Table]]]:
    """The same rows delivered in very different batchings and table interleavings."""
    whole = [("customers", parents), ("orders", children)]
    singles = [("customers", b) for b in split(parents, [1] * parents.num_rows)] + [
        ("orders", b) for b in split(children, [1] * children.num_rows)
    ]
    # parents first, then children interleaved with nothing left of the parents
    p_parts = split(parents, random_sizes(parents.num_rows, 1, 9))
    c_parts = split(children, random_sizes(children.num_rows, 2, 17))
    interleaved: list[tuple[str, pa.Table]] = []
    for i in range(max(len(p_parts), len(c_parts))):
        if i < len(p_parts):
            interleaved.append(("customers", p_parts[i]))
        if i < len(c_parts):
            interleaved.append(("orders", c_parts[i]))
    with_empty = [("customers", parents.slice(0, 0)), *whole, ("orders", children.slice(0, 0))]
    return [whole, singles, interleaved, with_empty]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bytes_do_not_depend_on_batching(tmp_path: Path, fmt: str) -> None:
    parents, children = parent_child()
    outputs = []
    for i, plan in enumerate(_plans(parents, children)):
        out = tmp_path / str(i)
        write_all(fmt, out, plan, [PARENT, CHILD])
        outputs.append(file_bytes(out))
    assert all(o == outputs[0] for o in outputs[1:])


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_type_bytes_do_not_depend_on_batching(tmp_path: Path, fmt: str) -> None:
    schema = everything_schema()
    rows = batch(schema, everything_columns(300))
    splits = [[300], [1] * 300, random_sizes(300, 5, 40), [299, 1]]
    outputs = []
    for i, sizes in enumerate(splits):
        out = tmp_path / str(i)
        write_all(fmt, out, [(schema.name, b) for b in split(rows, sizes)], [schema])
        outputs.append(file_bytes(out))
    assert all(o == outputs[0] for o in outputs[1:])


def test_parquet_row_groups_have_a_fixed_size_whatever_the_batches(tmp_path: Path) -> None:
    n = 2 * ROW_GROUP_ROWS + ROW_GROUP_ROWS // 2
    schema = table_schema(
        "big", col("id", DType("int"), key=True), col("x", DType("float")), col("s", KINDS["t"])
    )
    rows = pa.Table.from_arrays(
        [
            pa.array(range(n), pa.int64()),
            pa.array([i / 7 for i in range(n)], pa.float64()),
            pa.array([f"s{i % 1000}" for i in range(n)], pa.string()),
        ],
        schema=schema.arrow_schema(),
    )
    splits = [[n], [1, ROW_GROUP_ROWS - 2, ROW_GROUP_ROWS + 3, 5], random_sizes(n, 9, 50_000)]
    outputs = []
    for i, sizes in enumerate(splits):
        out = tmp_path / str(i)
        (path,) = write_all("parquet", out, [("big", b) for b in split(rows, sizes)], [schema])
        outputs.append(path.read_bytes())
        meta = pq.ParquetFile(path).metadata
        groups = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        assert groups == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, ROW_GROUP_ROWS // 2]
    assert all(o == outputs[0] for o in outputs[1:])
    assert pq.read_table(tmp_path / "0" / "big.parquet").equals(rows)


def test_sqlite_builds_in_one_transaction(tmp_path: Path) -> None:
    parents, children = parent_child()
    plan = _plans(parents, children)[1]  # one write per row
    (path,) = write_all("sqlite", tmp_path, plan, [PARENT, CHILD])
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[24:28], "big") == 1  # file change counter


# -- round trips -----------------------------------------------------------------------------------


def _roundtrip_table(fmt: str, tmp_path: Path) -> tuple[TableSchema, pa.Table, Path]:
    schema = everything_schema()
    rows = batch(schema, everything_columns(200))
    (path,) = write_all(fmt, tmp_path, [(schema.name, b) for b in split(rows, [70, 70])], [schema])
    return schema, rows, path


def test_parquet_round_trip_keeps_values_and_types(tmp_path: Path) -> None:
    schema, rows, path = _roundtrip_table("parquet", tmp_path)
    back = pq.read_table(path)
    assert back.schema.equals(schema.arrow_schema())
    assert back.equals(rows)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"


def test_csv_round_trip_keeps_values_nulls_and_empty_strings(tmp_path: Path) -> None:
    schema, rows, path = _roundtrip_table("csv", tmp_path)
    back = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema.arrow_schema(),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty string, a bare empty field is null
        ),
    )
    assert back.cast(schema.arrow_schema()).equals(rows)


def test_csv_text_forms(tmp_path: Path) -> None:
    schema = table_schema(
        "forms",
        col("b", DType("bool", nullable=True)),
        col("d", DEC.with_nullable(True)),
        col("day", DType("date", nullable=True)),
        col("ts", DType("datetime", nullable=True)),
        col("t", DType("text", nullable=True)),
    )
    rows = batch(
        schema,
        {
            "b": [True, False, None],
            "d": [Decimal("12.30"), Decimal("-0.05"), None],
            "day": [dt.date(2024, 1, 2), None, dt.date(1, 1, 1)],
            "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, 6), None, dt.datetime(2024, 1, 2)],
            "t": ["x", "", None],
        },
    )
    (path,) = write_all("csv", tmp_path, [("forms", rows)], [schema])
    assert path.read_text() == (
        '"b","d","day","ts","t"\n'
        'true,12.30,2024-01-02,2024-01-02 03:04:05.000006,"x"\n'
        'false,-0.05,,,""\n'
        ",,0001-01-01,2024-01-02 00:00:00.000000,\n"
    )


def test_jsonl_round_trip_keeps_values_types_and_key_order(tmp_path: Path) -> None:
    schema, rows, path = _roundtrip_table("jsonl", tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == rows.num_rows + 1
    expected = rows.to_pylist()
    for line, want in zip(lines, expected):
        got = json.loads(line, parse_float=Decimal)
        assert list(got) == schema.names
        for c in schema.columns:
            g, w = got[c.name], want[c.name]
            if w is None:
                assert g is None
            elif c.dtype.kind == "float":
                assert isinstance(g, Decimal) and float(g) == w
            elif c.dtype.kind == "decimal":
                assert isinstance(g, Decimal) and str(g) == str(w)  # exact digits, "12.30"
            elif c.dtype.kind == "date":
                assert dt.date.fromisoformat(g) == w
            elif c.dtype.kind == "datetime":
                assert "T" in g and dt.datetime.fromisoformat(g) == w
            else:
                assert g == w and type(g) is type(w)


def test_jsonl_text_forms(tmp_path: Path) -> None:
    schema = table_schema(
        "forms",
        col("i", DType("int", nullable=True)),
        col("f", DType("float", nullable=True)),
        col("d", DEC.with_nullable(True)),
        col("b", DType("bool")),
        col("ts", DType("datetime")),
        col("t", DType("text")),
    )
    rows = batch(
        schema,
        {
            "i": [None, -3, 7],
            "f": [1.0, float("nan"), float("-inf")],
            "d": [Decimal("12.30"), None, Decimal("0.00")],
            "b": [True, False, True],
            "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, 6)] * 3,
            "t": ['q"\\', "a\nb\x01", "ü"],
        },
    )
    (path,) = write_all("jsonl", tmp_path, [("forms", rows)], [schema])
    ts = '"2024-01-02T03:04:05.000006"'
    assert path.read_text(encoding="utf-8") == (
        f'{{"i":null,"f":1.0,"d":12.30,"b":true,"ts":{ts},"t":"q\\"\\\\"}}\n'
        f'{{"i":-3,"f":null,"d":null,"b":false,"ts":{ts},"t":"a\\nb\\u0001"}}\n'
        f'{{"i":7,"f":null,"d":0.00,"b":true,"ts":{ts},"t":"ü"}}\n'
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=5))
def test_jsonl_strings_are_escaped_like_json_dumps(values: list[str]) -> None:
    got = json_fragments(pa.array(values, pa.string()), KINDS["t"]).to_pylist()
    assert got == [json.dumps(v, ensure_ascii=False) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(), min_size=1, max_size=5))
def test_jsonl_floats_round_trip(values: list[float]) -> None:
    got = json_fragments(pa.array(values, pa.float64()), KINDS["f"]).to_pylist()
    for text, v in zip(got, values):
        if v != v or v in (float("inf"), float("-inf")):
            assert text == "null"
        else:
            assert json.loads(text) == v and isinstance(json.loads(text), float)


def test_sqlite_round_trip_keeps_values_and_declares_constraints(tmp_path: Path) -> None:
    schema, rows, path = _roundtrip_table("sqlite", tmp_path)
    con = sqlite3.connect(path)
    try:
        info = {r[1]: r for r in con.execute("PRAGMA table_info(everything)")}
        for c in schema.columns:
            _, _, decl, notnull, _, pk = info[c.name]
            assert decl == c.dtype.sql_type()
            assert notnull == (not c.dtype.nullable)
            assert pk == (1 if c.key else 0)
        uniques = [r for r in con.execute("PRAGMA index_list(everything)") if r[2]]
        unique_cols = {con.execute(f"PRAGMA index_info({idx[1]})").fetchone()[2] for idx in uniques}
        assert unique_cols == {"code"}
        got = con.execute(f"SELECT {', '.join(schema.names)} FROM everything ORDER BY rowid")
        for row, want in zip(got.fetchall(), rows.to_pylist(), strict=True):
            for c, g in zip(schema.columns, row):
                w = want[c.name]
                kind = c.dtype.kind
                if w is None:
                    assert g is None
                elif kind == "bool":
                    assert g == int(w)
                elif kind == "decimal":  # REAL/INTEGER: exact to 15 significant digits
                    assert isinstance(g, int | float)
                    assert Decimal(repr(g)).quantize(Decimal("0.01")) == w
                elif kind == "date":
                    assert g == w.isoformat()
                elif kind == "datetime":
                    assert g == w.isoformat(sep=" ", timespec="microseconds")
                else:
                    assert g == w and type(g) is type(w)
    finally:
        con.close()


def test_sqlite_foreign_keys_are_declared_and_enforced(tmp_path: Path) -> None:
    parents, children = parent_child()
    (path,) = write_all("sqlite", tmp_path, _plans(parents, children)[2], [PARENT, CHILD])
    assert "REFERENCES" in create_table_sql(CHILD)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        fk = con.execute("PRAGMA foreign_key_list(orders)").fetchall()
        assert [(r[2], r[3], r[4]) for r in fk] == [("customers", "customer_id", "id")]
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == children.num_rows
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        assert tables == ["customers", "orders"]
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            con.execute("INSERT INTO orders (id, customer_id) VALUES (9999, 12345)")
    finally:
        con.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_tables_are_still_written(tmp_path: Path, fmt: str) -> None:
    write_all(fmt, tmp_path, [], [PARENT])
    if fmt == "csv":
        assert (tmp_path / "customers.csv").read_text() == '"id","name"\n'
    elif fmt == "jsonl":
        assert (tmp_path / "customers.jsonl").read_bytes() == b""
    elif fmt == "parquet":
        back = pq.read_table(tmp_path / "customers.parquet")
        assert back.num_rows == 0 and back.schema.equals(PARENT.arrow_schema())
    else:
        con = sqlite3.connect(tmp_path / FILE_NAME)
        assert con.execute("SELECT count(*) FROM customers").fetchone() == (0,)
        con.close()


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_dangling_foreign_key_fails_the_sqlite_commit(tmp_path: Path, fmt: str) -> None:
    parents, children = parent_child(5, 5)
    bad = batch(CHILD, {"id": [100, 101, 102], "customer_id": [1, 2, 99], "total": [None] * 3})
    plan = [("customers", parents), ("orders", children), ("orders", bad)]
    if fmt != "sqlite":  # file formats do not check references; the engine does
        write_all(fmt, tmp_path, plan, [PARENT, CHILD])
        return
    with pytest.raises(DataError, match=r"table 'orders'.*99.*customers\.id") as err:
        write_all(fmt, tmp_path, plan, [PARENT, CHILD])
    assert err.value.column == "customer_id" and err.value.row == 8
    assert list(tmp_path.iterdir()) == []


def test_sqlite_refs_must_point_at_a_key_of_a_sink_table(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a column of a table in this sink"):
        open_sink("sqlite", tmp_path, [CHILD])
    to_name = table_schema("x", col("n", DType("text"), ref=("customers", "name")))
    with pytest.raises(ValueError, match="neither the key nor unique"):
        open_sink("sqlite", tmp_path, [PARENT, to_name])
    assert list(tmp_path.iterdir()) == []


def test_sqlite_duplicate_key_is_a_data_error(tmp_path: Path) -> None:
    dup = batch(PARENT, {"id": [1, 2, 3, 2], "name": ["a", "b", "c", "d"]})
    with pytest.raises(DataError, match="customers") as err:
        write_all("sqlite", tmp_path, [("customers", dup)], [PARENT])
    assert err.value.column == "id" and err.value.row == 4
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_null_in_non_nullable_column_names_column_and_row(tmp_path: Path, fmt: str) -> None:
    with open_sink(fmt, tmp_path, [PARENT, CHILD]) as sink:
        sink.write("orders", batch(CHILD, {"id": [1, 2], "customer_id": [1, 1], "total": [1, 2]}))
        bad = pa.table({"id": [3, 4], "customer_id": [1, None], "total": [None, None]})
        with pytest.raises(DataError, match="non-nullable") as err:
            sink.write("orders", bad)
    assert (err.value.column, err.value.row) == ("customer_id", 4)
    assert list(tmp_path.iterdir()) == []


def test_batches_are_checked_and_cast_to_the_schema(tmp_path: Path) -> None:
    with open_sink("parquet", tmp_path, [PARENT]) as sink:
        with pytest.raises(KeyError, match=r"unknown table 'nope'.*customers"):
            sink.write("nope", pa.table({"id": [1]}))
        with pytest.raises(ValueError, match="batch columns"):
            sink.write("customers", pa.table({"name": ["x"], "id": [1]}))
        with pytest.raises(ValueError, match="does not fit"):
            sink.write("customers", pa.table({"id": ["not a number"], "name": ["x"]}))
        # int32 and a record batch with nullable fields are fine: cast to the schema's types
        rb = pa.record_batch({"id": pa.array([1], pa.int32()), "name": pa.array(["x"])})
        sink.write("customers", rb)
        (path,) = sink.commit()
    assert pq.read_table(path).schema.equals(PARENT.arrow_schema())


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", "a\\b"])
def test_table_names_must_be_safe_file_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="file name"):
        open_sink("csv", tmp_path, [table_schema(name, col("id", DType("int")))])


# -- atomicity -------------------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("fmt", FORMATS)
def test_exception_inside_with_leaves_no_output_and_no_temp(tmp_path: Path, fmt: str) -> None:
    parents, _ = parent_child()
    with pytest.raises(Boom), open_sink(fmt, tmp_path, [PARENT, CHILD]) as sink:
        sink.write("customers", parents)
        assert leftovers(tmp_path)  # temps exist while writing
        raise Boom
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_leaving_with_without_commit_aborts(tmp_path: Path, fmt: str) -> None:
    parents, _ = parent_child()
    with open_sink(fmt, tmp_path, [PARENT]) as sink:
        sink.write("customers", parents)
    assert list(tmp_path.iterdir()) == []
    sink.abort()  # idempotent
    with pytest.raises(RuntimeError, match="aborted"):
        sink.write("customers", parents)
    with pytest.raises(RuntimeError, match="aborted"):
        sink.commit()


@pytest.mark.parametrize("fmt", FORMATS)
def test_old_output_survives_a_failed_run(tmp_path: Path, fmt: str) -> None:
    parents, children = parent_child()
    write_all(fmt, tmp_path, [("customers", parents), ("orders", children)], [PARENT, CHILD])
    before = file_bytes(tmp_path)
    smaller = parents.slice(0, 3)
    with pytest.raises(Boom), open_sink(fmt, tmp_path, [PARENT, CHILD]) as sink:
        sink.write("customers", smaller)
        raise Boom
    assert file_bytes(tmp_path) == before
    # and a successful run replaces it
    write_all(fmt, tmp_path, [("customers", smaller)], [PARENT, CHILD])
    assert file_bytes(tmp_path) != before
    assert leftovers(tmp_path) == []


def test_failed_commit_keeps_old_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"old database")
    parents, _ = parent_child(3, 0)
    bad = batch(CHILD, {"id": [1], "customer_id": [42], "total": [None]})
    with pytest.raises(DataError):
        write_all("sqlite", tmp_path, [("customers", parents), ("orders", bad)], [PARENT, CHILD])
    assert file_bytes(tmp_path) == {FILE_NAME: b"old database"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_commit_twice_and_abort_after_commit(tmp_path: Path, fmt: str) -> None:
    sink = open_sink(fmt, tmp_path, [PARENT])
    sink.write("customers", parent_child(4, 0)[0])
    assert sink.row_counts == {"customers": 4}
    paths = sink.commit()
    assert sink.paths("customers") == paths
    sink.abort()  # no-op once committed
    assert all(p.exists() for p in paths)
    with pytest.raises(RuntimeError, match="committed"):
        sink.commit()


# -- card ------------------------------------------------------------------------------------------


def _card() -> Card:
    return Card(
        synthdsl_version="0.1.0",
        spec_sha256="ab" * 32,
        spec_path="specs/shop.synth",
        seed=42,
        format="csv",
        chunk_size=10_000,
        tables=[
            TableReport(
                name="customers",
                rows=40,
                columns=[
                    ColumnReport(name="id", type="int", generator="key"),
                    ColumnReport(name="name", type="text?", generator="faker.name"),
                ],
                files=["customers.csv"],
            )
        ],
        rules=[
            RuleReport(
                table="orders",
                rule="total >= 0",
                columns=["total"],
                enforcement="redraw",
                redrawn_rows=3,
            )
        ],
    )


def test_committed_card_schema_is_current() -> None:
    committed = (REPO / "docs" / "card.schema.json").read_text(encoding="utf-8")
    assert committed == card_schema_text(), (
        "docs/card.schema.json is stale; regenerate it with: "
        ".venv/bin/python -m synthdsl.card.model docs/card.schema.json"
    )
    assert json.loads(committed) == card_schema()


def test_written_card_validates_and_is_stable(tmp_path: Path) -> None:
    path = write_card(tmp_path / "out", _card())
    assert path == tmp_path / "out" / "card.json"
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(card_schema())
    jsonschema.validate(data, card_schema(), cls=jsonschema.Draft202012Validator)
    assert text.endswith("}\n") and text.startswith('{\n  "chunk_size": 10000,')
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert read_card(path) == _card()
    write_card(tmp_path / "out", _card())
    assert path.read_text(encoding="utf-8") == text
    assert leftovers(tmp_path / "out") == []


def test_card_rejects_unknown_fields_and_bad_values() -> None:
    good = _card().model_dump()
    with pytest.raises(ValidationError, match="extra"):
        Card.model_validate({**good, "sed": 1})
    with pytest.raises(ValidationError):
        Card.model_validate({**good, "spec_sha256": "not-a-hash"})
    bad = {**good, "privacy": {"epsilon": 1.0}, "unknown": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, card_schema(), cls=jsonschema.Draft202012Validator)
