"""Aggregates: a child table's rows -> one value per parent row (``sum``, ``count``, ``min``, ``max``,
``mean``).

Input: the child rows of one parent block (their columns) and, per child row, the index of its parent
row within the block (``np.repeat`` order, so each parent's children are one contiguous run). Output:
``Values`` aligned to the parent block. Everything is a segmented numpy reduction (``ufunc.reduceat``
and ``np.bincount``), never a loop over rows.

An aggregate call compiles to a read of a hidden per-row value named by its key, e.g.
``sum(order_lines.amount)`` or ``count(order_lines)``; the executor computes that value after the
child rows of the block exist (see ``execute._gen``). Nulls in the child column are ignored, as in
SQL; an empty (or all-null) child set gives ``sum`` 0, ``count`` 0 and null for ``min``, ``max`` and
``mean``.
"""

from __future__ import annotations

import re

import numpy as np

from synthdsl.values import Values

FUNCTIONS = ("sum", "count", "min", "max", "mean")
_NAME = r"[A-Za-z_]\w*|`[^`\n]+`"
_KEY = re.compile(rf"^(sum|count|min|max|mean)\(({_NAME})(?:\.({_NAME}))?\)$")


def _quote(name: str) -> str:
    """A name as a spec writes it: bare when an identifier, else between backticks."""
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else f"`{name}`"


def _unquote(name: str | None) -> str | None:
    return name[1:-1] if name and name.startswith("`") else name


def key(func: str, child: str, column: str | None) -> str:
    """The dependency name of an aggregate, as written: ``sum(lines.amount)``, ``count(`line-items`)``."""
    return f"{func}({_quote(child)}.{_quote(column)})" if column else f"{func}({_quote(child)})"


def parse_key(name: str) -> tuple[str, str, str | None] | None:
    """``(func, child, column)`` for an aggregate key, None for an ordinary column name."""
    m = _KEY.match(name)
    return (m.group(1), _unquote(m.group(2)), _unquote(m.group(3))) if m else None


def result_type(func: str, arg_type: str | None) -> str | None:
    """The expression type of ``func`` over a column of ``arg_type``; None when it does not apply."""
    if func == "count":
        return "int"
    if func == "mean":
        return "float" if arg_type in ("int", "float") else None
    if func == "sum":
        return arg_type if arg_type in ("int", "float") else None
    if arg_type in ("int", "float", "date", "datetime"):
        return arg_type
    return None


def compute(func: str, child: Values | None, parent_idx: np.ndarray, n: int) -> Values:
    """``func`` of ``child`` per parent row; ``child`` None means ``count(CHILD)`` (rows)."""
    if child is None:
        return Values(np.bincount(parent_idx, minlength=n).astype(np.int64))
    valid = ~child.is_null()
    counts = np.bincount(parent_idx[valid], minlength=n).astype(np.int64)
    if func == "count":
        return Values(counts)
    empty = counts == 0
    data = child.data
    if func in ("sum", "mean"):
        kind = data.dtype.kind
        work = np.where(valid, data, 0).astype(np.int64 if kind in "iub" else np.float64)
        total = _segments(np.add, work, parent_idx, n, 0)
        if func == "sum":
            return Values(total)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total.astype(np.float64) / np.maximum(counts, 1)
        return Values(mean, empty if empty.any() else None)
    # min / max over numbers, dates and datetimes: reduce an int64 or float64 view
    ufunc = np.minimum if func == "min" else np.maximum
    if data.dtype.kind == "M":
        work, dtype = data.view(np.int64), data.dtype
    else:
        work, dtype = data, None
    if work.dtype.kind == "f":
        fill = np.inf if func == "min" else -np.inf
    else:
        work = work.astype(np.int64)
        info = np.iinfo(np.int64)
        fill = info.max if func == "min" else info.min
    work = np.where(valid, work, fill)
    out = _segments(ufunc, work, parent_idx, n, fill)
    out = np.where(empty, 0, out).astype(work.dtype)
    if dtype is not None:
        out = out.view(dtype)
    return Values(out, empty if empty.any() else None)


def _segments(ufunc, work: np.ndarray, parent_idx: np.ndarray, n: int, identity) -> np.ndarray:
    """``ufunc`` reduced over each parent's contiguous run of ``work``; ``identity`` where empty."""
    out = np.full(n, identity, dtype=work.dtype)
    if len(work) == 0:
        return out
    starts = np.searchsorted(parent_idx, np.arange(n), side="left")
    nonempty = np.bincount(parent_idx, minlength=n) > 0
    # An identity element after the data makes reduceat's last run end at the data's end, and lets
    # trailing empty runs start at a valid index (their results are discarded).
    ext = np.concatenate([work, np.asarray([identity], dtype=work.dtype)])
    reduced = ufunc.reduceat(ext, starts)
    out[nonempty] = reduced[nonempty]
    return out
