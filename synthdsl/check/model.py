"""The checked spec's data: tables, columns and rules with their types and compiled expressions.

Input: nothing (plain dataclasses). Output: what the checker fills and the planner reads. Kept apart
from the checker so that the checker's passes (``checker``, ``rules``, ``aggregates``) and the planner
import these types without importing each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from synthdsl.check.intervals import Interval
from synthdsl.dtypes import DType
from synthdsl.errors import Diagnostic, did_you_mean
from synthdsl.expr import clock
from synthdsl.expr.context import Compiled, DatasetInfo
from synthdsl.syntax import ast

TYPE_NAMES = ("int", "float", "decimal", "bool", "text", "date", "datetime", "enum")
COUNT_DISTRIBUTIONS = ("poisson", "binomial", "geometric", "zipf", "uniform", "categorical")
DEFAULT_LOCALE = "en_US"
DEFAULT_SEED = 0
DEFAULT_TODAY = clock.DEFAULT_TODAY


@dataclass
class ColumnInfo:
    name: str
    dtype: DType
    node: ast.Column
    kind: str  # serial | draw | compute | aggregate | provider | lookup | ref | default
    compiled: Compiled | None = None
    ref: tuple[str, str] | None = None
    clamp: tuple[float, float] | None = None
    providers: tuple = ()  # the providers.Provider objects its expression calls (for the plan)

    @property
    def deps(self) -> frozenset[str]:
        return self.compiled.deps if self.compiled else frozenset()

    @property
    def random(self) -> bool:
        return (
            bool(self.compiled and self.compiled.random)
            or self.kind in ("ref", "default")
            or bool(self.node.nulls)
        )


@dataclass
class RuleInfo:
    name: str
    node: ast.Rule
    kind: str  # row | unique | determines
    columns: tuple[str, ...]
    compiled: Compiled | None = None


@dataclass
class TableInfo:
    name: str
    node: ast.Table
    rows: int | None = None
    parent: str | None = None
    count: Compiled | None = None
    count_clamp: tuple[int, int] | None = None  # ``rows per p ~ ... clamp(lo, hi)``
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    rules: list[RuleInfo] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # columns, dependencies first
    # aggregate key (``sum(lines.amount)``) -> (function, child table, child column or None)
    aggregates: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    late: set[str] = field(default_factory=set)  # columns computed after aggregated child rows
    late_by_rule: dict[str, str] = field(default_factory=dict)  # late only to be redrawn by a rule
    models: dict[str, str] = field(default_factory=dict)  # column -> the model that draws it
    fed_by: str | None = None  # the simulated table whose simulation makes this table's rows

    @property
    def aggregated(self) -> set[str]:
        """Child tables whose rows this table aggregates (generated before its late columns)."""
        return {child for _, child, _ in self.aggregates.values()}

    def is_late(self, deps: frozenset[str] | set[str]) -> bool:
        """Whether an expression reading ``deps`` must wait for the aggregated child rows."""
        return any(d in self.late or d in self.aggregates for d in deps)

    bounds: dict[str, Interval] = field(default_factory=dict)  # column -> rules' interval

    @property
    def key(self) -> ColumnInfo | None:
        return next((c for c in self.columns.values() if c.node.key), None)

    def ancestors(self, col: str, extra: dict[str, set[str]] | None = None) -> set[str]:
        """The columns ``col`` is computed from, directly or not (``extra``: dependencies the
        planner adds, a draw conditioned on another column)."""
        seen: set[str] = set()
        stack = [col]
        while stack:
            c = stack.pop()
            deps = set(self.columns[c].deps) | (extra or {}).get(c, set())
            for d in deps:
                if d not in seen and d in self.columns:
                    seen.add(d)
                    stack.append(d)
        return seen

    def random_ancestors(self, cols, extra: dict[str, set[str]] | None = None) -> set[str]:
        """The random columns among ``cols`` and what they are computed from: what a failing row
        of a rule over ``cols`` redraws. The reference to the parent is never redrawn."""
        out: set[str] = set()
        for c in cols:
            if c not in self.columns:
                continue
            for a in {c} | self.ancestors(c, extra):
                info = self.columns[a]
                if info.random and not (
                    info.kind == "ref" and info.ref and info.ref[0] == self.parent
                ):
                    out.add(a)
        return out

    @property
    def refs(self) -> dict[str, ColumnInfo]:
        """Referenced table -> the column holding the reference."""
        return {c.ref[0]: c for c in self.columns.values() if c.ref}


@dataclass
class CheckedSpec:
    path: str
    sources: dict[str, str]
    seed: int
    locale: str
    datasets: dict[str, DatasetInfo]
    tables: dict[str, TableInfo]  # parents and referenced tables first
    today: str = DEFAULT_TODAY  # the providers' reference date, YYYY-MM-DD
    models: dict = field(default_factory=dict)  # name -> check.models.ModelInfo (drawn ones)
    budgets: list = field(default_factory=list)  # ast.Budget lines
    simulations: dict = field(default_factory=dict)  # table -> check.simulate.SimInfo

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.sources):
            h.update(Path(path).name.encode("utf-8", "surrogatepass") + b"\0")
            h.update(self.sources[path].encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()


def parse_type(ref: ast.TypeRef, diags: list[Diagnostic]) -> DType | None:
    name = ref.name
    if name not in TYPE_NAMES:
        diags.append(
            Diagnostic("E101", f"unknown type '{name}'", ref.span, did_you_mean(name, TYPE_NAMES))
        )
        return None
    if name == "decimal":
        a = ref.args
        if len(a) != 2 or not all(isinstance(x, int) for x in a) or not (0 <= a[1] <= a[0] <= 38):
            diags.append(
                Diagnostic(
                    "E102",
                    "decimal needs precision and scale: decimal(p, s) with 0 <= s <= p <= 38",
                    ref.span,
                )
            )
            return None
        return DType("decimal", ref.nullable, a[0], a[1])
    if name == "enum":
        vals = ref.args
        if not vals or not all(isinstance(v, str) for v in vals):
            diags.append(
                Diagnostic("E103", 'enum needs one or more string values: enum("a", "b")', ref.span)
            )
            return None
        if len(set(vals)) != len(vals):
            diags.append(Diagnostic("E104", "enum values must be distinct", ref.span))
        return DType("enum", ref.nullable, values=tuple(vals))
    if ref.args:
        diags.append(Diagnostic("E105", f"type '{name}' takes no arguments", ref.span))
    return DType(name, ref.nullable)  # type: ignore[arg-type]


def assignable(dtype: DType, typ: str) -> bool:
    """Whether a value of expression type ``typ`` may fill a column of ``dtype``."""
    if typ in ("any",):
        return True
    if typ == "null":
        return dtype.nullable
    k = dtype.kind
    if k in ("int", "float", "decimal"):
        return typ in ("int", "float")
    if k in ("text", "enum"):
        return typ == "text"
    if k == "datetime":
        return typ in ("date", "datetime")
    return typ == k


def expr_type(dtype: DType) -> str:
    return {"decimal": "float", "enum": "text"}.get(dtype.kind, dtype.kind)


def toposort(graph: dict[str, list[str]]) -> tuple[list[str], list[str] | None]:
    """Depth-first order, dependencies first, stable by declaration; returns a cycle if one exists."""
    order: list[str] = []
    state: dict[str, int] = {}
    stack: list[str] = []
    cycle: list[str] | None = None

    def visit(node: str) -> None:
        nonlocal cycle
        if cycle is not None:
            return
        st = state.get(node, 0)
        if st == 2:
            return
        if st == 1:
            cycle = stack[stack.index(node) :]
            return
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            visit(dep)
        stack.pop()
        state[node] = 2
        order.append(node)

    for node in graph:
        visit(node)
    return order, cycle
