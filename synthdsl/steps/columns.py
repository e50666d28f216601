"""Built-in step kinds that fill one column from an expression: drawn or computed expressions, lookups,
truncated draws, conditional categoricals, unique providers, defaults and references.

Input: a ``StepSpec`` whose params carry the expression as AST JSON. Output: the column's values for a
block (before finishing: type, round, clamp and nulls are the block loop's, the same for every kind).
"""

from __future__ import annotations

import numpy as np

from synthdsl.errors import DataError
from synthdsl.expr.context import Compiled, Ctx
from synthdsl.expr.functions import discrete_uniform
from synthdsl.plan.model import StepSpec
from synthdsl.steps.base import BuildEnv, SimpleKind, StepOutput, register
from synthdsl.values import Values


def _compile(spec: StepSpec, env: BuildEnv) -> Compiled:
    c = env.compile(spec.table, spec.params["expr"], spec.outputs[0])
    return discrete_uniform(c) if spec.params.get("int") else c


class _One:
    """A step filling one column; subclasses give ``value``."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        self.spec = spec
        self.out = spec.outputs[0]

    def describe(self) -> str:
        return self.spec.describe

    def run(self, ctx: Ctx) -> StepOutput:
        return StepOutput({self.out: self.value(ctx)})

    def value(self, ctx: Ctx) -> Values:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class ExpressionStep(_One):
    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        self.compiled = _compile(spec, env)

    def value(self, ctx: Ctx) -> Values:
        return ctx.source.value(self.spec, self.compiled, ctx)


def _needs(step: ExpressionStep, what: str) -> None:
    """A plan edited by hand may give a kind an expression it cannot draw: say so when built."""
    if getattr(step.compiled, what) is None:
        raise ValueError(f"its expression is not a single {what} draw, which the kind needs")


class UniqueProviderStep(ExpressionStep):
    """``unique`` on a provider with a keyed permutation: row r of the table gets the permutation's
    r-th value, so values never repeat and a redraw of scattered rows gives each row its own."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        _needs(self, "provider")
        if isinstance(self.compiled.provider, tuple):  # a lookup is not a provider
            raise ValueError("its expression is a lookup, not a provider")

    def value(self, ctx: Ctx) -> Values:
        prov = self.compiled.provider
        total = ctx.env.totals[self.spec.table]
        key = ctx.env.unique_key(self.spec)
        rows = ctx.rows
        n = ctx.n
        if not n:
            return Values(np.empty(0, dtype=object))
        if rows[-1] - rows[0] + 1 == n:
            data = prov.generate_unique(key, int(rows[0]), n, total)
        else:  # a redraw of scattered rows
            data = np.concatenate([prov.generate_unique(key, int(r), 1, total) for r in rows])
        return Values(np.asarray(data, dtype=object))


class TruncatedDrawStep(ExpressionStep):
    """One distribution drawn inside the bounds the rules fold into it (constants or a column)."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        _needs(self, "dist")
        p = spec.params
        self.low, self.high = p["low"], p["high"]
        self.inclusive = bool(p["low_inclusive"]), bool(p["high_inclusive"])

    def value(self, ctx: Ctx) -> Values:
        draw = self.compiled.dist
        vals = {name: pc.fn(ctx) for name, pc in draw.params.items()}
        params = {name: v.data.astype(np.float64) for name, v in vals.items()}
        params = {k: (a[0] if a.size and (a == a[0]).all() else a) for k, a in params.items()}
        params = {k: (float(a) if np.ndim(a) == 0 else a) for k, a in params.items()}
        low = truncation_bound(self.low, ctx, -np.inf)
        high = truncation_bound(self.high, ctx, np.inf)
        data = ctx.source.truncated(self.spec, draw, params, low, high, *self.inclusive, ctx)
        nulls = [v.null for v in vals.values() if v.null is not None]
        return Values(data, np.logical_or.reduce(nulls) if nulls else None)


def truncation_bound(b: dict | None, ctx: Ctx, missing: float):
    """One side of a truncated draw: a constant, or another column's values as floats, with
    ``missing`` (the open end) where that column is null; None when unbounded."""
    if b is None:
        return None
    if "value" in b:
        return b["value"]
    v = ctx.cols[b["column"]]
    data = v.data.astype(np.float64)
    data = data if v.null is None else np.where(v.null, np.nan, data)
    return np.where(np.isnan(data), missing, data)


class ConditionalCategoricalStep(ExpressionStep):
    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        _needs(self, "cat")
        for f in spec.params["forbid"]:
            if not {"given", "given_labels", "labels", "rule"} <= set(f):
                raise ValueError("each forbid needs given, given_labels, labels and rule")

    def value(self, ctx: Ctx) -> Values:
        return ctx.source.categorical(self.spec, self.compiled.cat, self.spec.params["forbid"], ctx)


class DefaultStep(_One):
    """A bool or enum column with no value given: a fair coin, or uniform over the enum's values."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        col = env.table(spec.table).column(self.out)
        self.labels = np.array(col.dtype.values, dtype=object) if col.dtype.kind == "enum" else None

    def value(self, ctx: Ctx) -> Values:
        if self.labels is None:
            return Values(ctx.source.booleans(self.spec, ctx))
        return Values(self.labels[ctx.source.integers(self.spec, ctx, len(self.labels))])


class ReferenceStep(_One):
    """``ref T.key``: the parent row's key, or a uniformly chosen row of a table generated earlier
    (whose row index the block keeps, so ``T.column`` reads that same row)."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        super().__init__(spec, env)
        self.table, self.column = spec.params["table"], spec.params["column"]
        self.parent = spec.params["parent"]
        if all(c.name != self.column for c in env.table(self.table).columns):  # a hand-edited plan
            raise ValueError(f"table '{self.table}' has no column '{self.column}'")

    def run(self, ctx: Ctx) -> StepOutput:
        if self.parent:
            return StepOutput({self.out: ctx.related_col(self.table, self.column)})
        target = ctx.env.materialized[self.table]
        total = len(target[self.column])
        if total == 0:
            raise DataError(
                f"table '{self.spec.table}' references '{self.table}', which has no rows"
            )
        idx = ctx.source.integers(self.spec, ctx, total)
        return StepOutput({self.out: target[self.column].take(idx)}, related={self.table: idx})


for _name, _cls in (
    ("expression", ExpressionStep),
    ("lookup", ExpressionStep),
    ("unique_provider", UniqueProviderStep),
    ("truncated_draw", TruncatedDrawStep),
    ("conditional_categorical", ConditionalCategoricalStep),
    ("default", DefaultStep),
    ("reference", ReferenceStep),
):
    register(SimpleKind(_name, _cls))
