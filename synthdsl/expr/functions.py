"""Built-in functions of the expression language: draws, providers, dates, text, lookups.

``compile_call`` dispatches a call by name. Distribution names come from ``distributions.DISTRIBUTIONS``;
``categorical``, ``empirical`` and ``mixture`` are composed here because their arguments are labels,
dataset columns or other draws. Providers (``faker.*``, ``mimesis.*``) resolve through ``providers``.
Every function types its arguments and reports mistakes at the argument's span.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from synthdsl.errors import did_you_mean
from synthdsl.expr import aggregate, distributions
from synthdsl.expr.context import (
    NUMERIC,
    CatDraw,
    Compiled,
    Ctx,
    DistDraw,
    as_type,
    const_values,
    merge_null,
    unify,
)

if TYPE_CHECKING:
    from synthdsl.expr.compile import Compiler
from synthdsl.syntax import ast
from synthdsl.values import Values

WEIGHT_TOLERANCE = 1e-6
_EPOCH = np.datetime64("1970-01-01", "D")


def _join(parts, random: bool = False, **extra) -> dict:
    deps: frozenset[str] = frozenset()
    related: frozenset[tuple[str, str]] = frozenset()
    for p in parts:
        deps |= p.deps
        related |= p.related
        random = random or p.random
    return {"deps": deps, "related": related, "random": random, **extra}


def _arity(comp: Compiler, node: ast.Call, name: str, lo: int, hi: int | None) -> bool:
    n = len(node.args)
    if n < lo or (hi is not None and n > hi):
        want = str(lo) if lo == hi else (f"{lo} to {hi}" if hi is not None else f"at least {lo}")
        comp.scope.error("E320", f"{name}() takes {want} argument(s), got {n}", node)
        return False
    for extra in (*node.pairs, *node.arrows):
        comp.scope.error("E321", f"{name}() does not take this kind of argument", extra)
        return False
    return True


def _no_kwargs(comp: Compiler, node: ast.Call, name: str, allowed: tuple[str, ...] = ()) -> bool:
    ok = True
    for k in node.kwargs:
        if k.name not in allowed:
            hint = did_you_mean(k.name, allowed) if allowed else None
            comp.scope.error("E322", f"{name}() has no parameter '{k.name}'", k, hint)
            ok = False
    return ok


def _want(comp: Compiler, c: Compiled, types: tuple[str, ...], node: ast.Node, what: str) -> bool:
    if c.type in (*types, "any", "null"):
        return True
    comp.scope.error("E323", f"{what} must be {' or '.join(types)}, found {c.type}", node)
    return False


# ------------------------------------------------------------------ dispatch
def compile_call(comp: Compiler, node: ast.Call) -> Compiled:
    path = node.path
    if path is None:
        comp.scope.error("E324", "only named functions can be called", node)
        return comp.bad()
    if path[0] in ("faker", "mimesis") and len(path) >= 2:
        return _provider(comp, node, path)
    if len(path) != 1:
        comp.scope.error("E325", f"unknown function '{'.'.join(path)}'", node.func)
        return comp.bad()
    name = path[0]
    if name in aggregate.FUNCTIONS and (
        name not in _HANDLERS or _aggregate_target(comp, node) is not None
    ):
        return _aggregate(comp, node, name)
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(comp, node)
    dist = distributions.get(name)
    if dist is not None:
        return _distribution(comp, node, dist)
    known = [*_HANDLERS, *distributions.DISTRIBUTIONS]
    comp.scope.error("E325", f"unknown function '{name}'", node.func, did_you_mean(name, known))
    return comp.bad()


# ------------------------------------------------------------------ aggregates over a child table
def _aggregate_target(comp: Compiler, node: ast.Call) -> tuple[str, str | None] | None:
    """``(child, column)`` when the call is ``f(CHILD)`` or ``f(CHILD.COLUMN)`` of a child table."""
    if len(node.args) != 1 or node.kwargs or node.pairs or node.arrows:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Name) and arg.name in comp.scope.children:
        return arg.name, None
    if (
        isinstance(arg, ast.Attr)
        and isinstance(arg.obj, ast.Name)
        and arg.obj.name in comp.scope.children
    ):
        return arg.obj.name, arg.name
    return None


def _aggregate(comp: Compiler, node: ast.Call, name: str) -> Compiled:
    """``sum(CHILD.COL)`` and friends: a read of the hidden per-row aggregate the executor fills in
    after the block's child rows exist (``synthdsl/aggregate.py``)."""
    target = _aggregate_target(comp, node)
    children = comp.scope.children
    if target is not None and target[1] is None and name != "count":
        target = None  # only count() takes a whole table
    if target is None:
        shape = f"{name}(CHILD.COLUMN)"
        if name == "count":
            shape = "count(CHILD)` or `count(CHILD.COLUMN)"
        hint = (
            f"child tables of '{comp.scope.table}': {', '.join(sorted(children))}"
            if children
            else f"a child table declares `rows per {comp.scope.table} ~ ...`"
        )
        arg = node.args[0] if len(node.args) == 1 else node
        if isinstance(arg, ast.Attr) and isinstance(arg.obj, ast.Name):
            hint = did_you_mean(arg.obj.name, children) or hint
        comp.scope.error(
            "E363",
            f"{name}() aggregates a child table of '{comp.scope.table}': write `{shape}`",
            arg,
            hint,
        )
        return comp.bad()
    child, column = target
    arg_type = None
    if column is not None:
        cols = children[child]
        if column not in cols:
            comp.scope.error(
                "E203",
                f"table '{child}' has no column '{column}'",
                node.args[0],
                did_you_mean(column, cols),
            )
            return comp.bad()
        arg_type = cols[column]
        if arg_type == "any":
            return comp.bad()  # the column's own type error is reported already
    typ = aggregate.result_type(name, arg_type)
    if typ is None:
        comp.scope.error(
            "E364",
            f"{name}() needs a numeric column{'' if name in ('sum', 'mean') else ' or a date'}, "
            f"'{child}.{column}' is {arg_type}",
            node.args[0],
        )
        return comp.bad()
    hidden = aggregate.key(name, child, column)

    def fn(ctx: Ctx) -> Values:
        return ctx.cols[hidden]

    return Compiled(fn, typ, deps=frozenset({hidden}))


