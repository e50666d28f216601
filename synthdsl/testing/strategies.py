"""Hypothesis strategies from a ``.synth`` spec: rows, DataFrames and related tables, every rule true.

Input: a spec (a path or a loaded ``Spec``) and a table name. Output: strategies in the manner of
``hypothesis.extra.pandas``, built from Hypothesis's own strategies, so a failing property shrinks to
a small example: the fewest rows, boundary values, the first label, no nulls (see ``_blockgen`` for
how each kind of column is drawn). Generation is the engine's: the same plan, the same computed
columns, lookups, aggregates and rule checks, with Hypothesis as the source of randomness.

Sizes are the strategies', not the spec's: ``rows 1_000`` becomes ``min_rows..max_rows`` rows, and a
child table gets ``0..max_children`` rows per parent row (within what its ``rows per`` distribution
allows: ``geometric`` gives at least one). A table that another references gets at least one row.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from synthdsl.api import Spec, _types_mapper, load
from synthdsl.check.model import TableInfo
from synthdsl.errors import did_you_mean
from synthdsl.execute.run import Runtime, Stats, _family_order, finish_block, to_batch
from synthdsl.expr.context import Ctx
from synthdsl.testing._blockgen import HypothesisBlockGen, RuleStats, RuleUnmet
from synthdsl.testing._random import HypothesisRandom
from synthdsl.testing._ranges import central
from synthdsl.values import Values

__all__ = ["frames", "rows", "tables"]

SpecLike = Spec | str | os.PathLike
_SEEDS = st.integers(0, 2**32 - 1)


# ------------------------------------------------------------------ public strategies
def rows(spec: SpecLike, table: str, *, edge_cases: bool = False) -> st.SearchStrategy[dict]:
    """One row of ``table`` as a dict of Python values (``int``, ``float``, ``str``, ``bool``,
    ``datetime.date``, ``datetime.datetime``, ``decimal.Decimal``, ``None`` for null).

    A child table's row belongs to a parent row that is drawn too (not returned), so parent columns
    the row reads (``patients.birth_date``) and rules across them hold.
    """
    _check_table("rows", table)
    model = _Model.of(spec, "rows", table)
    _check_bool("edge_cases", edge_cases)
    sizing = _Sizing(table, 1, 1, 3)
    convert = lambda b: b[table].to_pylist()[0]  # noqa: E731
    shown = {"table": table, "edge_cases": edge_cases}
    return _strategy("rows", model, sizing, edge_cases, convert, shown)


def frames(
    spec: SpecLike,
    table: str,
    *,
    min_rows: int = 0,
    max_rows: int = 10,
    max_children: int = 3,
    edge_cases: bool = False,
) -> st.SearchStrategy[pd.DataFrame]:
    """DataFrames of ``table`` with ``min_rows..max_rows`` rows, typed as ``Spec.generate`` types them.

    For a child table, parent rows are drawn as needed (not returned); ``max_children`` bounds the rows
    any table other than ``table`` gets per parent row.
    """
    _check_table("frames", table)
    model = _Model.of(spec, "frames", table)
    _check_sizes(min_rows, max_rows, max_children)
    _check_bool("edge_cases", edge_cases)
    sizing = _Sizing(table, int(min_rows), int(max_rows), int(max_children))
    convert = lambda b: _frame(b[table])  # noqa: E731
    shown = {"table": table, "min_rows": min_rows, "max_rows": max_rows, "edge_cases": edge_cases}
    return _strategy("frames", model, sizing, edge_cases, convert, shown)


def tables(
    spec: SpecLike,
    *,
    min_rows: int = 1,
    max_rows: int = 4,
    max_children: int = 3,
    edge_cases: bool = False,
) -> st.SearchStrategy[dict[str, pd.DataFrame]]:
    """Every table of the spec, related: each foreign key points at an existing parent row, child
    rows read their own parent's columns, and aggregates (``sum(lines.total)``) match the children.

    Root tables get ``min_rows..max_rows`` rows (at least one when another table references them);
    child tables get ``0..max_children`` rows per parent row, within their ``rows per`` distribution.
    With ``edge_cases``, empty child sets (where allowed), range bounds, nulls and rare categories
    come up far more often.
    """
    model = _Model.of(spec, "tables", None)
    _check_sizes(min_rows, max_rows, max_children)
    _check_bool("edge_cases", edge_cases)
    sizing = _Sizing(None, int(min_rows), int(max_rows), int(max_children))
    convert = lambda b: {t: _frame(x) for t, x in b.items()}  # noqa: E731
    shown = {"min_rows": min_rows, "max_rows": max_rows, "edge_cases": edge_cases}
    return _strategy("tables", model, sizing, edge_cases, convert, shown)


# ------------------------------------------------------------------ argument checks
def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")


def _check_table(caller: str, table: Any) -> None:
    if not isinstance(table, str):
        raise InvalidArgument(f"{caller}(): table={table!r} must be a table name (a str)")


def _check_sizes(min_rows: Any, max_rows: Any, max_children: Any) -> None:
    for name, value in (
        ("min_rows", min_rows),
        ("max_rows", max_rows),
        ("max_children", max_children),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise InvalidArgument(f"{name}={value!r} must be a whole number >= 0")
    if min_rows > max_rows:
        raise InvalidArgument(f"min_rows={min_rows} is greater than max_rows={max_rows}")


def _frame(batch: pa.Table) -> pd.DataFrame:
    return batch.to_pandas(types_mapper=_types_mapper)


# ------------------------------------------------------------------ the spec, prepared once
@dataclasses.dataclass
class _Sizing:
    target: str | None  # None: every table (``tables``)
    min_rows: int
    max_rows: int
    max_children: int


class _Model:
    """A loaded spec, its runtime template and, per table, what must be generated with it."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.rt = Runtime.create(spec.checked, None, {})
        self.tables = spec.checked.tables
        self.order = [t for root in _family_order(self.rt) for t in self.rt.family(root)]

    @classmethod
    def of(cls, spec: SpecLike, caller: str, table: str | None) -> _Model:
        if isinstance(spec, str | os.PathLike):
            spec = load(spec)
        elif not isinstance(spec, Spec):
            raise InvalidArgument(
                f"{caller}() takes a spec path or a synthdsl.Spec, got {type(spec).__name__}"
            )
        model = cls(spec)
        if table is not None and table not in model.tables:
            hint = did_you_mean(table, model.tables)
            raise InvalidArgument(
                f"{caller}(): the spec has no table '{table}' (tables: {', '.join(model.tables)})"
                + (f"; {hint}" if hint else "")
            )
        return model

    def needed(self, target: str | None) -> set[str]:
        """The tables generated along with ``target``: its ancestors, the tables it references and
        the child tables it aggregates, and theirs in turn."""
        if target is None:
            return set(self.tables)
        need: set[str] = set()
        stack = [target]
        while stack:
            name = stack.pop()
            if name in need:
                continue
            need.add(name)
            t = self.tables[name]
            stack += [t.parent] if t.parent else []
            stack += [c.ref[0] for c in t.columns.values() if c.ref and c.ref[0] != t.parent]
            stack += sorted(t.aggregated)
        return need

    def where(self, err: RuleUnmet) -> str:
        """``path:line:col: rule text`` for a message (a ``unique`` column: its declaration)."""
        t = self.tables[err.table]
        info = next((r for r in t.rules if r.name == err.rule.name), None)
        node = info.node.expr if info is not None else t.columns[err.rule.columns[0]].node
        span = node.span
        if not span.line:
            return "spec"
        return f"{span.source.path}:{span.line}:{span.column}: {span.text()}"


