"""The text of a fixture check: what ``synthdsl generate --check`` prints.

Input: a ``FixtureCheck``. Output: one line when everything matches (plus notes and extra files);
otherwise a headline, a line per file (per table for SQLite) with its status and row counts, under
each differing one its problems and first differing row with the columns that differ, and the
command that updates the fixtures. Rows count from 0 as in ``DataError``; lines from 1, as editors
show them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthdsl.fixtures import Entry, FixtureCheck, RowDiff

MAX_COLUMNS = 10  # differing columns shown for the first differing row
MAX_PROBLEMS = 5  # problems shown per file
STATUS = {"ok": "ok", "differs": "DIFFERS", "missing": "MISSING"}
INDENT = " " * 11


def render(check: FixtureCheck, update: str | None = None) -> str:
    """The summary of ``check``; ``update`` is the command that rewrites the fixtures."""
    where = f"{check.out}{'' if str(check.out).endswith('/') else '/'}"
    what = f"{check.spec} ({check.format}, seed {check.seed})"
    if check.ok:
        return "\n".join([f"ok: {where} matches {what}: {_totals(check)}", *_notes(check)])
    update_line = (
        f"to update: {update}"
        if update
        else "to update: write the fixtures again with the same options"
    )
    if check.missing_dir is not None:
        files = ", ".join(e.file for e in check.entries)
        return "\n".join(
            [
                f"{where}: {check.missing_dir}; {what} writes {files}",
                update_line,
            ]
        )
    files = list(dict.fromkeys(e.file for e in check.entries))
    stale = list(dict.fromkeys(e.file for e in check.differing))
    lines = [f"{where} is stale: {len(stale)} of {len(files)} files differ from {what}"]
    width = max(len(e.label) for e in check.entries)
    width = max([width, *(len(x) for x in check.extra)])
    for e in check.entries:
        lines.append(f"  {STATUS[e.status]:<8} {e.label:<{width}}  {_counts(e)}".rstrip())
        lines += [f"{INDENT}{p}" for p in _problems(e)]
        if e.first is not None:
            lines += _first(e.first)
        if e.note:
            lines.append(f"{INDENT}note: {e.note}")
    lines += [f"  {'extra':<8} {x:<{width}}  {_EXTRA}" for x in check.extra]
    lines.append(update_line)
    return "\n".join(lines)


_EXTRA = "not written by this spec; generate leaves it (delete it if it is stale)"


def _totals(check: FixtureCheck) -> str:
    tables = [e for e in check.entries if e.table is not None]
    rows = sum(e.expected_rows or 0 for e in tables)
    other = [e.file for e in check.entries if e.table is None]
    return f"{_n(len(tables), 'table')}, {_n(rows, 'row')}, {', '.join(other)}"


def _notes(check: FixtureCheck) -> list[str]:
    notes = [f"note: {e.label}: {e.note}" for e in check.entries if e.note]
    return notes + [f"extra: {x}: {_EXTRA}" for x in check.extra]


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _counts(e: Entry) -> str:
    if e.status == "ok":
        return "" if e.expected_rows is None else _n(e.expected_rows, "row")
    if e.status == "missing":
        return "" if e.expected_rows is None else f"{_n(e.expected_rows, 'row')} expected"
    if e.expected_rows is None or e.found_rows is None:
        return ""
    text = f"{_n(e.expected_rows, 'row')} expected, {e.found_rows:,} found"
    if e.differing_rows:
        verb = "differs" if e.differing_rows == 1 else "differ"
        by = " by position" if e.expected_rows != e.found_rows else ""
        text += f"; {e.differing_rows:,} {verb}{by}"
    return text


def _problems(e: Entry) -> list[str]:
    shown = list(e.problems[:MAX_PROBLEMS])
    if len(e.problems) > MAX_PROBLEMS:
        shown.append(f"... and {len(e.problems) - MAX_PROBLEMS} more")
    return shown


def _first(d: RowDiff) -> list[str]:
    where = f"row {d.row}" + (f" (line {d.line})" if d.line is not None else "")
    if d.missing:
        return [f"{INDENT}first difference: {where}: missing, the file ends before it"]
    if d.extra:
        return [f"{INDENT}first difference: {where}: extra, the spec generates no such row"]
    lines = [f"{INDENT}first difference: {where}"]
    if d.text is not None:
        lines += [
            f"{INDENT}  expected {show_value(d.text[0].rstrip(chr(10)), 100)}",
            f"{INDENT}  found    {show_value(d.text[1].rstrip(chr(10)), 100)}",
        ]
    width = max((len(v.column) for v in d.values[:MAX_COLUMNS]), default=0)
    for v in d.values[:MAX_COLUMNS]:
        lines.append(
            f"{INDENT}  {v.column + ':':<{width + 1}} expected {show_value(v.expected)}, "
            f"found {show_value(v.found)}"
        )
    if len(d.values) > MAX_COLUMNS:
        lines.append(f"{INDENT}  ... and {len(d.values) - MAX_COLUMNS} more columns")
    return lines


def show_value(value: Any, width: int = 60) -> str:
    """A value as a person reads it: ``null``, strings quoted (so ``'7'`` is text), cut if long."""
    if value is None:
        return "null"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list | dict):
        text = json.dumps(value)
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def excerpts(a: str | None, b: str | None, width: int = 40) -> tuple[str, str]:
    """Two differing lines, each cut around the first character where they differ."""
    if a is None or b is None:
        return show_value(a), show_value(b)
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, i - width // 2)
    cut = [
        "..." * (start > 0) + t[start : start + width] + "..." * (len(t) > start + width)
        for t in (a, b)
    ]
    return repr(cut[0]), repr(cut[1])
