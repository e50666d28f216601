"""Plan: a ``CheckedSpec`` -> an ordered DAG of steps, with how every rule is enforced.

Input: the checked spec. Output: a ``Plan`` (pydantic, printable with ``to_text`` and serializable with
``model_dump_json``) and, beside it, the executable enforcement the executor follows (``Enforcement``).
The plan is data: it names steps by ``table.column`` (never ``id()``), lists each step's inputs, and says
per rule whether it holds by construction (a truncated draw, a conditional draw, a conditional
categorical, a lookup) or by rejection of only the failing rows and only the columns the rule depends on.
A worker process rebuilds the executable plan from the spec sources the plan carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from synthdsl.check.intervals import (
    Interval,
    bound,
    column_order,
    conjuncts,
    forbidden_pair,
    null_guard,
)
from synthdsl.check.model import CheckedSpec, ColumnInfo, TableInfo
from synthdsl.check.model import toposort as _toposort
from synthdsl.execute.streams import BLOCK_ROWS
from synthdsl.expr import aggregate
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Scope
from synthdsl.syntax import ast


class StepPlan(BaseModel):
    id: str
    kind: str
    inputs: list[str]
    detail: str


class RulePlan(BaseModel):
    name: str
    kind: str
    columns: list[str]
    enforcement: str
    redraw: list[str]


class TablePlan(BaseModel):
    name: str
    rows: int | None
    parent: str | None
    rows_per: str | None
    sequential: bool
    steps: list[StepPlan]
    rules: list[RulePlan]


class Plan(BaseModel):
    spec_sha256: str
    seed: int
    locale: str
    block_rows: int
    tables: list[TablePlan]

    def to_text(self) -> str:
        """A readable listing: tables in order, steps in order, then how each rule is enforced."""
        out = [f"plan  seed={self.seed}  locale={self.locale}  block={self.block_rows} rows"]
        for t in self.tables:
            size = f"{t.rows} rows" if t.rows is not None else f"rows per {t.parent} ~ {t.rows_per}"
            mode = "  [sequential: table-wide rule]" if t.sequential else ""
            out.append(f"table {t.name}  ({size}){mode}")
            for i, s in enumerate(t.steps, 1):
                inputs = f"  <- {', '.join(s.inputs)}" if s.inputs else ""
                out.append(f"  {i:>2}. {s.kind:<8} {s.id}: {s.detail}{inputs}")
            for r in t.rules:
                redraw = f"  (redraws {', '.join(r.redraw)})" if r.redraw else ""
                out.append(f"  rule {r.name} [{', '.join(r.columns)}]: {r.enforcement}{redraw}")
        return "\n".join(out)


# ------------------------------------------------------------------ executable enforcement
@dataclass
class Truncation:
    """Bounds for one drawn column: constants or, for an ordering rule, another column."""

    low: float | str | None = None
    high: float | str | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    rules: list[str] = field(default_factory=list)


@dataclass
class Forbid:
    """Rows with ``given`` in ``given_labels`` never draw a label in ``labels``."""

    given: str
    given_labels: set
    labels: set
    rule: str


@dataclass
class RuleExec:
    name: str
    kind: str  # row | unique | determines
    columns: tuple[str, ...]
    compiled: object | None
    redraw: tuple[str, ...]
    by_construction: str | None
    late: bool = False  # checked after the aggregated child rows (reads an aggregate)


@dataclass
class Enforcement:
    table: TableInfo
    order: list[str]
    truncate: dict[str, Truncation] = field(default_factory=dict)
    forbid: dict[str, list[Forbid]] = field(default_factory=dict)
    rules: list[RuleExec] = field(default_factory=list)
    unique_by_construction: set[str] = field(default_factory=set)

    @property
    def stateful(self) -> bool:
        return any(r.kind in ("unique", "determines") and not r.by_construction for r in self.rules)


def _ancestors(t: TableInfo, col: str, extra: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [col]
    while stack:
        c = stack.pop()
        deps = set(t.columns[c].deps) | extra.get(c, set())
        for d in deps:
            if d not in seen and d in t.columns:
                seen.add(d)
                stack.append(d)
    return seen


def _redraw_set(t: TableInfo, cols: tuple[str, ...], extra: dict[str, set[str]]) -> tuple[str, ...]:
    """The random columns a failing row must redraw: the rule's columns and their random ancestors."""
    out: set[str] = set()
    for c in cols:
        for a in {c} | _ancestors(t, c, extra):
            info = t.columns[a]
            if info.random and not (info.kind == "ref" and info.ref and info.ref[0] == t.parent):
                out.add(a)
    return tuple(sorted(out))


