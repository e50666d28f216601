"""Hypothesis strategies from a ``.synth`` spec: rows, DataFrames and related tables, every rule true.

Input: a spec (a path or a loaded ``Spec``) and a table name. Output: strategies in the manner of
``hypothesis.extra.pandas``, built from Hypothesis's own strategies, so a failing property shrinks to
a small example: the fewest rows, boundary values, the first label, no nulls (see ``_source`` for
how each kind of column is drawn). Generation is the engine's: the same plan run by the same
``execute.Runtime``, with the same computed columns, lookups, aggregates and rule checks, and a
``HypothesisSource`` as its random source and a ``HypothesisPolicy`` as its rule policy.

Sizes are the strategies', not the spec's: ``rows 1_000`` becomes ``min_rows..max_rows`` rows, and a
child table gets ``0..max_children`` rows per parent row (within what its ``rows per`` distribution
allows: ``geometric`` gives at least one). A table that another references gets at least one row.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from synthdsl.api import Spec, _types_mapper, load
from synthdsl.errors import did_you_mean
from synthdsl.execute.blocks import Stats
from synthdsl.execute.run import family_order, to_batch
from synthdsl.execute.runtime import Runtime
from synthdsl.plan.model import Plan
from synthdsl.syntax.ast_json import from_json
from synthdsl.testing._source import HypothesisPolicy, HypothesisSource, RuleStats, RuleUnmet
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
    """A loaded spec (or a plan loaded without one) and its plan."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.plan = spec.plan()
        self.tables = spec.tables

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
        the child tables it aggregates, and theirs in turn (and any child table a step emits along
        with a needed one)."""
        if target is None:
            return set(self.tables)
        need: set[str] = set()
        stack = [target]
        while stack:
            while stack:
                name = stack.pop()
                if name in need:
                    continue
                need.add(name)
                t = self.plan.table(name)
                stack += [t.parent] if t.parent else []
                stack += [c.ref[0] for c in t.columns if c.ref is not None]
                for s in t.steps:  # aggregated children, related tables read
                    stack += [i.table for i in s.inputs if i.kind in _TABLE_INPUTS and i.table]
            for name in sorted(need):
                for s in self.plan.table(name).steps:
                    if any(c in need for c in s.emits):
                        stack += [c for c in s.emits if c not in need]
        return need


_ONE_BLOCK = 2**62  # every root table's rows in one block, whatever max_rows says
_TABLE_INPUTS = ("parent", "related", "aggregate")


def prune(plan: Plan, need: set[str]) -> Plan:
    """The plan of the tables in ``need`` only, without the steps that would emit rows into the
    others, and one block per root table."""
    tables = []
    for t in plan.tables:
        if t.name in need:
            steps = tuple(
                # a step that changes the table's columns (a simulation) stays, emitting only
                # into the tables needed
                s.model_copy(update={"emits": tuple(c for c in s.emits if c in need)})
                if s.updates
                else s
                for s in t.steps
                if s.updates or not s.emits or any(c in need for c in s.emits)
            )
            tables.append(t.model_copy(update={"steps": steps}))
    return plan.model_copy(update={"tables": tuple(tables), "block_rows": _ONE_BLOCK})


class _Strategy:
    """One strategy: its plan (the tables it needs), a runtime over it with a ``HypothesisSource``
    and a ``HypothesisPolicy`` (built once per thread, with the thread's ``RuleStats``: building
    compiles every expression, and the source holds one example's ``draw`` at a time), and the
    drawing of one example."""

    def __init__(self, model: _Model, sizing: _Sizing, edge_cases: bool):
        self.model = model
        self.sizing = sizing
        self.edge_cases = edge_cases
        self.plan = prune(model.plan, model.needed(sizing.target))
        self.returned = model.tables if sizing.target is None else [sizing.target]
        self._local = threading.local()
        model.spec._ensure_models()  # a model without its artifact is fitted once, as generate does
        rt = self.runtime()  # now: a plan the engine cannot run fails where the strategy is made
        self.order = family_order(rt)

    def runtime(self) -> Runtime:
        rt = getattr(self._local, "rt", None)
        if rt is None:
            source = HypothesisSource(
                self.plan,
                edge_cases=self.edge_cases,
                max_children=self.sizing.max_children,
                target=self.sizing.target,
            )
            spec = self.model.spec
            rt = Runtime(
                self.plan,
                spec._datasets,
                spec.source_for,
                source=source,
                policy=HypothesisPolicy(RuleStats()),
            )
            self._local.rt = rt
        return rt

    def example(self, draw, convert: Callable):
        rt = self.runtime()
        stats = rt.policy.stats
        stats.begin()
        # one example's run: the seed keys the streams the engine's closures still use (providers)
        rt.seed = draw(_SEEDS)
        rt.rows, rt.materialized, rt.totals, rt.offsets = {}, {}, {}, {}
        rt.stats = Stats()
        rt.source.begin(draw, rt.totals)
        try:
            out = self.generate(rt, draw)
        except RuleUnmet as err:
            stats.record(err, self.where(rt, err))
            reject()
        finally:
            rt.source.end()
        return convert({t: to_batch(rt, t, out[t]) for t in self.returned})

    def generate(self, rt: Runtime, draw) -> dict[str, dict[str, Values]]:
        """Every needed family in order, each one block of the engine's (``family_block``), the
        root's rows drawn first. Child rows per parent row are drawn by the source when the block
        reaches them (``HypothesisSource.counts``), so no counts pass runs: every table of the
        family starts at row 0."""
        out: dict[str, dict[str, Values]] = {}
        target = self.sizing.target
        for root in self.order:
            rt.rows[root] = rt.totals[root] = draw(st.integers(*self._root_rows(rt, root)))
            rt.offsets[root] = {name: np.zeros(1, dtype=np.int64) for name in rt.family(root)}
            got = rt.family_block(root, 0, {}, rt.stats)
            for t in rt.family(root):
                out[t] = got[t]
                if t in rt.materialize:
                    if _height(got[t]) == 0:
                        reject()  # a referenced child table came out empty: no row to point at
                    rt.materialized[t] = got[t]
        if target is not None:
            if _height(out[target]) < self.sizing.min_rows:
                reject()
            # A child table's rows come whole sets per parent row; its frame is their first
            # max_rows (the parents are not returned, so a cut set shows nowhere).
            keep = np.arange(min(_height(out[target]), self.sizing.max_rows))
            out[target] = {c: v.take(keep) for c, v in out[target].items()}
        return out

    def _root_rows(self, rt: Runtime, root: str) -> tuple[int, int]:
        s = self.sizing
        if root == s.target:
            return s.min_rows, s.max_rows
        referenced = any(t in rt.materialize for t in rt.family(root))
        if s.target is None:
            return max(s.min_rows, int(referenced)), max(s.max_rows, int(referenced))
        return 1, max(1, s.max_rows)  # a parent or a referenced table of the target

    def where(self, rt: Runtime, err: RuleUnmet) -> str:
        """``path:line:col: rule text`` for a message (a ``unique`` column: its declaration)."""
        r = next(r for r in rt.tables[err.table].rules if r.name == err.rule)
        span = r.span
        if r.spec.kind == "row" and r.spec.expr is not None:
            span = from_json(r.spec.expr, self.model.spec.source_for).span
        if not span.line:
            return "spec"
        return f"{span.path}:{span.line}:{span.column}: {span.text()}"


def _strategy(
    caller: str, model: _Model, sizing: _Sizing, edge_cases: bool, convert: Callable, shown: dict
):
    """The composite strategy; its repr reads like the call (``rows(spec='x.synth', table='t')``),
    so Hypothesis's reports say which strategy drew an example."""
    strategy = _Strategy(model, sizing, edge_cases)

    def draw_example(draw, **_shown):
        return strategy.example(draw, convert)

    draw_example.__name__ = draw_example.__qualname__ = caller
    args = {"spec": model.spec.path} | {k: v for k, v in shown.items() if v}
    return st.composite(draw_example)(**args)


def _height(cols: dict[str, Values]) -> int:
    return len(next(iter(cols.values())))
