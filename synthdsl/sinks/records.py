"""Read back what a sink wrote, one table at a time, as records to compare (the inverse of a sink).

Input: a format name, a file a sink wrote (or one claiming to be such a file) and a table name.
Output: ``Records``: the table's column names, a printable description of its columns, and its
rows in file order, each as a comparison ``key`` plus the line where it starts in a text file.
``synthdsl.fixtures`` compares the records of an expected file with those of a found one.

Why keys differ by format: CSV and JSON Lines rows are compared by their text (after turning
``\\r\\n`` into ``\\n``, which git's ``autocrlf`` adds), since parsing loses what makes them differ
(the CSV sink quotes strings so ``""`` is an empty string and an empty field a null; a parser
reads both as ``''``). Parquet and SQLite rows are compared by value: their bytes also depend on
the writer's version, which regenerating cannot change. ``values`` turns a key into named values
only for a row that differs, to say which columns differ.
"""

from __future__ import annotations

import contextlib
import csv
import decimal
import io
import json
import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FETCH_ROWS = 65_536  # rows read at once from Parquet and SQLite

# What reading a damaged or foreign file can raise; the caller reports it as "cannot read".
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    csv.Error,
    UnicodeError,
    ValueError,
    pa.ArrowException,
    sqlite3.Error,
)


class TableNotFoundError(LookupError):
    """The file exists but does not hold the table (a SQLite database without it)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row: ``key`` is what rows are compared by; ``line`` is its first line in a text file."""

    line: int | None
    key: Any


@dataclass
class Records:
    """One table read back from a file."""

    columns: list[str]
    rows: Iterator[Row]
    values: Callable[[Any], dict[str, Any]]  # a row's key -> {column: value}, for the summary
    schema: list[str] = field(default_factory=list)  # one "name: type" per column, where typed
    definition: str | None = None  # the table's full definition (SQLite's CREATE TABLE)
    same: Callable[[Any, Any], bool] = lambda a, b: a == b


def same_value(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (a float column may hold NaN; ``nan != nan`` in Python)."""
    if a == b:
        return True
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def same_values(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Tuple equality with ``same_value`` per item; the fast ``==`` decides almost every row."""
    return a == b or (len(a) == len(b) and all(map(same_value, a, b)))


@contextlib.contextmanager
def open_records(format: str, path: Path, table: str) -> Iterator[Records]:
    """The records of ``table`` in ``path``, a file written in ``format``; closes it on exit.

    Raises:
        TableNotFoundError: a SQLite file without ``table``.
        One of ``READ_ERRORS``: the file cannot be read as ``format`` (now or while iterating).
    """
    readers = {"csv": _csv, "jsonl": _jsonl, "parquet": _parquet, "sqlite": _sqlite}
    with readers[format](Path(path), table) as records:
        yield records


def sqlite_tables(path: Path) -> list[str]:
    """The tables of a SQLite file, in creation order (to list tables the spec does not write)."""
    with contextlib.closing(_connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
        return [name for (name,) in rows]


# -- text formats: rows compared by their text --------------------------------------------------


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n")


@contextlib.contextmanager
def _csv(path: Path, table: str) -> Iterator[Records]:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        consumed: list[str] = []

        def lines() -> Iterator[str]:
            for line in f:
                consumed.append(line)
                yield line

        def take() -> str:  # the text of the record the reader just returned (may span lines)
            text = _crlf("".join(consumed))
            consumed.clear()
            return text

        reader = csv.reader(lines())
        header = next(reader, [])
        take()

        def rows() -> Iterator[Row]:
            start = reader.line_num + 1
            for _ in reader:
                yield Row(start, take())
                start = reader.line_num + 1

        def values(text: str) -> dict[str, Any]:
            fields = next(csv.reader(io.StringIO(text, newline="")), [])
            named = dict(zip(header, fields))
            named.update({f"(field {i + 1})": v for i, v in enumerate(fields) if i >= len(header)})
            return named

        yield Records(columns=header, rows=rows(), values=values, schema=list(header))


@contextlib.contextmanager
def _jsonl(path: Path, table: str) -> Iterator[Records]:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        first = f.readline()
        f.seek(0)
        columns = list(_json_object(first)) if first else []

        def rows() -> Iterator[Row]:
            for number, line in enumerate(f, 1):
                yield Row(number, _crlf(line))

        yield Records(columns=columns, rows=rows(), values=_json_object)


def _json_object(line: str) -> dict[str, Any]:
    """A JSON Lines row as a dict (decimals exact); ``{}`` when the line is not a JSON object."""
    try:
        obj = json.loads(line, parse_float=decimal.Decimal)
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}


# -- binary formats: rows compared by value -------------------------------------------------------


@contextlib.contextmanager
def _parquet(path: Path, table: str) -> Iterator[Records]:
    with pq.ParquetFile(path) as pf:
        schema = pf.schema_arrow
        columns = list(schema.names)

        def rows() -> Iterator[Row]:
            if not columns:  # zip() of no columns would drop the rows
                yield from (Row(None, ()) for _ in range(pf.metadata.num_rows))
                return
            for batch in pf.iter_batches(batch_size=FETCH_ROWS):
                for values in zip(*(c.to_pylist() for c in batch.columns)):
                    yield Row(None, values)

        yield Records(
            columns=columns,
            rows=rows(),
            values=lambda key: dict(zip(columns, key)),
            schema=[_arrow_field(f) for f in schema],
            same=same_values,
        )


def _arrow_field(f: pa.Field) -> str:
    return f"{f.name}: {f.type}{'' if f.nullable else ' not null'}"


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only and immutable: SQLite creates no journal or lock file beside the database, so
    # checking a fixture directory cannot write into it.
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


@contextlib.contextmanager
def _sqlite(path: Path, table: str) -> Iterator[Records]:
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    with contextlib.closing(_connect(path)) as conn:
        found = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        if found is None:
            raise TableNotFoundError(table)
        quoted = '"' + table.replace('"', '""') + '"'
        info = conn.execute(f"PRAGMA table_info({quoted})").fetchall()
        columns = [r[1] for r in info]
        schema = [f"{r[1]}: {r[2]}{' not null' if r[3] else ''}" for r in info]

        def rows() -> Iterator[Row]:
            cursor = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from (Row(None, tuple(r)) for r in batch)

        yield Records(
            columns=columns,
            rows=rows(),
            values=lambda key: dict(zip(columns, key)),
            schema=schema,
            definition=found[0],
            same=same_values,
        )