def _strategy(
    caller: str, model: _Model, sizing: _Sizing, edge_cases: bool, convert: Callable, shown: dict
):
    """The composite strategy; its repr reads like the call (``rows(spec='x.synth', table='t')``),
    so Hypothesis's reports say which strategy drew an example."""
    stats = RuleStats()
    need = model.needed(sizing.target)

    def draw_example(draw, **_shown):
        stats.begin()
        run = _Run(model, sizing, need, draw, edge_cases, stats)
        try:
            out = run.generate()
        except RuleUnmet as err:
            stats.record(err, model.where(err))
            reject()
        tables = model.tables if sizing.target is None else [sizing.target]
        return convert({t: to_batch(run.rt, t, out[t]) for t in tables})

    draw_example.__name__ = draw_example.__qualname__ = caller
    args = {"spec": model.spec.checked.path} | {k: v for k, v in shown.items() if v}
    return st.composite(draw_example)(**args)


# ------------------------------------------------------------------ one example
class _Run:
    """Draws one example: the needed tables, parents first, each as one block of rows."""

    def __init__(
        self, model: _Model, sizing: _Sizing, need: set[str], draw, edge_cases: bool, rule_stats
    ):
        self.model = model
        self.sizing = sizing
        self.need = need
        self.draw = draw
        self.edge_cases = edge_cases
        self.rule_stats = rule_stats
        self.rt = dataclasses.replace(
            model.rt, seed=draw(_SEEDS), materialized={}, totals={}, stats=Stats()
        )

    def generate(self) -> dict[str, dict[str, Values]]:
        out: dict[str, dict[str, Values]] = {}
        target = self.sizing.target
        for root in _family_order(self.rt):
            if root not in self.need:
                continue
            n = self.draw(st.integers(*self._root_rows(root)))
            self._gen(root, np.arange(n, dtype=np.int64), {}, out)
            for t in self.rt.family(root):
                if t in self.rt.materialize and t in out:
                    if _height(out[t]) == 0:
                        reject()  # a referenced child table came out empty: no row to point at
                    self.rt.materialized[t] = out[t]
        if target is not None:
            if _height(out[target]) < self.sizing.min_rows:
                reject()
            # A child table's rows come whole sets per parent row; its frame is their first
            # max_rows (the parents are not returned, so a cut set shows nowhere).
            out[target] = {
                c: v.take(np.arange(min(_height(out[target]), self.sizing.max_rows)))
                for c, v in out[target].items()
            }
        return out

    def _root_rows(self, root: str) -> tuple[int, int]:
        s = self.sizing
        if root == s.target:
            return s.min_rows, s.max_rows
        referenced = any(t in self.rt.materialize for t in self.rt.family(root))
        if s.target is None:
            return max(s.min_rows, int(referenced)), max(s.max_rows, int(referenced))
        return 1, max(1, s.max_rows)  # a parent or a referenced table of the target

    def _gen(self, table: str, rows: np.ndarray, related: dict, out: dict) -> None:
        """``execute._gen`` for one block: the table, its aggregated children, its late columns,
        then its other (needed) children."""
        self.rt.totals[table] = len(rows)
        gen = HypothesisBlockGen(
            self.rt,
            table,
            0,
            {},
            self.rt.stats,
            draw=self.draw,
            edge_cases=self.edge_cases,
            rule_stats=self.rule_stats,
        )
        related = dict(
            related
        )  # the early columns add the tables they reference; the late see them
        cols = gen.run(rows, related)
        out[table] = cols

        def child_rows(child: str) -> np.ndarray:
            idx = np.repeat(np.arange(len(rows)), self._counts(child, len(rows)))
            self._gen(child, np.arange(len(idx), dtype=np.int64), {table: (cols, idx)}, out)
            return idx

        children = [c for c in self.rt.children[table] if c in self.need]
        finish_block(gen, cols, rows, related, out, children, child_rows)

    # ---- rows per parent row
    def _counts(self, child: str, n_parent: int) -> np.ndarray:
        t = self.model.tables[child]
        choices = _count_choices(t, self.sizing.max_children)
        if choices is None:  # not a plain distribution: the engine's count, drawn by Hypothesis
            ctx = Ctx(n_parent, {}, np.arange(n_parent), [0], {}, HypothesisRandom(self.draw))
            data = np.asarray(t.count.fn(ctx).data)
            counts = np.maximum(np.floor(data).astype(np.int64), 0)
            return np.clip(counts, *t.count_clamp) if t.count_clamp else counts
        # a run of counts is an integer range (it shrinks numerically), a few labels a choice
        contiguous = choices == list(range(choices[0], choices[-1] + 1))
        strategy = st.integers(choices[0], choices[-1]) if contiguous else st.sampled_from(choices)
        if self.edge_cases and choices[0] == 0 and child != self.sizing.target:
            strategy = st.one_of(st.just(0), strategy)  # empty child sets (not in a child's frame)
        return np.array([self.draw(strategy) for _ in range(n_parent)], dtype=np.int64)