# ------------------------------------------------------------------ draws
def _next_draw(comp: Compiler) -> int:
    comp.scope.draw_counter[0] += 1
    return comp.scope.draw_counter[0]


def _distribution(comp: Compiler, node: ast.Call, dist) -> Compiled:
    if node.pairs or node.arrows:
        comp.scope.error("E321", f"{dist.name}() takes plain or name=value arguments", node)
        return comp.bad()
    args = [comp.compile(a) for a in node.args]
    kwargs = {k.name: comp.compile(k.value) for k in node.kwargs}
    try:
        bound = dist.bind(args, kwargs)
    except TypeError as exc:
        comp.scope.error("E326", str(exc), node, f"{dist.name}({', '.join(dist.params)})")
        return comp.bad()
    nodes = dict(zip(dist.params, node.args)) | {k.name: k.value for k in node.kwargs}
    dates = False
    # A parameter of type "any" comes from an error already reported (an unknown column): it
    # takes the other's type instead of causing a knock-on "found any".
    if (
        dist.name == "uniform"
        and all(
            isinstance(c, Compiled) and c.type in ("date", "datetime", "any")
            for c in bound.values()
        )
        and any(c.type in ("date", "datetime") for c in bound.values())
    ):
        dates = True
    date_params = [
        p for p, c in bound.items() if isinstance(c, Compiled) and c.type in ("date", "datetime")
    ]
    if dist.name == "uniform" and date_params and not dates:
        other = next(p for p in bound if p not in date_params)
        comp.scope.error(
            "E323",
            f"uniform() parameter '{other}' must be a date like '{date_params[0]}', "
            f"found {bound[other].type}",
            nodes.get(other, node),
        )
        return comp.bad()
    typed = True
    for pname, c in bound.items():
        if not isinstance(c, Compiled) or dates:
            continue
        ok = _want(comp, c, NUMERIC, nodes.get(pname, node), f"{dist.name}() parameter '{pname}'")
        typed = typed and ok and c.type in NUMERIC
    if not dates and not typed:
        return comp.bad()
    consts = {p: c.const for p, c in bound.items() if isinstance(c, Compiled) and c.is_const}
    if not dates and len(consts) == len(bound):
        for pname, msg in dist.check({p: float(v) for p, v in consts.items() if v is not None}):
            comp.scope.error(
                "E327", f"{dist.name}() parameter '{pname}' {msg}", nodes.get(pname, node)
            )
    params = {p: c for p, c in bound.items() if isinstance(c, Compiled)}
    typ = {"continuous": "float", "discrete": "int", "bool": "bool"}[dist.kind]
    if dates:
        typ = "datetime" if any(c.type == "datetime" for c in params.values()) else "date"
        lo, hi = params.get("low"), params.get("high")
        if (
            lo is not None
            and hi is not None
            and lo.is_const
            and hi.is_const
            and lo.const > hi.const
        ):
            comp.scope.error(
                "E328",
                f"uniform() low {lo.const} is after high {hi.const}",
                nodes.get("high", node),
            )
        return _uniform_dates(params, typ)
    defaults = {p: v for p, v in bound.items() if not isinstance(v, Compiled)}

    def fn(ctx: Ctx) -> Values:
        vals = {p: c.fn(ctx) for p, c in params.items()}
        arrays = {p: _scalar_or_array(_nan_nulls(v)) for p, v in vals.items()} | defaults
        data = dist.sample(ctx.rng, ctx.n, arrays)
        return Values(data, merge_null(*vals.values()))

    return Compiled(
        fn, typ, **_join(params.values(), random=True), dist=DistDraw(dist, params, False)
    )