def _const_of(spec: CheckedSpec, t: TableInfo):
    def const_of(e: ast.Expr):
        quiet: list = []
        c = Compiler(Scope(t.name, {}, {}, spec.datasets, spec.locale, quiet)).compile(e)
        if not c.is_const or quiet:
            raise LookupError
        return c.const

    return const_of


def _plain_draw(info: ColumnInfo) -> bool:
    c = info.compiled
    return (
        info.kind == "draw"
        and c is not None
        and c.dist is not None
        and not c.dist.dates
        and info.node.round is None
    )


def enforce(spec: CheckedSpec, t: TableInfo) -> Enforcement:
    """Decide, per rule, construction or rejection; returns the executable enforcement."""
    enf = Enforcement(t, list(t.order))
    const_of = _const_of(spec, t)
    extra: dict[str, set[str]] = {}
    domains = {
        n: {str(x) if isinstance(x, str) else x for x in c.compiled.cat.labels}
        for n, c in t.columns.items()
        if c.compiled is not None and c.compiled.cat is not None and c.kind == "draw"
    }
    for info in t.columns.values():
        prov = info.compiled.provider if info.compiled is not None else None
        if ((info.node.unique or info.node.key) and info.kind == "serial") or (
            (
                (info.node.unique or info.node.key)
                and prov is not None
                and not isinstance(prov, tuple)
            )
            and getattr(prov, "capacity", None)
        ):
            enf.unique_by_construction.add(info.name)
    for r in t.rules:
        how: list[str] = []
        if r.kind == "row":
            for part in conjuncts(r.node.expr):
                how.append(_construct(enf, r.name, part, const_of, domains, extra) or "")
        done = all(how) and bool(how)
        by = "; ".join(dict.fromkeys(h for h in how if h)) if done else None
        if r.kind == "determines":
            left, right = r.columns[0], r.columns[-1]
            info = t.columns[right]
            prov = info.compiled.provider if info.compiled else None
            if isinstance(prov, tuple) and info.deps == {left}:
                by = f"lookup ({prov[1]} is a key)"
        if (
            r.kind == "unique"
            and len(r.columns) == 1
            and r.columns[0] in enf.unique_by_construction
        ):
            by = "unique by construction"
        late = t.is_late(set(r.columns) | set(r.compiled.deps if r.compiled else ()))
        redraw = _redraw_set(t, r.columns, extra)
        if late:  # earlier columns are fixed by then: the child rows have read them
            redraw = tuple(c for c in redraw if c in t.late)
        enf.rules.append(RuleExec(r.name, r.kind, r.columns, r.compiled, redraw, by, late))
    for info in t.columns.values():
        if (info.node.unique or info.node.key) and info.name not in enf.unique_by_construction:
            late = info.name in t.late
            redraw = _redraw_set(t, (info.name,), extra)
            if late:
                redraw = tuple(c for c in redraw if c in t.late)
            enf.rules.append(
                RuleExec(f"unique_{info.name}", "unique", (info.name,), None, redraw, None, late)
            )
    if extra:
        graph = {
            c: sorted((set(t.columns[c].deps) | extra.get(c, set())) & set(t.columns))
            for c in t.columns
        }
        order, cycle = _toposort(graph)
        if cycle is None:
            enf.order = order
    return enf


