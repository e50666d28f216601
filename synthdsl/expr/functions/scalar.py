"""Deterministic functions of a row: ``serial``, ``coalesce``, ``lookup``, math (``round``, ``floor``,
``abs`` ...), ``min`` / ``max`` and casts (``int``, ``float``, ``text``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.errors import did_you_mean
from synthdsl.expr.context import NUMERIC, Compiled, Ctx, as_type, merge_null, unify
from synthdsl.expr.functions._common import _arity, _join, _no_kwargs, _want
from synthdsl.expr.functions.text import _to_text
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy("pandas")


def _serial(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "serial", 0, 1) or not _no_kwargs(comp, node, "serial", ("start",)):
        return comp.bad()
    start_node = node.args[0] if node.args else node.kwarg("start")
    start = 1
    if start_node is not None:
        c = comp.compile(start_node)
        if not c.is_const or c.type != "int":
            comp.scope.error("E352", "serial() start must be a constant int", start_node)
            return comp.bad()
        start = int(c.const)

    def fn(ctx: Ctx) -> Values:
        return Values(ctx.rows + start)

    return Compiled(fn, "int", serial=True)


def _coalesce(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "coalesce", 2, None) or not _no_kwargs(comp, node, "coalesce"):
        return comp.bad()
    parts = [comp.compile(a) for a in node.args]
    typ = parts[0].type
    for p, a in zip(parts[1:], node.args[1:]):
        u = unify(typ, p.type)
        if u is None:
            comp.scope.error("E355", f"coalesce() mixes {typ} and {p.type}", a)
            return comp.bad()
        typ = u

    def fn(ctx: Ctx) -> Values:
        out = as_type(parts[0].fn(ctx), typ)
        data, null = out.data.copy(), out.is_null().copy()
        for p in parts[1:]:
            if not null.any():
                break
            v = as_type(p.fn(ctx), typ)
            if v.data.dtype != data.dtype:
                v = Values(v.data.astype(data.dtype), v.null)
            data[null] = v.data[null]
            null &= v.is_null()
        return Values(data, null if null.any() else None)

    return Compiled(fn, typ, **_join(parts))


def _lookup(comp: CompilerLike, node: ast.Call) -> Compiled:
    """``lookup(dataset, key -> value)``: the value column of the dataset row whose key matches."""
    if len(node.args) != 1 or len(node.arrows) != 1 or node.kwargs or node.pairs:
        comp.scope.error("E356", "lookup() takes a dataset and KEY -> VALUE", node)
        return comp.bad()
    ds_node = node.args[0]
    if isinstance(ds_node, ast.Name) and ds_node.name in comp.scope.broken:
        return comp.bad()  # the dataset's own error is reported already
    if not isinstance(ds_node, ast.Name) or ds_node.name not in comp.scope.datasets:
        name = ds_node.name if isinstance(ds_node, ast.Name) else "?"
        comp.scope.error(
            "E341",
            f"unknown dataset '{name}'",
            ds_node,
            did_you_mean(name, comp.scope.datasets),
        )
        return comp.bad()
    info = comp.scope.datasets[ds_node.name]
    arrow = node.arrows[0]
    for col in (arrow.source, arrow.target):
        if col not in info.columns:
            comp.scope.error(
                "E342",
                f"dataset '{info.name}' has no column '{col}'",
                arrow,
                did_you_mean(col, info.columns),
            )
            return comp.bad()
    from synthdsl.expr.datasets import nested_type

    for col in (arrow.source, arrow.target):
        kind = nested_type(info, col)
        if kind is not None:
            comp.scope.error(
                "E345",
                f"'{info.name}.{col}' holds nested values ({kind}s: a struct or list column), "
                "which cannot be a lookup's key or value",
                arrow,
                "flatten it into plain columns first, e.g. one column per struct field",
            )
            return comp.bad()
    if arrow.column not in comp.scope.columns:
        comp.scope.error(
            "E200",
            f"unknown column '{arrow.column}' in table '{comp.scope.table}'",
            arrow,
            did_you_mean(arrow.column, comp.scope.columns)
            or (
                f"the row's column is matched by name; when it is named differently, write "
                f"`lookup({info.name}, {arrow.source} = COLUMN -> {arrow.target})`"
                if arrow.on is None
                else None
            ),
        )
        return comp.bad()
    key = comp.compile(ast.Name(arrow.column, span=arrow.span))
    if key.type == "any":
        return comp.bad()
    key_type = info.columns[arrow.source]
    if key.type != "null" and unify(key.type, key_type) is None:
        # no row would ever match: every value would be null (found by a review, issue 10)
        comp.scope.error(
            "E323",
            f"lookup() key '{arrow.column}' is {key.type} but '{info.name}.{arrow.source}' "
            f"is {key_type}: no row would match",
            arrow,
            f"match a text column: add `{arrow.column}_text text = text({arrow.column})` and "
            f"write `lookup({info.name}, {arrow.source} = {arrow.column}_text -> {arrow.target})`"
            if key_type == "text"
            else None,
        )
        return comp.bad()
    from synthdsl.expr.datasets import lookup_table

    table = lookup_table(info, arrow.source, arrow.target)
    if isinstance(table, str):
        comp.scope.error("E357", table, arrow)
        return comp.bad()
    index, values = table
    typ = info.columns[arrow.target]
    src = f"{info.name}.{arrow.source}"

    def fn(ctx: Ctx) -> Values:
        k = key.fn(ctx)
        pos = index.get_indexer(k.data)
        missing = pos < 0
        out = values.take(np.where(missing, 0, pos))
        null = out.is_null() | missing | k.is_null()
        return Values(out.data, null if null.any() else None)

    out = Compiled(fn, typ, **_join([key]))
    out.provider = ("lookup", src)
    return out


# ------------------------------------------------------------------ math and text
def _math1(name: str, f: Callable[[np.ndarray], np.ndarray], result: str | None):
    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 1, 1) or not _no_kwargs(comp, node, name):
            return comp.bad()
        c = comp.compile(node.args[0])
        _want(comp, c, NUMERIC, node.args[0], f"{name}() argument")
        typ = result or c.type

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            with np.errstate(invalid="ignore", divide="ignore"):
                data = f(np.asarray(v.data))
            bad = ~np.isfinite(data) if data.dtype.kind == "f" else None
            if typ == "int":
                data = np.where(np.isfinite(data), data, 0).astype(np.int64)
            null = v.null if bad is None or not bad.any() else (v.is_null() | bad)
            return Values(data, null)

        return Compiled(fn, typ, **_join([c]))

    return handler


def _round(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "round", 1, 2) or not _no_kwargs(comp, node, "round"):
        return comp.bad()
    c = comp.compile(node.args[0])
    _want(comp, c, NUMERIC, node.args[0], "round() argument")
    digits = 0
    if len(node.args) == 2:
        d = comp.compile(node.args[1])
        if not (d.is_const and d.type == "int"):
            comp.scope.error("E358", "round() digits must be a constant int", node.args[1])
            return comp.bad()
        digits = int(d.const)
    typ = "int" if digits <= 0 and len(node.args) == 1 else "float"

    def fn(ctx: Ctx) -> Values:
        v = c.fn(ctx)
        data = np.round(np.asarray(v.data, dtype=np.float64), digits)
        if typ == "int":  # a cast past int64 gives -2**63 silently (round(1e308) did, every row)
            fits = np.abs(data) < 2.0**63  # False for NaN too
            bad = ~fits if v.null is None else ~fits & ~v.null
            if bad.any():
                raise ValueError(
                    f"round() of {data[np.flatnonzero(bad)[0]]:.3g} is beyond the 64-bit integer "
                    "range; clamp its argument"
                )
            data = np.where(fits, data, 0.0).astype(np.int64)
        return Values(data, v.null)

    return Compiled(fn, typ, **_join([c]))


def _minmax(name: str):
    f = np.minimum if name == "min" else np.maximum

    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 2, None) or not _no_kwargs(comp, node, name):
            return comp.bad()
        parts = [comp.compile(a) for a in node.args]
        typ = parts[0].type
        for p, a in zip(parts[1:], node.args[1:]):
            u = unify(typ, p.type)
            if u is None or u in ("bool", "text"):
                comp.scope.error("E359", f"{name}() mixes {typ} and {p.type}", a)
                return comp.bad()
            typ = u

        def fn(ctx: Ctx) -> Values:
            vals = [as_type(p.fn(ctx), typ) for p in parts]
            data = vals[0].data
            for v in vals[1:]:
                data = f(data, v.data)
            return Values(data, merge_null(*vals))

        return Compiled(fn, typ, **_join(parts))

    return handler


def _cast(target: str):
    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        if not _arity(comp, node, target, 1, 1) or not _no_kwargs(comp, node, target):
            return comp.bad()
        c = comp.compile(node.args[0])
        if target in NUMERIC and c.type not in (*NUMERIC, "bool", "text", "any"):
            comp.scope.error("E360", f"cannot convert {c.type} to {target}", node.args[0])
            return comp.bad()

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            if target == "text":
                return Values(_to_text(v.data), v.null)
            if c.type == "text":
                num = pd.to_numeric(pd.Series(v.data), errors="coerce").to_numpy(dtype=float)
                bad = np.isnan(num)
                num = np.where(bad, 0, num)
                data = np.trunc(num).astype(np.int64) if target == "int" else num
                return Values(data, v.is_null() | bad if bad.any() else v.null)
            if target == "int":
                return Values(
                    np.trunc(np.asarray(v.data, dtype=np.float64)).astype(np.int64), v.null
                )
            return Values(np.asarray(v.data, dtype=np.float64), v.null)

        return Compiled(fn, target, **_join([c]))

    return handler