def discrete_uniform(c: Compiled) -> Compiled:
    """An ``int`` column's ``uniform(a, b)`` with whole-number bounds (int expressions, or constants
    like ``10`` or ``10.0``) as the discrete uniform on ``[a, b]``, ends included and every value
    equally likely; any other compiled value is returned as is."""
    draw = c.dist
    if draw is None or draw.dates or draw.dist.name != "uniform" or draw.dist.kind != "continuous":
        return c
    params = draw.params
    if set(params) != {"low", "high"}:
        return c
    for p in params.values():
        whole_const = (
            p.is_const and isinstance(p.const, int | float) and float(p.const).is_integer()
        )
        if not (p.type == "int" or whole_const):
            return c
    dist = distributions.UNIFORM_INT

    def fn(ctx: Ctx) -> Values:
        vals = {p: pc.fn(ctx) for p, pc in params.items()}
        arrays = {p: _scalar_or_array(_nan_nulls(v)) for p, v in vals.items()}
        data = dist.sample(ctx.rng, ctx.n, arrays)
        return Values(data, merge_null(*vals.values()))

    return Compiled(
        fn, "int", **_join(params.values(), random=True), dist=DistDraw(dist, params, False)
    )


def _nan_nulls(v: Values) -> np.ndarray:
    """Null parameter rows become NaN: the distribution skips validating them (they stay null)."""
    if v.null is None or not v.null.any():
        return v.data
    return np.where(v.null, np.nan, v.data.astype(np.float64))


def _scalar_or_array(a: np.ndarray):
    """Pass a constant parameter as a scalar so numpy takes its fast path."""
    if a.ndim == 1 and a.size > 0 and (a.size == 1 or (a[0] == a).all()):
        return a[0].item() if hasattr(a[0], "item") else a[0]
    return a


def _uniform_dates(params: dict[str, Compiled], typ: str) -> Compiled:
    lo_c, hi_c = params["low"], params["high"]
    unit = "us" if typ == "datetime" else "D"

    def fn(ctx: Ctx) -> Values:
        lo, hi = lo_c.fn(ctx), hi_c.fn(ctx)
        a = lo.data.astype(f"datetime64[{unit}]").astype(np.int64)
        b = hi.data.astype(f"datetime64[{unit}]").astype(np.int64)
        span = np.maximum(b - a, 0) + 1
        draw = a + np.floor(ctx.rng.random(ctx.n) * span).astype(np.int64)
        return Values(draw.astype(f"datetime64[{unit}]"), merge_null(lo, hi))

    dist = distributions.get("uniform")
    return Compiled(
        fn, typ, **_join(params.values(), random=True), dist=DistDraw(dist, params, True)
    )


