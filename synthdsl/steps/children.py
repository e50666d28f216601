"""Built-in step kinds between a table and its child tables: child rows and aggregates over them.

Input: a ``children`` step (the child's ``rows per`` count as AST JSON in the child's plan) or an
``aggregate`` step (function, child table, column). Output: emitted child rows (one per count, each with
its parent row) or one value per parent row. The counts also run alone, before any block, so every block
knows its child rows' global numbers whatever the chunking (``count``).
"""

from __future__ import annotations

import numpy as np

from synthdsl.expr import aggregate
from synthdsl.expr.context import Ctx
from synthdsl.expr.functions import discrete_uniform
from synthdsl.plan.model import StepSpec
from synthdsl.steps.base import BuildEnv, Emitted, SimpleKind, StepOutput, register


class ChildrenStep:
    """``rows per P ~ DIST [clamp(lo, hi)]``: each parent row's number of child rows."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        self.spec = spec
        self.child = spec.params["child"]
        count = env.table(self.child).count
        self.count_fn = discrete_uniform(env.compile(self.child, count.expr, bare=True))
        self.clamp = count.clamp

    def describe(self) -> str:
        return self.spec.describe

    def count(self, ctx: Ctx) -> np.ndarray:
        """Child rows per row of the block; drawn from the child's own ``rows`` stream."""
        data = np.asarray(self.count_fn.fn(ctx).data)
        if data.dtype.kind == "f":
            data = np.floor(data)
        counts = np.maximum(data.astype(np.int64), 0)
        if self.clamp is not None:
            counts = np.clip(counts, *self.clamp)
        return counts

    def run(self, ctx: Ctx) -> StepOutput:
        counts = ctx.env.counts(self, ctx)
        return StepOutput(emitted={self.child: Emitted(np.repeat(np.arange(ctx.n), counts))})


class AggregateStep:
    """``sum``/``count``/``min``/``max``/``mean`` of a child table's column per parent row."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        self.spec = spec
        p = spec.params
        self.func, self.child, self.column = p["func"], p["child"], p["column"]

    def describe(self) -> str:
        return self.spec.describe

    def run(self, ctx: Ctx) -> StepOutput:
        cols, parent_idx = ctx.env.child_rows(self.child)
        values = cols[self.column] if self.column is not None else None
        value = aggregate.compute(self.func, values, parent_idx, ctx.n)
        return StepOutput({self.spec.outputs[0]: value})


register(SimpleKind("children", ChildrenStep))
register(SimpleKind("aggregate", AggregateStep))
