"""Fixture checks: is a directory of generated files still what the spec writes? (issue 5)

Input: a ``Spec``, a directory (``out_dir``) and the options of ``Spec.write``. Output: a
``FixtureCheck`` with one ``Entry`` per data file (per table for SQLite, whose tables share one
file), ``card.json`` and ``card.md``: ok, differs or missing, with row counts and the first
differing row; ``render()`` is the summary ``synthdsl generate --check`` prints. Nothing is written
into ``out_dir``: the expected files are generated into a temporary directory elsewhere, compared,
then deleted, as snapshot tools compare without updating.

What counts as a difference:

- Data: the rows in order and the columns (CSV header, Parquet schema, SQLite table definition).
  Files are compared byte for byte first and read back row by row only when the bytes differ. A
  file whose bytes differ while its rows and columns are equal matches, with a note: CRLF line ends
  from git's ``autocrlf``, or Parquet/SQLite written by another library version. Regenerating
  would not change the data, and a check that regenerating cannot satisfy would fail forever.
- ``card.json``: every field except ``synthdsl_version``, ``chunk_size`` and ``evaluation`` (which
  do not describe the data; ``synthdsl evaluate`` adds the last one later). So a card with a stale
  seed, spec hash, row count or rule report is a mismatch; the card holds no timestamps or
  absolute paths, so nothing else in it changes between machines (``synthdsl._fixtures_card``).
- ``card.md``: must be the rendering of the card, with those three fields taken from the
  ``card.json`` found (so an attached evaluation does not make it stale).
- Files the spec does not write are listed as ``extra`` but never fail the check: ``generate``
  leaves them in place, so failing on them would ask for an update that cannot fix it.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthdsl._fixtures_card import Status, check_card
from synthdsl._fixtures_text import render
from synthdsl.card.markdown import CARD_MD_FILE
from synthdsl.card.model import CARD_FILE, Card
from synthdsl.errors import OptionError
from synthdsl.sinks import SINKS
from synthdsl.sinks.records import (
    READ_ERRORS,
    Records,
    TableNotFoundError,
    open_records,
    same_value,
    sqlite_tables,
)

if TYPE_CHECKING:
    from synthdsl.api import Spec

DATA_SUFFIXES = (".csv", ".jsonl", ".parquet", ".sqlite")


class _Absent:
    """A column one side of a differing row does not have."""

    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


@dataclass(frozen=True, slots=True)
class ValueDiff:
    """One column of a differing row: the value the spec generates and the value found."""

    column: str
    expected: Any
    found: Any


@dataclass(frozen=True, slots=True)
class RowDiff:
    """The first row that differs: its 0-based index and, in a text file, its first line.

    ``values`` lists the columns that differ. A row present on one side only has ``missing`` (the
    file ends before it) or ``extra`` (the spec generates no such row) set and no values; a row
    whose values are equal but whose text differs (quoting) carries both texts in ``text``.
    """

    row: int
    line: int | None
    values: tuple[ValueDiff, ...] = ()
    missing: bool = False
    extra: bool = False
    text: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """The check of one file (one table of it, for SQLite)."""

    file: str
    table: str | None
    status: Status
    expected_rows: int | None = None
    found_rows: int | None = None
    differing_rows: int = 0
    first: RowDiff | None = None
    problems: tuple[str, ...] = ()  # column, header, card field differences; unreadable files
    note: str | None = None  # why an ok file's bytes differ anyway

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        if self.table is None or Path(self.file).stem == self.table:
            return self.file
        return f"{self.file} ({self.table})"


@dataclass(frozen=True, slots=True)
class FixtureCheck:
    """The outcome of ``check_fixtures``: ``ok`` when every file matches; ``render()`` to print."""

    out: Path
    spec: str
    format: str
    seed: int
    entries: tuple[Entry, ...]
    extra: tuple[str, ...] = ()
    missing_dir: str | None = None  # "directory not found" or "not a directory"

    @property
    def ok(self) -> bool:
        return self.missing_dir is None and all(e.ok for e in self.entries)

    @property
    def differing(self) -> list[Entry]:
        return [e for e in self.entries if not e.ok]

    def render(self, update: str | None = None) -> str:
        """The summary for people; ``update`` is the command that rewrites the fixtures."""
        return render(self, update)


def check_fixtures(
    spec: Spec,
    out_dir: str | Path,
    *,
    format: str = "csv",
    seed: int | None = None,
    rows: Mapping[str, int] | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> FixtureCheck:
    """Compare ``out_dir`` with what ``spec.write(out_dir, ...)`` would write; write nothing there.

    Args:
        spec: a ``synthdsl.Spec``.
        out_dir: the directory holding the fixtures; a missing one is a mismatch, not an error.
        format, seed, rows, chunk_size, workers, progress: as for ``Spec.write``.

    Raises:
        OptionError: an unknown ``format`` or a bad ``rows`` override.
        SynthError: the spec cannot be generated (as ``Spec.write`` would raise).
    """
    if format not in SINKS:
        raise OptionError(f"must be one of {', '.join(SINKS)}, got {format!r}", option="format=")
    out = Path(out_dir)
    options: dict[str, Any] = dict(format=format, seed=seed, rows=rows, workers=workers)
    if chunk_size is not None:
        options["chunk_size"] = chunk_size
    with tempfile.TemporaryDirectory(prefix="synthdsl-check-") as tmp:
        expected = Path(tmp)
        card = spec.write(expected, progress=progress, **options)
        missing_dir, extra = None, []
        if out.is_dir():
            entries = _data_entries(card, expected, out)
            if format == "sqlite":
                entries += _extra_tables(card, out)
            outcomes = check_card(card, expected, out)
            entries += [Entry(file, None, status, problems=p) for file, status, p in outcomes]
            extra = _extra(card, out)
        else:
            missing_dir = "not a directory" if out.exists() else "directory not found"
            files = (*_data_files(card), CARD_FILE, CARD_MD_FILE)
            entries = [Entry(file, None, "missing") for file in files]
    path = spec.path
    return FixtureCheck(
        out=out,
        spec="the inline spec" if path == "<string>" else path,
        format=format,
        seed=card.seed,
        entries=tuple(entries),
        extra=tuple(extra),
        missing_dir=missing_dir,
    )


# -- data files -----------------------------------------------------------------------------------


def _data_files(card: Card) -> dict[str, list[str]]:
    """Each data file and the tables it holds, in table order."""
    files: dict[str, list[str]] = {}
    for t in card.tables:
        for f in t.files:
            files.setdefault(f, []).append(t.name)
    return files


def _data_entries(card: Card, expected: Path, out: Path) -> list[Entry]:
    rows = {t.name: t.rows for t in card.tables}
    entries: list[Entry] = []
    for file, tables in _data_files(card).items():
        if not (out / file).is_file():
            entries += [Entry(file, t, "missing", expected_rows=rows[t]) for t in tables]
        elif _same_bytes(expected / file, out / file):
            entries += [Entry(file, t, "ok", rows[t], rows[t]) for t in tables]
        else:
            checked = [
                _compare(card.format, expected / file, out / file, t, rows[t]) for t in tables
            ]
            if all(e.ok for e in checked):
                note = _BYTES_NOTE.get(card.format, "the bytes differ")
                checked[0] = replace(checked[0], note=note)
            entries += checked
    return entries


_BYTES_NOTE = {
    "csv": "same rows; only the line ends differ (\\r\\n)",
    "jsonl": "same rows; only the line ends differ (\\r\\n)",
    "parquet": "same rows and schema; the bytes differ (written by another pyarrow version?)",
    "sqlite": "same rows and tables; the bytes differ (written by another SQLite version?)",
}


def _same_bytes(a: Path, b: Path, block: int = 1 << 20) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(block), fb.read(block)
            if x != y:
                return False
            if not x:
                return True


def _compare(format: str, expected: Path, found: Path, table: str, rows: int) -> Entry:
    """Compare one table of two files read back in ``format``; the spec gives it ``rows`` rows."""
    with open_records(format, expected, table) as exp:
        try:
            with open_records(format, found, table) as got:
                problems = _column_problems(exp, got)
                n_exp, n_got, differing, first = _diff_rows(exp, got)
        except TableNotFoundError:
            return Entry(found.name, table, "missing", expected_rows=rows)
        except READ_ERRORS as err:
            return Entry(found.name, table, "differs", problems=(f"cannot read it: {err}",))
    status: Status = "ok" if not problems and first is None else "differs"
    return Entry(found.name, table, status, n_exp, n_got, differing, first, tuple(problems))


def _column_problems(exp: Records, got: Records) -> list[str]:
    if exp.columns != got.columns:
        found = ", ".join(got.columns) or "none"
        return [f"columns: expected {', '.join(exp.columns)}; found {found}"]
    problems = [
        f"column {e.split(':')[0]}: expected {e.partition(': ')[2]}, found {g.partition(': ')[2]}"
        for e, g in zip(exp.schema, got.schema)
        if e != g
    ]
    if not problems and exp.definition != got.definition:
        problems.append(
            f"table definition: expected {_one_line(exp.definition)}; "
            f"found {_one_line(got.definition)}"
        )
    return problems


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _diff_rows(exp: Records, got: Records) -> tuple[int, int, int, RowDiff | None]:
    """Rows expected, rows found, rows that differ by position, and the first difference."""
    n_exp = n_got = differing = 0
    first: RowDiff | None = None
    for index, (e, g) in enumerate(itertools.zip_longest(exp.rows, got.rows)):
        n_exp += e is not None
        n_got += g is not None
        if e is not None and g is not None:
            if exp.same(e.key, g.key):
                continue
            differing += 1
            if first is None:
                first = _row_diff(index, e, g, exp, got)
        elif first is None:
            row = e or g
            first = RowDiff(index, row.line, missing=g is None, extra=e is None)
    return n_exp, n_got, differing, first


def _row_diff(index: int, e, g, exp: Records, got: Records) -> RowDiff:
    want, have = exp.values(e.key), got.values(g.key)
    if not have and isinstance(g.key, str):  # not a row at all (a line that is not JSON)
        return RowDiff(index, g.line, text=(e.key, g.key))
    columns = [*want, *(c for c in have if c not in want)]
    values = tuple(
        ValueDiff(c, want.get(c, _ABSENT), have.get(c, _ABSENT))
        for c in columns
        if not same_value(want.get(c, _ABSENT), have.get(c, _ABSENT))
    )
    text = None if values or not isinstance(e.key, str) else (e.key, g.key)  # e.g. quoting
    return RowDiff(index, g.line, values=values, text=text)


def _extra(card: Card, out: Path) -> list[str]:
    """Data files in ``out`` that the spec does not write (a table since removed, another format)."""
    expected = set(_data_files(card))
    extra = [
        p.name
        for p in sorted(out.iterdir())
        if p.suffix in DATA_SUFFIXES and p.name not in expected and not p.name.startswith(".")
    ]
    return extra


def _extra_tables(card: Card, out: Path) -> list[Entry]:
    """Tables in a SQLite file that the spec does not write: ``generate`` would drop them."""
    known = {t.name for t in card.tables}
    entries = []
    for file in _data_files(card):
        try:
            names = sqlite_tables(out / file) if (out / file).is_file() else []
        except READ_ERRORS:
            continue  # already reported as unreadable by its tables' entries
        problem = "a table the spec does not write (generate would drop it)"
        entries += [Entry(file, n, "differs", problems=(problem,)) for n in names if n not in known]
    return entries


__all__ = ["Entry", "FixtureCheck", "RowDiff", "ValueDiff", "check_fixtures"]