def _literal_key(comp: Compiler, node: ast.Expr):
    c = comp.compile(node)
    if not c.is_const or c.const is None:
        comp.scope.error("E330", "a category label must be a constant (not null)", node)
        return None, c.type
    return c.const, c.type


def _categorical(comp: Compiler, node: ast.Call) -> Compiled:
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
        sub = frame[[column, wcol[1]]].dropna()
        w = pd.to_numeric(sub[wcol[1]], errors="coerce")
        if w.isna().any() or (w < 0).any():
            bad = int(np.flatnonzero(w.isna().to_numpy() | (w < 0).to_numpy())[0])
            comp.scope.error(
                "E338",
                f"weights column '{ds}.{wcol[1]}' must hold numbers >= 0 "
                f"(row {bad + 1} of the data holds {sub[wcol[1]].iloc[bad]!r})",
                wnode,
            )
            return comp.bad()
        grouped = w.groupby(sub[column].to_numpy(), sort=False).sum()
        labels, weights = grouped.index.to_numpy(dtype=object), grouped.to_numpy(dtype=float)
    if len(labels) == 0 or weights.sum() <= 0:
        comp.scope.error("E336", f"'{ds}.{column}' has no categories with weight", src)
        return comp.bad()
    typ = comp.scope.datasets[ds].columns[column]
    return _cat_compiled(labels, weights / weights.sum(), typ)


def _label_type(comp: Compiler, types: set[str], node: ast.Node) -> str:
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


def _dataset_column(comp: Compiler, node: ast.Expr, what: str) -> tuple[str, str] | None:
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
    return ds, column


def _empirical(comp: Compiler, node: ast.Call) -> Compiled:
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
    if len(source) == 0:
        comp.scope.error("E336", f"'{ds}.{column}' is empty", node.args[0])
        return comp.bad()

    def fn(ctx: Ctx) -> Values:
        idx = ctx.rng.integers(0, len(source), ctx.n)
        return source.take(idx)

    return Compiled(fn, typ, random=True)


def _mixture(comp: Compiler, node: ast.Call) -> Compiled:
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


# ------------------------------------------------------------------ providers
def _provider(comp: Compiler, node: ast.Call, path: tuple[str, ...]) -> Compiled:
    from synthdsl.expr import providers

    args = []
    for a in node.args:
        c = comp.compile(a)
        if not c.is_const:
            comp.scope.error("E350", "provider arguments must be constants", a)
            return comp.bad()
        args.append(c.const)
    kwargs = {}
    for k in node.kwargs:
        c = comp.compile(k.value)
        if not c.is_const:
            comp.scope.error("E350", "provider arguments must be constants", k.value)
            return comp.bad()
        kwargs[k.name] = c.const
    try:
        prov = providers.resolve(path[0], tuple(path[1:]), tuple(args), kwargs, comp.scope.locale)
    except providers.ProviderError as exc:
        hint = None
        if exc.suggestions:
            close = [f"'{s}'" for s in exc.suggestions[:3]]
            hint = (
                "did you mean "
                + (close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1])
                + "?"
            )
        comp.scope.error("E351", exc.message, node.func, hint)
        return comp.bad()
    typ = {
        "text": "text",
        "int": "int",
        "float": "float",
        "bool": "bool",
        "date": "date",
        "datetime": "datetime",
        "decimal": "float",
    }.get(prov.result_kind, "text")
    ordinal = _next_draw(comp)

    def fn(ctx: Ctx) -> Values:
        raw = prov.generate(ctx.key_for("provider", ordinal), ctx.n)
        return Values(_coerce_provider(raw, typ))

    return Compiled(fn, typ, random=True, provider=prov)


def _coerce_provider(raw: np.ndarray, typ: str) -> np.ndarray:
    if typ == "text":
        if raw.dtype == object:
            return raw
        return raw.astype(str).astype(object)
    if typ == "date":
        return np.array(raw.tolist(), dtype="datetime64[D]")
    if typ == "datetime":
        return np.array([x.replace(tzinfo=None) for x in raw.tolist()], dtype="datetime64[us]")
    if typ == "int":
        return np.asarray(raw, dtype=np.int64)
    if typ == "float":
        return np.asarray(raw, dtype=np.float64)
    return np.asarray(raw, dtype=bool)


