"""Date functions: ``date()`` / ``datetime()`` literals, durations (``days(n)`` ...),
``years_between`` / ``days_between`` and the ``year`` / ``month`` / ``day`` fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from synthdsl.expr.context import NUMERIC, Compiled, Ctx, const_values, merge_null
from synthdsl.expr.functions._common import _arity, _join, _no_kwargs, _want
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values


def _parse_date(comp: CompilerLike, node: ast.Call, typ: str) -> Compiled:
    if not _arity(comp, node, typ, 1, 1) or not _no_kwargs(comp, node, typ):
        return comp.bad()
    c = comp.compile(node.args[0])
    if c.type == "any":
        return comp.bad()
    if c.type == "text" and not c.is_const:
        return _parse_column(c, typ)
    if not (c.is_const and c.type == "text"):
        comp.scope.error(
            "E353", f'{typ}() takes text like "2026-01-31" (a constant or a text column)', node
        )
        return comp.bad()
    try:
        if typ == "date":
            value = np.datetime64(dt.date.fromisoformat(c.const), "D")
        else:
            value = np.datetime64(dt.datetime.fromisoformat(c.const).replace(tzinfo=None), "us")
    except ValueError:
        fmt = "YYYY-MM-DD" if typ == "date" else "YYYY-MM-DDTHH:MM:SS"
        comp.scope.error("E354", f"'{c.const}' is not a valid {typ} ({fmt})", node.args[0])
        return comp.bad()
    return Compiled(const_values(value, typ), typ, const=value)


def _parse_column(c: Compiled, typ: str) -> Compiled:
    """``date(d.day)``: ISO text per row (a dataset's dates arrive as text) as dates, vectorized by
    numpy; text that is no date stops the run naming the value (an empty text is null)."""
    unit = "D" if typ == "date" else "us"

    def fn(ctx: Ctx) -> Values:
        v = c.fn(ctx)
        null = v.is_null() | (v.data == "")
        text = np.where(null, "1970-01-01", v.data).astype(str)
        try:
            parsed = text.astype(f"datetime64[{unit}]")
        except ValueError:
            bad = str(next(x for x in text if not _iso(x, typ)))
            fmt = "YYYY-MM-DD" if typ == "date" else "YYYY-MM-DDTHH:MM:SS"
            raise ValueError(f"{bad!r} is not a valid {typ} ({fmt})") from None
        if typ == "date" and (text != np.datetime_as_string(parsed, unit="D")).any():
            bad = str(text[np.flatnonzero(text != np.datetime_as_string(parsed, unit="D"))[0]])
            raise ValueError(f"{bad!r} is not a valid date (YYYY-MM-DD)")
        return Values(parsed, null if null.any() else None)

    return Compiled(fn, typ, **_join([c]))


def _iso(text: str, typ: str) -> bool:
    try:
        (dt.date if typ == "date" else dt.datetime).fromisoformat(text)
    except ValueError:
        return False
    return True


_SPAN_DAYS = 3_653_000  # a little over 10,000 years: from year 1 to year 9999 and then some


def _duration(unit: str) -> Callable[[CompilerLike, ast.Call], Compiled]:
    name = {"D": "days", "W": "weeks", "h": "hours", "m": "minutes", "s": "seconds"}[unit]

    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 1, 1) or not _no_kwargs(comp, node, name):
            return comp.bad()
        c = comp.compile(node.args[0])
        _want(comp, c, NUMERIC, node.args[0], f"{name}() argument")
        target = "timedelta64[D]" if unit in "DW" else "timedelta64[us]"
        scale = {"D": 1, "W": 7, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000}[unit]

        limit = _SPAN_DAYS * (1 if unit in "DW" else 86_400_000_000)

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            with np.errstate(all="ignore"):
                whole = np.floor(np.asarray(v.data, dtype=np.float64) * scale)
            bad = ~(np.abs(whole) <= limit) & ~v.is_null()
            if bad.any():  # would wrap around in int64 (or be NaT): no date is that far apart
                first = float(v.data[np.flatnonzero(bad)[0]])
                raise ValueError(f"{name}({first:g}) spans more than the 10,000 years dates can")
            whole[~np.isfinite(whole)] = 0
            return Values(whole.astype(np.int64).astype(target), v.null)

        return Compiled(fn, "duration", **_join([c]))

    return handler


def _date_parts(comp: CompilerLike, node: ast.Call, name: str) -> list[Compiled] | None:
    want = 2 if name.endswith("_between") else 1
    if not _arity(comp, node, name, want, want) or not _no_kwargs(comp, node, name):
        return None
    parts = [comp.compile(a) for a in node.args]
    for p, a in zip(parts, node.args):
        if not _want(comp, p, ("date", "datetime"), a, f"{name}() argument"):
            return None
    return parts


def _whole_years(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full years from a to b, as in an age: a birthday not reached yet does not count."""
    ya, ma, da = _ymd(a)
    yb, mb, db = _ymd(b)
    return yb - ya - ((mb < ma) | ((mb == ma) & (db < da))).astype(np.int64)


def _whole_days(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return b.astype("datetime64[D]").astype(np.int64) - a.astype("datetime64[D]").astype(np.int64)


def _between(name: str, count: Callable[[np.ndarray, np.ndarray], np.ndarray]):
    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        parts = _date_parts(comp, node, name)
        if parts is None:
            return comp.bad()
        a, b = parts

        def fn(ctx: Ctx) -> Values:
            va, vb = a.fn(ctx), b.fn(ctx)
            return Values(count(va.data, vb.data), merge_null(va, vb))

        return Compiled(fn, "int", **_join(parts))

    return handler


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = d.astype("datetime64[D]")
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _date_field(which: int, name: str):
    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        parts = _date_parts(comp, node, name)
        if parts is None:
            return comp.bad()
        (a,) = parts

        def fn(ctx: Ctx) -> Values:
            v = a.fn(ctx)
            return Values(_ymd(v.data)[which], v.null)

        return Compiled(fn, "int", **_join(parts))

    return handler
