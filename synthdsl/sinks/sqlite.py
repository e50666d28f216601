"""SQLite output: every table in one ``<out>/data.sqlite`` (stdlib ``sqlite3``).

Input: conformed Arrow batches, tables interleaved. Output: a database whose tables are created in
the order given (parents first) with declared types (``DType.sql_type()``), ``NOT NULL`` on
non-nullable columns, ``PRIMARY KEY`` on the key column, ``UNIQUE`` on unique columns and ``FOREIGN
KEY (col) REFERENCES parent(key)`` for refs. Values: ints and floats as numbers, booleans as 0/1,
text as text, dates as ``YYYY-MM-DD`` and datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLite's own
date-function format), decimals as numbers in a ``NUMERIC(p,s)`` column, so ``max``, ``sum`` and
``ORDER BY`` treat them as numbers. SQLite has no decimal type: it stores a number as a 64-bit
INTEGER or REAL. A decimal of precision 15 or less is inserted as its exact digits (``'12.30'``) and
the ``NUMERIC`` affinity stores it as INTEGER when whole, else REAL, which holds 15 significant
digits exactly. A wider decimal is checked value by value (``_exact_numbers``): a whole number that
fits 64 bits becomes an INTEGER, any other value a REAL only when that REAL reads back as the same
decimal at the column's scale; a value neither can hold is a ``DataError`` naming the table, column
and row, and nothing is written (Parquet, CSV and JSON Lines keep every digit).

Why two files: the page layout of a SQLite file depends on the order rows arrive, and the engine
interleaves tables differently for different chunk sizes. So batches are first appended to an
untyped, unindexed staging database (a hidden temp beside the target); ``commit`` then builds the
real database in ONE transaction (the header's change counter counts transactions) by copying each
table from staging in table order, runs ``PRAGMA foreign_key_check`` (raising ``DataError`` on the
first broken reference) and only then publishes it. The result depends on the rows alone, not on
batching.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthdsl.errors import DataError
from synthdsl.schema import ColumnSchema, TableSchema
from synthdsl.sinks.base import Sink

FILE_NAME = "data.sqlite"
PAGE_SIZE = 4096  # pinned: the compile-time default differs between builds
INSERT_ROWS = 65_536  # rows converted to Python at once
MAX_REAL_DIGITS = 15  # significant digits a 64-bit float holds exactly, whatever they are


class SqliteSink(Sink):
    """Writes all tables into one SQLite database, built deterministically at commit."""

    format = "sqlite"

    def _open(self) -> None:
        _check_refs(self._schemas)
        for schema in self._schemas.values():
            if not schema.columns:  # `CREATE TABLE t ()` is a syntax error in SQLite
                raise DataError(
                    f"table '{schema.name}' has no columns, and a SQLite table needs one: "
                    "add a column or use another format"
                )
        self._target = self.out_dir / FILE_NAME
        self._stage_path = self._scratch_file(self._target)
        self._final_path = self._temp(self._target)
        self._stage: sqlite3.Connection | None = _connect(self._stage_path)
        self._stage.execute("BEGIN")
        for schema in self._schemas.values():
            cols = ", ".join(_q(c.name) for c in schema.columns)  # untyped: values kept as given
            self._stage.execute(f"CREATE TABLE {_q(schema.name)} ({cols})")
        self._final: sqlite3.Connection | None = None

    def _paths(self, table: str) -> list[Path]:
        return [self.out_dir / FILE_NAME]

    def _write(self, table: str, batch: pa.Table) -> None:
        assert self._stage is not None
        schema = self._schemas[table]
        marks = ", ".join("?" * len(schema.columns))
        sql = f"INSERT INTO {_q(table)} VALUES ({marks})"
        self._stage.executemany(sql, _python_rows(batch, schema, self._rows[table]))

    def _finish(self) -> None:
        assert self._stage is not None
        self._stage.execute("COMMIT")
        self._stage.close()
        self._stage = None
        self._final = final = _connect(self._final_path)
        final.execute("ATTACH DATABASE ? AS stage", (str(self._stage_path),))
        final.execute("BEGIN")
        for schema in self._schemas.values():
            final.execute(create_table_sql(schema))
        for schema in self._schemas.values():
            cols = ", ".join(_q(c.name) for c in schema.columns)
            try:
                final.execute(
                    f"INSERT INTO main.{_q(schema.name)} ({cols}) "
                    f"SELECT {cols} FROM stage.{_q(schema.name)} ORDER BY rowid"
                )
            except sqlite3.IntegrityError as e:
                raise _integrity_error(final, schema, e) from e
        _check_foreign_keys(final, self._schemas)
        final.execute("COMMIT")
        final.execute("DETACH DATABASE stage")
        final.close()
        self._final = None

    def _close(self) -> None:
        for attr in ("_stage", "_final"):
            conn = getattr(self, attr, None)
            if conn is not None:
                setattr(self, attr, None)
                conn.close()


def create_table_sql(schema: TableSchema) -> str:
    """The ``CREATE TABLE`` statement for ``schema`` (public so tests and docs can show it)."""
    lines = []
    for c in schema.columns:
        decl = f"{_q(c.name)} {c.dtype.sql_type()}"
        if not c.dtype.nullable:
            decl += " NOT NULL"
        if c.key:
            decl += " PRIMARY KEY"
        elif c.unique:
            decl += " UNIQUE"
        lines.append(decl)
    for c in schema.columns:
        if c.ref is not None:
            parent, key = c.ref
            lines.append(f"FOREIGN KEY ({_q(c.name)}) REFERENCES {_q(parent)} ({_q(key)})")
    return f"CREATE TABLE {_q(schema.name)} (\n  " + ",\n  ".join(lines) + "\n)"


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the whole build is one transaction.
    # check_same_thread=False: the sink is used sequentially, but not always from the thread that
    # opened it (e.g. an engine that commits from a worker thread).
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    # The file is a private temp that is deleted on failure, so no journal is needed; durability
    # comes from fsync before the rename.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def _q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _python_rows(batch: pa.Table, schema: TableSchema, first_row: int) -> Iterator[tuple[Any, ...]]:
    """Rows as tuples of values sqlite3 binds natively (dates, datetimes, decimals become text).

    ``first_row`` is the table's row index of the batch's first row, for errors.
    """
    for start in range(0, batch.num_rows, INSERT_ROWS):
        part = batch.slice(start, INSERT_ROWS)
        columns = [
            _python_values(part.column(c.name), schema.name, c, first_row + start)
            for c in schema.columns
        ]
        yield from zip(*columns)


def _python_values(
    data: pa.ChunkedArray, table: str, column: ColumnSchema, first_row: int
) -> list[Any]:
    if column.dtype.kind == "decimal" and (column.dtype.precision or 18) > MAX_REAL_DIGITS:
        return _exact_numbers(data.to_pylist(), table, column, first_row)
    if column.dtype.kind in ("date", "datetime", "decimal"):
        # date32 -> 2024-01-02, timestamp[us] -> 2024-01-02 03:04:05.000006, decimal -> 12.30
        data = pc.cast(data, pa.string())
    return data.to_pylist()


def _exact_numbers(
    values: list[Decimal | None], table: str, column: ColumnSchema, first_row: int
) -> list[Any]:
    """Decimals wider than 15 digits as the int or float that holds each exactly, or a DataError.

    Why not the text, as for narrower decimals: SQLite's NUMERIC affinity converts text through a
    double and rounds past 15 digits without a word (``'12345678901234567.00'`` reads back as
    ``...568``), and a TEXT column would sort ``'9970.48'`` above ``'35151.18'``. The engine computes
    decimals in float64, so nearly every value passes; one that cannot is refused, not rounded.
    """
    quantum = Decimal(1).scaleb(-(column.dtype.scale or 0))
    out: list[Any] = []
    with localcontext(Context(prec=80)):
        for i, d in enumerate(values):
            if d is None:
                out.append(None)
            elif d == d.to_integral_value() and -(2**63) <= d < 2**63:
                out.append(int(d))
            elif d.is_finite() and Decimal(float(d)).quantize(quantum) == d:
                out.append(float(d))
            else:
                raise DataError(
                    f"table '{table}': decimal value {d} cannot be stored exactly in "
                    f"SQLite, which keeps numbers as 64-bit integers or floats (exact to 15 "
                    f"significant digits); declare {column.name} with a precision of at most "
                    f"{MAX_REAL_DIGITS}, or write csv or parquet, which keep every digit",
                    column=column.name,
                    row=first_row + i + 1,  # 1-based, as every message counts rows
                )
    return out


def _check_refs(schemas: dict[str, TableSchema]) -> None:
    """Refs must name a key or unique column of a table in this sink.

    Why: SQLite accepts any ``REFERENCES`` clause at ``CREATE TABLE`` but fails the FK check with a
    bare "foreign key mismatch" otherwise; saying which column is wrong up front is kinder.
    """
    for schema in schemas.values():
        for c in schema.columns:
            if c.ref is None:
                continue
            parent, key = c.ref
            target = schemas.get(parent)
            if target is None or key not in target.names:
                problem = "which is not a column of a table in this sink"
            elif not (target.column(key).key or target.column(key).unique):
                problem = "which is neither the key nor unique"
            else:
                continue
            raise ValueError(
                f"table '{schema.name}' column '{c.name}' references {parent}.{key}, {problem}"
            )


def _row_index(conn: sqlite3.Connection, table: str, rowid: int, schema: str = "main") -> int:
    """0-based position of a row in insertion order (rowids grow in insertion order here); messages
    add 1, as they count rows from 1."""
    sql = f"SELECT count(*) FROM {schema}.{_q(table)} WHERE rowid < ?"
    return int(conn.execute(sql, (rowid,)).fetchone()[0])


def _check_foreign_keys(conn: sqlite3.Connection, schemas: dict[str, TableSchema]) -> None:
    """Raise ``DataError`` for the first row (table order, then row order) with a dangling ref."""
    bad = conn.execute("PRAGMA main.foreign_key_check").fetchall()
    if not bad:
        return
    order = {name: i for i, name in enumerate(schemas)}
    table, rowid, parent, fkid = min(bad, key=lambda r: (order.get(r[0], len(order)), r[1]))
    fk = [r for r in conn.execute(f"PRAGMA main.foreign_key_list({_q(table)})") if r[0] == fkid]
    column, key = fk[0][3], fk[0][4]
    value = conn.execute(f"SELECT {_q(column)} FROM main.{_q(table)} WHERE rowid = ?", (rowid,))
    raise DataError(
        f"table '{table}': foreign key {column} = {value.fetchone()[0]!r} "
        f"has no matching row in {parent}.{key} ({len(bad)} broken reference(s))",
        column=column,
        row=_row_index(conn, table, rowid) + 1,
    )


def _integrity_error(
    conn: sqlite3.Connection, schema: TableSchema, error: sqlite3.IntegrityError
) -> DataError:
    """Turn a UNIQUE/PRIMARY KEY violation into a ``DataError`` naming the first repeated row."""
    message = f"table '{schema.name}': {error}"
    for c in schema.columns:
        if not (c.key or c.unique) or f"{schema.name}.{c.name}" not in str(error):
            continue
        col = _q(c.name)
        first = conn.execute(
            f"SELECT rid, v FROM (SELECT rowid AS rid, {col} AS v, row_number() OVER "
            f"(PARTITION BY {col} ORDER BY rowid) AS n FROM stage.{_q(schema.name)} "
            f"WHERE {col} IS NOT NULL) WHERE n = 2 ORDER BY rid LIMIT 1"
        ).fetchone()
        if first is not None:
            row = _row_index(conn, schema.name, first[0], schema="stage") + 1
            return DataError(f"{message}: value {first[1]!r} repeats", column=c.name, row=row)
    return DataError(message)