def _height(cols: dict[str, Values]) -> int:
    return len(next(iter(cols.values())))


def _count_choices(t: TableInfo, max_children: int) -> list[int] | None:
    """The rows per parent row a child table may get, smallest first: the count distribution's
    central range (``_ranges``), clamped, up to ``max_children`` or the smallest count above zero
    the spec allows, whichever is more. None when the count is an expression (``1 + poisson(2)``,
    ``mixture(...)``): the engine's own count is drawn then, through Hypothesis."""
    c = t.count
    if c.is_const:
        labels = [max(0, math.floor(float(c.const)))]
    elif c.cat is not None:
        labels = [int(x) for x, w in zip(c.cat.labels.tolist(), c.cat.weights) if w > 0]
    elif (
        c.dist is not None and not c.dist.dates and all(p.is_const for p in c.dist.params.values())
    ):
        params = {k: float(p.const) for k, p in c.dist.params.items()}
        cut = central(c.dist.dist, params)
        if cut is None:
            return None
        labels = list(range(max(0, math.floor(cut[0])), max(0, math.floor(cut[1])) + 1))
    else:
        return None
    if t.count_clamp is not None:
        lo, hi = t.count_clamp
        labels = [min(max(x, lo), hi) for x in labels]
    labels = sorted(set(labels))
    cap = max(max_children, min((x for x in labels if x > 0), default=0))
    return [x for x in labels if x <= cap]