# ------------------------------------------------------------------ deterministic functions
def _serial(comp: Compiler, node: ast.Call) -> Compiled:
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


def _parse_date(comp: Compiler, node: ast.Call, typ: str) -> Compiled:
    if not _arity(comp, node, typ, 1, 1) or not _no_kwargs(comp, node, typ):
        return comp.bad()
    c = comp.compile(node.args[0])
    if not (c.is_const and c.type == "text"):
        comp.scope.error("E353", f'{typ}() takes a constant string like "2026-01-31"', node)
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


def _duration(unit: str) -> Callable[[Compiler, ast.Call], Compiled]:
    name = {"D": "days", "W": "weeks", "h": "hours", "m": "minutes", "s": "seconds"}[unit]

    def handler(comp: Compiler, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 1, 1) or not _no_kwargs(comp, node, name):
            return comp.bad()
        c = comp.compile(node.args[0])
        _want(comp, c, NUMERIC, node.args[0], f"{name}() argument")
        target = "timedelta64[D]" if unit in "DW" else "timedelta64[us]"
        scale = {"D": 1, "W": 7, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000}[unit]

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            whole = np.floor(np.asarray(v.data, dtype=np.float64) * scale)
            return Values(whole.astype(np.int64).astype(target), v.null)

        return Compiled(fn, "duration", **_join([c]))

    return handler


def _date_parts(comp: Compiler, node: ast.Call, name: str) -> list[Compiled] | None:
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
    def handler(comp: Compiler, node: ast.Call) -> Compiled:
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
    def handler(comp: Compiler, node: ast.Call) -> Compiled:
        parts = _date_parts(comp, node, name)
        if parts is None:
            return comp.bad()
        (a,) = parts

        def fn(ctx: Ctx) -> Values:
            v = a.fn(ctx)
            return Values(_ymd(v.data)[which], v.null)

        return Compiled(fn, "int", **_join(parts))

    return handler


def _coalesce(comp: Compiler, node: ast.Call) -> Compiled:
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


def _lookup(comp: Compiler, node: ast.Call) -> Compiled:
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
    key = comp.compile(ast.Name(arrow.source, span=arrow.span))
    if key.type == "any":
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
    def handler(comp: Compiler, node: ast.Call) -> Compiled:
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


def _round(comp: Compiler, node: ast.Call) -> Compiled:
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
        return Values(data.astype(np.int64) if typ == "int" else data, v.null)

    return Compiled(fn, typ, **_join([c]))


def _minmax(name: str):
    f = np.minimum if name == "min" else np.maximum

    def handler(comp: Compiler, node: ast.Call) -> Compiled:
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
    def handler(comp: Compiler, node: ast.Call) -> Compiled:
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


def _to_text(data: np.ndarray, spec: str = "") -> np.ndarray:
    """Vectorized conversion to text, honouring a format spec such as ``04d`` or ``.2f``."""
    kind = data.dtype.kind
    if kind == "O":
        if spec:
            return np.array([format(x, spec) for x in data.tolist()], dtype=object)
        return data
    if kind == "M":
        unit = "D" if data.dtype == np.dtype("datetime64[D]") else "s"
        return np.datetime_as_string(data, unit=unit).astype(object)
    if kind == "b":
        return np.where(data, "true", "false").astype(object)
    if spec:
        m = re.fullmatch(r"([0 ]?)(\d*)(?:\.(\d+))?([dfeg%x]?)", spec)
        if m is None:
            return np.array([format(x, spec) for x in data.tolist()], dtype=object)
        fill, width, prec, conv = m.groups()
        conv = conv or ("d" if kind in "iu" else "f")
        if conv == "d" and kind == "f":
            data = np.round(data).astype(np.int64)
        printf = "%" + (fill or "") + width + (f".{prec}" if prec else "") + conv
        return np.char.mod(printf, data).astype(object)
    if kind in "iu":
        return data.astype(str).astype(object)
    return np.array([repr(float(x)) for x in data.tolist()], dtype=object)


_FIELD = re.compile(r"\{\{|\}\}|\{(?::([^{}]*))?\}")


