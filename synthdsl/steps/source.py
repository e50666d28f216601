"""The random source: how step kinds draw, so that another source can stand in for numpy streams.

Input: a step's compiled pieces and its context. Output: values. The engine draws from the context's
numpy streams; ``synthdsl.hypothesis`` passes its own source (Hypothesis strategies, so failures shrink)
in the context. Steps never reach for a generator of their own, so the strategies need no subclass of
the executor and no copy of its steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthdsl.errors import RuleError
from synthdsl.expr import distributions
from synthdsl.expr.context import CatDraw, Compiled, Ctx, DistDraw
from synthdsl.plan.model import ColumnSpec, StepSpec
from synthdsl.streams import generator
from synthdsl.values import Values


class EngineSource:
    """Numpy streams keyed by (purpose, table, step, block): the engine's reproducible draws."""

    def rng(self, key: list[int]):
        """The generator a context's closures draw from (None: numpy's, made on first use)."""
        return None

    def value(self, step: StepSpec, compiled: Compiled, ctx: Ctx) -> Values:
        """A drawn or computed expression."""
        return compiled.fn(ctx)

    def nulls(self, column: ColumnSpec, ctx: Ctx) -> np.ndarray:
        """Which rows of a ``nulls p%`` column are null: a stream of its own."""
        return generator(ctx.key_for("nulls", column.name)).random(ctx.n) < column.nulls

    def counts(self, step, ctx: Ctx) -> np.ndarray:
        """Child rows per row of ``ctx`` for an emitting step (``rows per``): its ``count(ctx)``.

        The counts pass and the block both ask for the same ``ctx.key``; a source must answer both
        alike (the engine's count is a pure function of the key's stream)."""
        return step.count(ctx)

    def integers(self, step: StepSpec, ctx: Ctx, high: int) -> np.ndarray:
        """Uniform row numbers or label indexes in ``[0, high)`` (references, enum defaults)."""
        return ctx.rng.integers(0, high, ctx.n)

    def booleans(self, step: StepSpec, ctx: Ctx) -> np.ndarray:
        return ctx.rng.random(ctx.n) < 0.5

    def truncated(
        self, step: StepSpec, draw: DistDraw, params: dict, low, high, li: bool, hi: bool, ctx: Ctx
    ) -> np.ndarray:
        """One distribution drawn inside per-row or constant bounds (inverse CDF)."""
        return draw.dist.sample_truncated(ctx.rng, ctx.n, params, low, high, li, hi)

    def categorical(self, step: StepSpec, cat: CatDraw, forbids: list[dict], ctx: Ctx) -> Values:
        """Labels drawn from weights renormalized per row, minus those a rule forbids given the row."""
        labels, weights = cat.labels, cat.weights
        keys = labels.tolist()
        applies = np.zeros((ctx.n, len(forbids)), dtype=bool)
        for j, f in enumerate(forbids):
            given = ctx.cols[f["given"]]
            applies[:, j] = pd.Index(list(f["given_labels"])).get_indexer(given.data) >= 0
        codes = applies @ (1 << np.arange(len(forbids)))
        out = np.empty(ctx.n, dtype=labels.dtype)
        u = ctx.rng.random(ctx.n)
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            w = weights.copy()
            for j, f in enumerate(forbids):
                if code >> j & 1:
                    banned = set(f["labels"])
                    w[[k in banned for k in keys]] = 0.0
            if w.sum() <= 0:
                names = ", ".join(f["rule"] for f in forbids)
                raise RuleError(
                    f"rule(s) {names} of table '{step.table}' leave no allowed value for some "
                    f"rows (given {', '.join(f['given'] for f in forbids)})"
                )
            cdf = np.cumsum(w) / w.sum()
            idx = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(cdf) - 1)
            out[rows] = labels[idx]
        return Values(out)


ENGINE = EngineSource()
InvalidParameter = (distributions.InvalidParameterError, distributions.EmptyIntervalError)
