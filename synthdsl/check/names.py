"""Declared names must be text a file can hold: no lone surrogate (``"\\ud800"``).

A name becomes a file name, a CSV header, a Parquet field, a SQL identifier and a line of the data
card, and every one of those is UTF-8, which cannot encode a lone surrogate. Read from a file a spec
cannot hold one (the file would not decode), but ``synthdsl.loads`` takes any Python string: such a
name passed the checker and ended in pyarrow's or ``os.open``'s ``UnicodeEncodeError``.
"""

from __future__ import annotations

from synthdsl.errors import Diagnostic
from synthdsl.syntax import ast


def _has_surrogate(name: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in name)


def unwritable_names(module: ast.Module) -> list[Diagnostic]:
    """E146 for each table, column, rule or dataset name of ``module`` that holds a lone surrogate."""
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
            f"{what} name {node.name!r} holds a lone surrogate, which no file can hold",
            node.span,
            "use letters, digits and '_' (or any valid text between backticks)",
        )
        for what, node in named
        if _has_surrogate(node.name)
    ]
