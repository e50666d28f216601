"""Enforce: per rule, construction or rejection (the planner's analysis of a checked table).

Input: a checked table. Output: an ``Enforcement``: truncation bounds per drawn column, forbidden label
combinations per categorical, which rules hold by construction, and per rule the random columns a
failing row must redraw. ``plan.build`` turns it into step parameters and rule specs; nothing here runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthdsl.check.intervals import (
    Interval,
    bound,
    column_order,
    conjuncts,
    forbidden_pair,
    null_guard,
)
from synthdsl.check.model import CheckedSpec, ColumnInfo, TableInfo, toposort
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Scope
from synthdsl.syntax import ast


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


def _redraw_set(
    t: TableInfo,
    cols: tuple[str, ...],
    extra: dict[str, set[str]],
    related: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[str, ...]:
    """The random columns a failing row must redraw: the rule's columns, their random ancestors and
    the references through which they read another table's row (``courses.min_age`` read through
    ``course_id``): a row whose referenced row breaks the rule gets another referenced row. The parent
    is never redrawn: a child row belongs to its parent."""
    out = t.random_ancestors(cols, extra)
    tables = {table for table, _ in related}
    for c in cols:
        for a in {c} | t.ancestors(c, extra):
            info = t.columns[a]
            if info.compiled is not None:
                tables |= {table for table, _ in info.compiled.related}
    refs = t.refs
    for table in tables - {t.parent}:
        if table in refs:
            out.add(refs[table].name)
    return tuple(sorted(out))


def _const_of(spec: CheckedSpec, t: TableInfo):
    def const_of(e: ast.Expr):
        quiet: list = []
        c = Compiler(
            Scope(t.name, {}, {}, spec.datasets, spec.locale, quiet, today=spec.today)
        ).compile(e)
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
        if info.node.clamp or info.node.round is not None:
            continue  # clamping or rounding can merge distinct values: checked, not by construction
        if ((info.node.unique or info.node.key) and info.kind == "serial") or (
            (
                (info.node.unique or info.node.key)
                and prov is not None
                and not isinstance(prov, tuple)
                # a keyed permutation needs the table's row count before it runs: a table whose
                # rows a simulation makes is counted as it goes, so its uniqueness is checked
                and t.fed_by is None
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
        related = r.compiled.related if r.compiled is not None else frozenset()
        redraw = _redraw_set(t, r.columns, extra, related)
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
        order, cycle = toposort(graph)
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
            if target in t.ancestors(other, extra) or (guard and guard[0] not in (a, b_col)):
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
        if cb in t.ancestors(ca, extra):  # conditioning cb on ca would close a cycle
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
