"""Draws composed from labels, dataset columns or other draws: ``categorical``, ``empirical`` and
``mixture``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.errors import did_you_mean
from synthdsl.expr.context import NUMERIC, CatDraw, Compiled, Ctx, as_type, unify
from synthdsl.expr.functions._common import WEIGHT_TOLERANCE, _arity, _join, _no_kwargs
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy("pandas")


def _literal_key(comp: CompilerLike, node: ast.Expr):
    c = comp.compile(node)
    if not c.is_const or c.const is None:
        comp.scope.error("E330", "a category label must be a constant (not null)", node)
        return None, c.type
    return c.const, c.type


def _categorical(comp: CompilerLike, node: ast.Call) -> Compiled:
    """``categorical("a": 0.6, "b": 0.4)``, ``categorical(["a", "b"])`` or a dataset column."""
    if node.pairs:
        labels, weights, types = [], [], set()
        for pair in node.pairs:
            label, t = _literal_key(comp, pair.key)
            w = comp.compile(pair.value)
            if not w.is_const or w.type not in NUMERIC:
                comp.scope.error("E331", "a category weight must be a constant number", pair.value)
                return comp.bad()
            if w.const < 0:
                comp.scope.error("E332", f"weights must be >= 0, got {w.const}", pair.value)
            if label in labels:
                comp.scope.error("E333", f"category {label!r} is listed twice", pair.key)
            labels.append(label)
            weights.append(float(w.const))
            types.add(t)
        total = sum(weights)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            comp.scope.error(
                "E334",
                f"categorical weights must sum to 1, they sum to {total:g}",
                node,
                "adjust the weights, or use categorical(DATASET.COLUMN, weights = ...) for counts",
            )
            return comp.bad()
        typ = _label_type(comp, types, node)
        if node.args or node.kwargs:
            comp.scope.error(
                "E335", "categorical() takes either label: weight pairs or a list", node
            )
        return _cat_compiled(np.array(labels, dtype=object), np.array(weights), typ)
    if not _arity(comp, node, "categorical", 1, 1) or not _no_kwargs(
        comp, node, "categorical", ("weights",)
    ):
        return comp.bad()
    src = node.args[0]
    if isinstance(src, ast.ListExpr):
        if not src.items:
            comp.scope.error("E336", "categorical() needs at least one category", src)
            return comp.bad()
        keys = [_literal_key(comp, i) for i in src.items]
        labels = np.array([k for k, _ in keys], dtype=object)
        typ = _label_type(comp, {t for _, t in keys}, node)
        w = node.kwarg("weights")
        if w is not None:
            comp.scope.error("E335", "with a list, write label: weight pairs instead", w)
        return _cat_compiled(labels, np.full(len(labels), 1.0 / len(labels)), typ)
    col = _dataset_column(comp, src, "categorical")
    if col is None:
        return comp.bad()
    ds, column = col
    frame = comp.scope.datasets[ds].frame
    wnode = node.kwarg("weights")
    if wnode is None:
        counts = frame[column].dropna().value_counts(sort=False)
        labels, weights = counts.index.to_numpy(dtype=object), counts.to_numpy(dtype=float)
    else:
        wcol = _dataset_column(comp, wnode, "categorical weights")
        if wcol is None:
            return comp.bad()
        if wcol[0] != ds:
            comp.scope.error("E337", "weights must come from the same dataset", wnode)
            return comp.bad()
        problem = _bad_weights(frame, column, wcol[1])
        if problem is not None:
            path = Path(comp.scope.datasets[ds].path).name
            comp.scope.error("E338", f"weights column '{ds}.{wcol[1]}' ({path}) {problem}", wnode)
            return comp.bad()
        sub = frame[[column, wcol[1]]].dropna(subset=[column])
        w = sub[wcol[1]].astype(float)
        grouped = w.groupby(sub[column].to_numpy(), sort=False).sum()
        labels, weights = grouped.index.to_numpy(dtype=object), grouped.to_numpy(dtype=float)
    if len(labels) == 0 or weights.sum() <= 0:
        comp.scope.error("E336", f"'{ds}.{column}' has no categories with weight", src)
        return comp.bad()
    typ = comp.scope.datasets[ds].columns[column]
    return _cat_compiled(labels, weights / weights.sum(), typ)


def _bad_weights(frame: pd.DataFrame, column: str, weights: str) -> str | None:
    """What is wrong with a dataset's weights column, naming the first bad row; None when fine.

    Weights must be numbers (not booleans, dates or digit strings), finite, >= 0 and present on
    every row with a label, and their sum must be finite: an ``inf`` would take every draw, a
    missing weight would drop its row without a word."""
    series = frame[weights]
    if series.dtype.kind not in "iuf":
        what = {"b": "true/false values", "M": "dates", "m": "durations"}.get(
            series.dtype.kind, "text (digit strings too: store numbers as numbers)"
        )
        return f"must hold numbers, but holds {what}"
    labelled = frame[column].notna().to_numpy()
    w = series.to_numpy(dtype=float)
    bad = labelled & ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = "an empty cell" if np.isnan(w[i]) else f"{series.iloc[i]!s}"
        return f"must hold finite numbers >= 0: data row {i + 1} holds {value}"
    with np.errstate(over="ignore"):
        total = float(w[labelled].sum())
    if not np.isfinite(total):
        return "sums past the largest number a float holds: scale the weights down"
    return None


def _label_type(comp: CompilerLike, types: set[str], node: ast.Node) -> str:
    types.discard("null")
    if len(types) == 1:
        return types.pop()
    if types <= {"int", "float"}:
        return "float"
    comp.scope.error("E339", "category labels must all have one type", node)
    return "any"


def _cat_compiled(labels: np.ndarray, weights: np.ndarray, typ: str) -> Compiled:
    if typ == "int":
        labels_arr = labels.astype(np.int64)
    elif typ == "float":
        labels_arr = labels.astype(np.float64)
    elif typ == "bool":
        labels_arr = labels.astype(bool)
    elif typ == "date":
        labels_arr = labels.astype("datetime64[D]")
    else:
        labels_arr = labels
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]

    def fn(ctx: Ctx) -> Values:
        idx = np.searchsorted(cdf, ctx.rng.random(ctx.n), side="right")
        return Values(labels_arr[np.minimum(idx, len(cdf) - 1)])

    return Compiled(fn, typ, random=True, cat=CatDraw(labels_arr, np.asarray(weights, float)))


def _dataset_column(comp: CompilerLike, node: ast.Expr, what: str) -> tuple[str, str] | None:
    if not (isinstance(node, ast.Attr) and isinstance(node.obj, ast.Name)):
        comp.scope.error("E340", f"{what} needs a DATASET.COLUMN here", node)
        return None
    ds, column = node.obj.name, node.name
    info = comp.scope.datasets.get(ds)
    if ds in comp.scope.broken:
        return None  # the dataset's own error is reported already
    if info is None:
        comp.scope.error(
            "E341", f"unknown dataset '{ds}'", node.obj, did_you_mean(ds, comp.scope.datasets)
        )
        return None
    if column not in info.columns:
        comp.scope.error(
            "E342",
            f"dataset '{ds}' has no column '{column}'",
            node,
            did_you_mean(column, info.columns) or f"columns: {', '.join(info.columns)}",
        )
        return None
    from synthdsl.expr.datasets import nested_type

    kind = nested_type(info, column)
    if kind is not None:
        comp.scope.error(
            "E345",
            f"'{ds}.{column}' holds nested values ({kind}s: a struct "
            f"or list column), which cannot be labels or values",
            node,
            "flatten it into plain columns first, e.g. one column per struct field",
        )
        return None
    return ds, column


def _empirical(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "empirical", 1, 1) or not _no_kwargs(comp, node, "empirical"):
        return comp.bad()
    col = _dataset_column(comp, node.args[0], "empirical")
    if col is None:
        return comp.bad()
    ds, column = col
    typ = comp.scope.datasets[ds].columns[column]
    series = comp.scope.datasets[ds].frame[column]
    from synthdsl.expr.datasets import series_values

    source = series_values(series, typ)
    if len(source) == 0 or source.is_null().all():
        why = "is empty" if len(source) == 0 else "has no values: every row is empty"
        comp.scope.error("E336", f"'{ds}.{column}' {why}", node.args[0])
        return comp.bad()

    def fn(ctx: Ctx) -> Values:
        idx = ctx.rng.integers(0, len(source), ctx.n)
        return source.take(idx)

    return Compiled(fn, typ, random=True)


def _mixture(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not node.pairs or node.args or node.kwargs:
        comp.scope.error("E343", "mixture() takes weight: draw pairs", node)
        return comp.bad()
    weights, parts = [], []
    for pair in node.pairs:
        w = comp.compile(pair.key)
        if not w.is_const or w.type not in NUMERIC or w.const < 0:
            comp.scope.error("E331", "a mixture weight must be a constant number >= 0", pair.key)
            return comp.bad()
        weights.append(float(w.const))
        parts.append(comp.compile(pair.value))
    total = sum(weights)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        comp.scope.error("E334", f"mixture weights must sum to 1, they sum to {total:g}", node)
        return comp.bad()
    typ = parts[0].type
    for p, pair in zip(parts[1:], node.pairs[1:]):
        u = unify(typ, p.type)
        if u is None:
            comp.scope.error("E344", f"mixture parts mix {typ} and {p.type}", pair.value)
            return comp.bad()
        typ = u
    cdf = np.cumsum(weights) / total

    def fn(ctx: Ctx) -> Values:
        which = np.minimum(np.searchsorted(cdf, ctx.rng.random(ctx.n), side="right"), len(cdf) - 1)
        out = None
        null = np.zeros(ctx.n, dtype=bool)
        for k, part in enumerate(parts):
            rows = np.flatnonzero(which == k)
            if rows.size == 0:
                continue
            sub = _subctx(ctx, rows)
            v = as_type(part.fn(sub), typ)
            if out is None:
                out = np.zeros(ctx.n, dtype=v.data.dtype)
            out[rows] = v.data
            if v.null is not None:
                null[rows] = v.null
        if out is None:
            out = np.zeros(ctx.n, dtype=np.float64)
        return Values(out, null if null.any() else None)

    return Compiled(fn, typ, **_join(parts, random=True))


def _subctx(ctx: Ctx, rows: np.ndarray) -> Ctx:
    """The same rows' context restricted to ``rows``, drawing from the parent's generator."""
    return ctx.sub(rows)