def _construct(enf: Enforcement, rule: str, part: ast.Expr, const_of, domains, extra) -> str | None:
    t = enf.table
    guard = null_guard(part)
    inner = guard[1] if guard else part
    b = bound(inner, const_of, rule)
    if b is not None:
        col, iv = b
        info = t.columns.get(col)
        if info is not None and _plain_draw(info) and (guard is None or guard[0] == col):
            tr = enf.truncate.setdefault(col, Truncation())
            merged = Interval(
                tr.low if not isinstance(tr.low, str) else None,
                tr.high if not isinstance(tr.high, str) else None,
                tr.low_inclusive,
                tr.high_inclusive,
            ).intersect(iv)
            if isinstance(tr.low, str) or isinstance(tr.high, str):
                return None
            tr.low, tr.high = merged.low, merged.high
            tr.low_inclusive, tr.high_inclusive = merged.low_inclusive, merged.high_inclusive
            tr.rules.append(rule)
            return f"truncated draw of {col} to {merged.describe()}"
    order = column_order(inner)
    if order is not None:
        a, op, b_col = order
        for target, other, flip in ((b_col, a, False), (a, b_col, True)):
            info = t.columns.get(target)
            if info is None or other not in t.columns or not _plain_draw(info):
                continue
            if info.compiled.dist.dist.kind != "continuous" or target in enf.truncate:
                continue
            if target in _ancestors(t, other, extra) or (guard and guard[0] not in (a, b_col)):
                continue
            if other in t.late and target not in t.late:  # target is drawn before other exists
                continue
            # a < b: constrain b from below by a, or a from above by b
            lower = (op in ("<", "<=")) != flip
            tr = Truncation(rules=[rule])
            if lower:
                tr.low, tr.low_inclusive = other, op.endswith("=")
            else:
                tr.high, tr.high_inclusive = other, op.endswith("=")
            enf.truncate[target] = tr
            extra.setdefault(target, set()).add(other)
            return f"conditional draw of {target} given {other}"
    fp = forbidden_pair(inner, domains, const_of) if guard is None else None
    if fp is not None:
        ca, sa, cb, sb = fp
        pos = {c: i for i, c in enumerate(t.order)}
        if pos[ca] > pos[cb]:
            ca, sa, cb, sb = cb, sb, ca, sa
        if cb in _ancestors(t, ca, extra):  # conditioning cb on ca would close a cycle
            return None
        if ca in t.late and cb not in t.late:  # cb is drawn before ca exists
            return None
        cat = t.columns[cb].compiled.cat
        forbidden = set(sb).union(*(f.labels for f in enf.forbid.get(cb, [])))
        if all(w <= 0 or label in forbidden for label, w in zip(cat.labels.tolist(), cat.weights)):
            return None  # some rows could take no label: rejection (which redraws ca too) copes
        enf.forbid.setdefault(cb, []).append(Forbid(ca, sa, sb, rule))
        extra.setdefault(cb, set()).add(ca)
        return f"conditional categorical: {cb} never {sorted(map(str, sb))} when {ca} in {sorted(map(str, sa))}"
    return None


def _step_detail(info: ColumnInfo, enf: Enforcement) -> str:
    node = info.node
    gen = node.gen
    if info.kind == "ref":
        return f"ref {info.ref[0]}.{info.ref[1]}"
    if info.kind == "default":
        return "uniform over enum values" if info.dtype.kind == "enum" else "bernoulli(0.5)"
    text = _source_text(gen)
    extras = []
    if info.kind == "aggregate":
        _, child, _ = aggregate.parse_key(next(iter(info.deps)))
        extras.append(f"over each row's {child} rows")
    tr = enf.truncate.get(info.name)
    if tr is not None:
        if isinstance(tr.low, str) or isinstance(tr.high, str):
            op_lo = ">=" if tr.low_inclusive else ">"
            op_hi = "<=" if tr.high_inclusive else "<"
            bound = f"{op_lo} {tr.low}" if isinstance(tr.low, str) else f"{op_hi} {tr.high}"
            extras.append(f"drawn {bound} per row")
        else:
            iv = Interval(tr.low, tr.high, tr.low_inclusive, tr.high_inclusive)
            extras.append(f"truncated to {iv.describe()}")
    for f in enf.forbid.get(info.name, []):
        extras.append(f"conditioned on {f.given}")
    if node.clamp:
        extras.append(f"clamp {_source_text(node.clamp[0])}..{_source_text(node.clamp[1])}")
    if node.round is not None:
        extras.append(f"round {node.round}")
    if node.nulls:
        extras.append(f"nulls {node.nulls * 100:g}%")
    if info.name in enf.unique_by_construction and info.kind == "provider":
        extras.append("unique by keyed permutation")
    return text + ("  [" + "; ".join(extras) + "]" if extras else "")


