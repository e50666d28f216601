"""A table's runnable parts, built once per worker from its ``TablePlan``: steps, rules, finishing.

Input: a ``TablePlan`` and a ``BuildEnv``. Output: a ``TableRun``: each step built by its kind, each row
rule compiled from its AST JSON, which step fills which column, and which steps read which columns (so a
redraw recomputes what depends on the redrawn steps). Nothing here names a step kind.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from synthdsl.dtypes import DType
from synthdsl.errors import SynthError
from synthdsl.expr import aggregate
from synthdsl.expr.context import Compiled
from synthdsl.plan.model import ColumnSpec, RuleSpec, StepSpec, TablePlan, Where
from synthdsl.source import NO_SPAN, SourceFile, Span
from synthdsl.steps.base import BuildEnv, Step, kind_of


@dataclass
class RuleRun:
    spec: RuleSpec
    compiled: Compiled | None
    span: Span

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class TableRun:
    plan: TablePlan
    steps: list[Step]
    columns: dict[str, ColumnSpec]
    dtypes: dict[str, DType]
    rules: list[RuleRun]
    reads: list[set[str]]  # per step: the columns and intermediate values it reads
    index: dict[str, int] = field(default_factory=dict)  # step id -> position
    spans: dict[str, Span] = field(default_factory=dict)  # column -> where its value is written

    @property
    def name(self) -> str:
        return self.plan.name

    @functools.cached_property
    def phases(self) -> tuple[list[int], ...]:
        """Step positions by phase: own columns, the children this table aggregates, the late
        steps (aggregates and what reads them), the other children."""
        specs = [s.spec for s in self.steps]
        return tuple(
            [i for i, s in enumerate(specs) if s.late == late and bool(s.emits) == emits]
            for late, emits in ((False, False), (False, True), (True, False), (True, True))
        )

    def descendants(self, ids: set[str]) -> list[int]:
        """Positions of ``ids`` and of every later step reading what they fill, in plan order."""
        redo = {self.index[i] for i in ids}
        filled = {o for i in redo for o in self.steps[i].spec.outputs}
        for pos, s in enumerate(self.steps):
            if pos not in redo and self.reads[pos] & filled and not s.spec.emits:
                redo.add(pos)
                filled |= set(s.spec.outputs)
        return sorted(redo)


def span(where: Where | None, source_for) -> Span:
    if where is None:
        return NO_SPAN
    src = source_for(where.path) or SourceFile(where.path, "")
    return Span(src, where.line, where.column, where.end_line, where.end_column)


def build_table(t: TablePlan, env: BuildEnv) -> TableRun:
    steps: list[Step] = []
    reads: list[set[str]] = []
    # A step reading another table's row (``courses.min_age``) reads the reference that picks the row
    # (``course_id``): redrawing the reference recomputes it.
    via = {c.ref[0]: c.name for c in t.columns if c.ref is not None and c.ref[0] != t.parent}
    for s in t.steps:
        steps.append(_build_step(s, env))
        # an aggregate input is this table's value ``sum(t1.c0)``, or, for the step computing it,
        # the child's column ``c0``: only the first is read from this block (a child column must not
        # be taken for this table's column of the same name)
        read = {i.name for i in s.inputs if i.kind == "column"}
        read |= {i.name for i in s.inputs if i.kind == "aggregate" and aggregate.parse_key(i.name)}
        read |= {via[i.table] for i in s.inputs if i.kind == "related" and i.table in via}
        reads.append(read)
    rules = []
    for r in t.rules:
        compiled = None
        if r.kind == "row" and r.expr is not None:
            try:
                compiled = env.compile(t.name, r.expr)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                raise SynthError(
                    f"the plan's rule '{r.name}' of table '{t.name}' cannot be built: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        rules.append(RuleRun(r, compiled, span(r.at, env.source_for)))
    columns = {c.name: c for c in t.columns}
    run = TableRun(
        plan=t,
        steps=steps,
        columns=columns,
        dtypes={c.name: c.dtype.dtype() for c in t.columns},
        rules=rules,
        reads=reads,
        index={s.id: i for i, s in enumerate(t.steps)},
        spans={c.name: span(c.at, env.source_for) for c in t.columns},
    )
    return run


def _build_step(s: StepSpec, env: BuildEnv) -> Step:
    kind = kind_of(s.kind)
    try:
        return kind.build(s, env)
    except SynthError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        # only a plan edited by hand (or from another version) gets here: say which step
        raise SynthError(
            f"the plan's step '{s.id}' (kind '{s.kind}') cannot be built: "
            f"{type(exc).__name__}: {exc}"
        ) from None
