"""Declared names must be text a file can hold: no lone surrogate (``"\\ud800"``).

A name becomes a file name, a CSV header, a Parquet field, a SQL identifier and a line of the data
card, and every one of those is UTF-8, which cannot encode a lone surrogate. Read from a file a spec
cannot hold one (the file would not decode), but ``synthdsl.loads`` takes any Python string: such a
name passed the checker and ended in pyarrow's or ``os.open``'s ``UnicodeEncodeError``. Also the
last pass over the diagnostics: one unknown locale reported once, duplicates dropped, sorted.
"""

from __future__ import annotations

from synthdsl.errors import Diagnostic
from synthdsl.source import Span
from synthdsl.syntax import ast


def _has_surrogate(name: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in name)


def _unwritable(name: str) -> str | None:
    """Why no output can hold ``name``: a lone surrogate (no UTF-8), or a NUL character (no SQL
    identifier, no C string)."""
    if _has_surrogate(name):
        return "a lone surrogate"
    if "\x00" in name:
        return "a NUL character"
    return None


def unwritable_names(module: ast.Module) -> list[Diagnostic]:
    """E146 for each table, column, rule or dataset name of ``module`` that holds a lone surrogate
    or a NUL character."""
    named: list[tuple[str, ast.Node]] = []
    for st in module.statements:
        if isinstance(st, ast.Table):
            named.append(("table", st))
            named += [("column", c) for c in st.columns]
            named += [("rule", r) for r in st.rules]
        elif isinstance(st, ast.Dataset):
            named.append(("dataset", st))
    return [
        Diagnostic(
            "E146",
            f"{what} name {node.name!r} holds {why}, which no output can hold",
            node.span,
            "use letters, digits and '_' (or any valid text between backticks)",
        )
        for what, node in named
        if (why := _unwritable(node.name)) is not None
    ]


def locale_once(diags: list[Diagnostic], span: Span | None) -> list[Diagnostic]:
    """An unknown locale is one mistake, on the `locale` line: not one error per provider call."""
    out, seen = [], set()
    for d in diags:
        if d.code == "E351" and d.message.startswith("unknown locale"):
            if d.message in seen:
                continue
            seen.add(d.message)
            if span is not None:
                d = Diagnostic(d.code, d.message, span, d.hint)
        out.append(d)
    return out


def dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diags:
        k = (d.code, d.message, d.span.line, d.span.column, d.span.path)
        if k not in seen:
            seen.add(k)
            out.append(d)
    out.sort(key=lambda d: (d.span.path, d.span.line, d.span.column))
    return out


def file_name_ok(name: str) -> bool:
    """Table names become file names (``TABLE.csv``): none may leave the output folder or hide."""
    return (
        bool(name)
        and not name.startswith(".")
        and not any(ord(c) < 32 or c in "/\\" for c in name)
        and len(name.encode("utf-8", "surrogatepass")) <= 200
    )
