"""Distribution calls (``normal(0, 1)``, ``uniform(a, b)`` on numbers or dates) and the discrete
uniform an ``int`` column's ``uniform`` becomes.
"""

from __future__ import annotations

import numpy as np

from synthdsl.expr import distributions
from synthdsl.expr.context import NUMERIC, Compiled, Ctx, DistDraw, merge_null
from synthdsl.expr.functions._common import _join, _want
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values


def _distribution(comp: CompilerLike, node: ast.Call, dist) -> Compiled:
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