def _source_text(node) -> str:
    span = getattr(node, "span", None)
    if span is None or span.source is None or not span.line:
        return type(node).__name__
    lines = span.source.text.splitlines()
    if span.end_line == span.line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    return lines[span.line - 1][span.column - 1 :] + " ..."


def build(spec: CheckedSpec) -> tuple[Plan, dict[str, Enforcement]]:
    """The plan and, per table, its executable enforcement."""
    tables, enforcement = [], {}
    for name, t in spec.tables.items():
        enf = enforce(spec, t)
        enforcement[name] = enf
        steps = []
        early = [c for c in enf.order if c not in t.late]
        late = [c for c in enf.order if c in t.late]
        for col in early + late:
            if col == (late or [None])[0]:
                for child in sorted(t.aggregated):
                    steps.append(
                        StepPlan(
                            id=f"{child}.*",
                            kind="children",
                            inputs=[],
                            detail=f"the block's {child} rows (table {child} below), "
                            "before the aggregates that read them",
                        )
                    )
            info = t.columns[col]
            inputs = sorted(info.deps)
            if info.kind == "aggregate":
                _, child, column = aggregate.parse_key(inputs[0])
                inputs = [f"{child}.{column}" if column else f"{child}.*"]
            tr = enf.truncate.get(col)
            for bound_col in (tr.low, tr.high) if tr else ():
                if isinstance(bound_col, str) and bound_col not in inputs:
                    inputs.append(bound_col)
            for f in enf.forbid.get(col, []):
                if f.given not in inputs:
                    inputs.append(f.given)
            if info.compiled is not None:
                inputs += sorted(f"{a}.{b}" for a, b in info.compiled.related)
            steps.append(
                StepPlan(
                    id=f"{name}.{col}",
                    kind=info.kind,
                    inputs=inputs,
                    detail=_step_detail(info, enf),
                )
            )
        rules = []
        for r in enf.rules:
            if r.by_construction:
                how = f"by construction ({r.by_construction}); verified"
            elif r.kind == "unique":
                how = "table-wide uniqueness check; duplicates redrawn"
            elif r.kind == "determines":
                how = "table-wide functional dependency check; conflicting rows redrawn"
            elif r.redraw:
                how = "rejection of failing rows"
            else:
                how = "checked (nothing random to redraw)"
            if r.late:
                how += "; after the aggregates"
            rules.append(
                RulePlan(
                    name=r.name,
                    kind=r.kind,
                    columns=list(r.columns),
                    enforcement=how,
                    redraw=list(r.redraw) if not r.by_construction else [],
                )
            )
        rows_per = _source_text(t.node.rows.dist) if t.parent else None
        if rows_per is not None and t.count_clamp is not None:
            rows_per += " clamp({}, {})".format(*t.count_clamp)
        tables.append(
            TablePlan(
                name=name,
                rows=t.rows,
                parent=t.parent,
                rows_per=rows_per,
                sequential=enf.stateful,
                steps=steps,
                rules=rules,
            )
        )
    plan = Plan(
        spec_sha256=spec.sha256,
        seed=spec.seed,
        locale=spec.locale,
        block_rows=BLOCK_ROWS,
        tables=tables,
    )
    return plan, enforcement