def _format(comp: Compiler, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "format", 1, None) or not _no_kwargs(comp, node, "format"):
        return comp.bad()
    tmpl = comp.compile(node.args[0])
    if not (tmpl.is_const and tmpl.type == "text"):
        comp.scope.error("E361", "format() needs a constant template string", node.args[0])
        return comp.bad()
    pieces: list[str | tuple[int, str]] = []
    pos, field_no = 0, 0
    text = tmpl.const
    for m in _FIELD.finditer(text):
        pieces.append(text[pos : m.start()])
        if m.group(0) in ("{{", "}}"):
            pieces.append(m.group(0)[0])
        else:
            pieces.append((field_no, m.group(1) or ""))
            field_no += 1
        pos = m.end()
    pieces.append(text[pos:])
    args = [comp.compile(a) for a in node.args[1:]]
    if field_no != len(args):
        comp.scope.error(
            "E362",
            f"format() template has {field_no} placeholder(s) but {len(args)} value(s) follow",
            node,
        )
        return comp.bad()

    def fn(ctx: Ctx) -> Values:
        vals = [a.fn(ctx) for a in args]
        out = np.empty(ctx.n, dtype=object)
        out[:] = ""
        for piece in pieces:
            if isinstance(piece, str):
                if piece:
                    out = out + piece
            else:
                out = out + _to_text(vals[piece[0]].data, piece[1])
        return Values(out, merge_null(*vals) if vals else None)

    return Compiled(fn, "text", **_join(args))


def _concat(comp: Compiler, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "concat", 1, None) or not _no_kwargs(comp, node, "concat"):
        return comp.bad()
    args = [comp.compile(a) for a in node.args]

    def fn(ctx: Ctx) -> Values:
        vals = [a.fn(ctx) for a in args]
        out = _to_text(vals[0].data)
        for v in vals[1:]:
            out = out + _to_text(v.data)
        return Values(out, merge_null(*vals))

    return Compiled(fn, "text", **_join(args))


def _text1(name: str, f: Callable[[pd.Series], pd.Series], result: str):
    def handler(comp: Compiler, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 1, 1) or not _no_kwargs(comp, node, name):
            return comp.bad()
        c = comp.compile(node.args[0])
        _want(comp, c, ("text",), node.args[0], f"{name}() argument")

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            out = f(pd.Series(v.data, dtype=object))
            dtype = object if result == "text" else np.int64
            return Values(out.to_numpy(dtype=dtype), v.null)

        return Compiled(fn, result, **_join([c]))

    return handler


_HANDLERS: dict[str, Callable[[Compiler, ast.Call], Compiled]] = {
    "categorical": _categorical,
    "empirical": _empirical,
    "mixture": _mixture,
    "serial": _serial,
    "date": lambda c, n: _parse_date(c, n, "date"),
    "datetime": lambda c, n: _parse_date(c, n, "datetime"),
    "days": _duration("D"),
    "weeks": _duration("W"),
    "hours": _duration("h"),
    "minutes": _duration("m"),
    "seconds": _duration("s"),
    "years_between": _between("years_between", _whole_years),
    "days_between": _between("days_between", _whole_days),
    "year": _date_field(0, "year"),
    "month": _date_field(1, "month"),
    "day": _date_field(2, "day"),
    "coalesce": _coalesce,
    "lookup": _lookup,
    "round": _round,
    "floor": _math1("floor", np.floor, "int"),
    "ceil": _math1("ceil", np.ceil, "int"),
    "abs": _math1("abs", np.abs, None),
    "sqrt": _math1("sqrt", np.sqrt, "float"),
    "log": _math1("log", np.log, "float"),
    "exp": _math1("exp", np.exp, "float"),
    "min": _minmax("min"),
    "max": _minmax("max"),
    "int": _cast("int"),
    "float": _cast("float"),
    "text": _cast("text"),
    "format": _format,
    "concat": _concat,
    "upper": _text1("upper", lambda s: s.str.upper(), "text"),
    "lower": _text1("lower", lambda s: s.str.lower(), "text"),
    "length": _text1("length", lambda s: s.str.len(), "int"),
}

FUNCTION_NAMES = tuple(sorted(_HANDLERS))
