"""Vectorize: expression AST -> typed numpy closures.

Input: an ``ast.Expr`` and a ``Scope`` (the columns, related tables and datasets it may name). Output: a
``Compiled`` value whose ``fn(ctx)`` computes the expression for a whole block of rows at once, plus what
the checker and planner need: the result type, the columns it reads, whether it draws randomness, its
constant value when it has one, and, when the expression *is* a single distribution or categorical draw,
the pieces the planner needs to draw it truncated or conditioned (rule enforcement by construction).

Typing and compiling are one pass so the checker and the executor can never disagree about what an
expression means. Nothing here calls ``eval``/``exec``: closures are composed from numpy operations.
Nulls follow SQL's three-valued logic: arithmetic and comparisons with a null give null, ``or``/``and``
are Kleene, and a rule holds only where its value is true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthdsl.errors import Diagnostic
from synthdsl.syntax import ast
from synthdsl.values import Values

# Expression types (strings keep messages readable): int float bool text date datetime duration null any
NUMERIC = ("int", "float")
ORDERED = ("int", "float", "text", "date", "datetime", "duration")
_NO_CONST = object()


@dataclass(slots=True)
class Ctx:
    """What a closure sees: ``n`` rows, their columns so far, related tables' columns aligned to them."""

    n: int
    cols: dict[str, Values]
    rows: np.ndarray
    key: list[int]
    related: dict[str, tuple[dict[str, Values], np.ndarray]] = field(default_factory=dict)
    _rng: np.random.Generator | None = None
    _aligned: dict[tuple[str, str], Values] = field(default_factory=dict)

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.key)))
        return self._rng

    def related_col(self, table: str, column: str) -> Values:
        hit = self._aligned.get((table, column))
        if hit is None:
            cols, idx = self.related[table]
            hit = cols[column].take(idx)
            self._aligned[(table, column)] = hit
        return hit


Fn = Callable[[Ctx], Values]


@dataclass(slots=True)
class DistDraw:
    """The expression is exactly ``dist(params...)``: the planner may truncate it."""

    dist: Any  # distributions.Distribution
    params: dict[str, Compiled]
    dates: bool = False  # uniform over dates: params are day numbers


@dataclass(slots=True)
class CatDraw:
    """The expression is exactly an inline ``categorical``: the planner may zero forbidden labels."""

    labels: np.ndarray
    weights: np.ndarray


@dataclass(slots=True)
class Compiled:
    fn: Fn
    type: str
    deps: frozenset[str] = frozenset()
    related: frozenset[tuple[str, str]] = frozenset()
    random: bool = False
    const: Any = _NO_CONST
    dist: DistDraw | None = None
    cat: CatDraw | None = None
    provider: Any = None  # providers.Provider when the expression is one provider call
    serial: bool = False

    @property
    def is_const(self) -> bool:
        return self.const is not _NO_CONST


@dataclass
class DatasetInfo:
    """A dataset the spec reads; ``frame`` is loaded by the checker (small lookup or training tables)."""

    name: str
    path: str
    columns: dict[str, str]  # column -> expression type
    frame: Any  # pandas.DataFrame


@dataclass
class Scope:
    table: str
    columns: dict[str, str]  # own columns -> expression type
    related: dict[str, dict[str, str]]  # parent / referenced tables -> their column types
    datasets: dict[str, DatasetInfo]
    locale: str
    diags: list[Diagnostic]
    column_name: str = ""
    draw_counter: list[int] = field(default_factory=lambda: [0])
    broken: set[str] = field(default_factory=set)  # datasets that failed to load (reported)
    children: dict[str, dict[str, str]] = field(default_factory=dict)  # child tables -> col types

    def error(self, code: str, message: str, node: ast.Node, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, node.span, hint))


# ------------------------------------------------------------------ helpers
def const_values(value: Any, typ: str) -> Fn:
    """A closure returning ``value`` broadcast to the block (null when value is None)."""
    if value is None:

        def null_fn(ctx: Ctx) -> Values:
            return Values(np.zeros(ctx.n, dtype=np.float64), np.ones(ctx.n, dtype=bool))

        return null_fn
    if typ == "text":

        def text_fn(ctx: Ctx) -> Values:
            arr = np.empty(ctx.n, dtype=object)
            arr[:] = value
            return Values(arr)

        return text_fn
    scalar = np.asarray(value)

    def fn(ctx: Ctx) -> Values:
        return Values(np.full(ctx.n, scalar, dtype=scalar.dtype))

    return fn


def merge_null(*vals: Values) -> np.ndarray | None:
    masks = [v.null for v in vals if v.null is not None]
    if not masks:
        return None
    out = masks[0].copy()
    for m in masks[1:]:
        out |= m
    return out


def numeric_type(a: str, b: str) -> str:
    return "int" if a == "int" and b == "int" else "float"


def unify(a: str, b: str) -> str | None:
    """The common type of two branches (if/coalesce), or None when they do not mix."""
    if a == b:
        return a
    if "null" in (a, b):
        return b if a == "null" else a
    if "any" in (a, b):
        return "any"
    if a in NUMERIC and b in NUMERIC:
        return "float"
    if {a, b} == {"date", "datetime"}:
        return "datetime"
    return None


def as_type(v: Values, typ: str) -> Values:
    """Cast a branch to the unified type (int -> float, date -> datetime)."""
    if typ == "float" and v.data.dtype.kind in "iub":
        return Values(v.data.astype(np.float64), v.null)
    if typ == "datetime" and v.data.dtype == np.dtype("datetime64[D]"):
        return Values(v.data.astype("datetime64[us]"), v.null)
    if typ == "text" and v.data.dtype != object:
        return Values(v.data.astype(object), v.null)
    return v


def fill_for(typ: str, n: int) -> np.ndarray:
    """Placeholder data for null rows (data arrays never hold None)."""
    if typ == "text":
        arr = np.empty(n, dtype=object)
        arr[:] = ""
        return arr
    if typ == "date":
        return np.zeros(n, dtype="datetime64[D]")
    if typ == "datetime":
        return np.zeros(n, dtype="datetime64[us]")
    if typ == "duration":
        return np.zeros(n, dtype="timedelta64[D]")
    if typ == "bool":
        return np.zeros(n, dtype=bool)
    if typ == "int":
        return np.zeros(n, dtype=np.int64)
    return np.zeros(n, dtype=np.float64)


def truth(v: Values) -> np.ndarray:
    """Rows where a boolean value is true and not null (how rules and conditions read a value)."""
    data = v.data.astype(bool, copy=False)
    if v.null is None:
        return data
    return data & ~v.null


# ------------------------------------------------------------------ the compiler
class Compiler:
    """Compiles expressions in one ``Scope``; records diagnostics there and keeps going."""

    def __init__(self, scope: Scope):
        self.scope = scope

    def compile(self, node: ast.Expr) -> Compiled:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - every node type has a visitor
            self.scope.error("E300", f"unsupported expression {type(node).__name__}", node)
            return self.bad()
        return method(node)

    def bad(self) -> Compiled:
        return Compiled(const_values(None, "any"), "any")

    # ---- literals and names
    def visit_Number(self, node: ast.Number) -> Compiled:
        typ = "int" if isinstance(node.value, int) else "float"
        if typ == "int" and not -(2**63) <= node.value < 2**63:
            self.scope.error("E305", f"integer {node.value} does not fit in 64 bits", node)
            return self.bad()
        if typ == "float" and not np.isfinite(node.value):
            self.scope.error("E305", "number is too large for a float", node)
            return self.bad()
        return Compiled(const_values(node.value, typ), typ, const=node.value)

    def visit_String(self, node: ast.String) -> Compiled:
        return Compiled(const_values(node.value, "text"), "text", const=node.value)

    def visit_Bool(self, node: ast.Bool) -> Compiled:
        return Compiled(const_values(node.value, "bool"), "bool", const=node.value)

    def visit_Null(self, node: ast.Null) -> Compiled:
        return Compiled(const_values(None, "null"), "null", const=None)

    def visit_Name(self, node: ast.Name) -> Compiled:
        name = node.name
        cols = self.scope.columns
        if name in cols:
            if name == self.scope.column_name:
                self.scope.error("E210", f"column '{name}' refers to itself", node)
                return self.bad()

            def fn(ctx: Ctx) -> Values:
                return ctx.cols[name]

            return Compiled(fn, cols[name], deps=frozenset({name}))
        from synthdsl.errors import did_you_mean

        where = f"table '{self.scope.table}'" if self.scope.table else "this scope"
        if name in self.scope.related or name in self.scope.datasets:
            self.scope.error(
                "E201",
                f"'{name}' is a table or dataset, not a column; name one of its columns",
                node,
                f"write {name}.COLUMN",
            )
            return self.bad()
        self.scope.error(
            "E200", f"unknown column '{name}' in {where}", node, did_you_mean(name, cols)
        )
        return self.bad()

    def visit_Attr(self, node: ast.Attr) -> Compiled:
        from synthdsl.errors import did_you_mean

        if not isinstance(node.obj, ast.Name):
            self.scope.error("E202", "expected TABLE.COLUMN", node)
            return self.bad()
        table, column = node.obj.name, node.name
        if table in self.scope.related:
            cols = self.scope.related[table]
            if column not in cols:
                self.scope.error(
                    "E203",
                    f"table '{table}' has no column '{column}'",
                    node,
                    did_you_mean(column, cols),
                )
                return self.bad()

            def fn(ctx: Ctx) -> Values:
                return ctx.related_col(table, column)

            return Compiled(fn, cols[column], related=frozenset({(table, column)}))
        if table in self.scope.broken:
            return self.bad()  # the dataset's own error is reported already
        if table in self.scope.datasets:
            self.scope.error(
                "E204",
                f"dataset column '{table}.{column}' can only be used inside categorical(), "
                "empirical() or lookup()",
                node,
            )
            return self.bad()
        if table in ("faker", "mimesis"):
            self.scope.error("E205", f"'{table}.{column}' is a provider: call it with ()", node)
            return self.bad()
        if table == self.scope.table:
            self.scope.error(
                "E207", f"write '{column}' without '{table}.': it is a column of this table", node
            )
            return self.bad()
        hint = did_you_mean(table, [*self.scope.related, *self.scope.datasets])
        if not hint:
            hint = (
                f"to read another table's columns, declare `ref {table}.KEY` "
                f"or `rows per {table} ~ ...` in '{self.scope.table}'"
            )
        self.scope.error("E206", f"unknown table or dataset '{table}'", node.obj, hint)
        return self.bad()

    def visit_ListExpr(self, node: ast.ListExpr) -> Compiled:
        self.scope.error("E301", "a list can only follow 'in'", node)
        return self.bad()

    # ---- operators
    def visit_Unary(self, node: ast.Unary) -> Compiled:
        from synthdsl.expr import ops as _ops

        return _ops.unary(self, node)

    def visit_Binary(self, node: ast.Binary) -> Compiled:
        from synthdsl.expr import ops as _ops

        return _ops.binary(self, node)

    def visit_In(self, node: ast.In) -> Compiled:
        from synthdsl.expr import ops as _ops

        return _ops.in_(self, node)

    def visit_Between(self, node: ast.Between) -> Compiled:
        lowered = ast.Binary(
            "and",
            ast.Binary(">=", node.operand, node.low, span=node.span),
            ast.Binary("<=", node.operand, node.high, span=node.span),
            span=node.span,
        )
        return self.compile(lowered)

    def visit_IsNull(self, node: ast.IsNull) -> Compiled:
        inner = self.compile(node.operand)
        neg = node.negated

        def fn(ctx: Ctx) -> Values:
            v = inner.fn(ctx)
            mask = v.is_null()
            return Values(~mask if neg else mask.copy())

        return Compiled(fn, "bool", inner.deps, inner.related, inner.random)

    def visit_Determines(self, node: ast.Determines) -> Compiled:
        self.scope.error(
            "E302", "'determines' is a rule of its own: write `rule NAME: a determines b`", node
        )
        return self.bad()

    def visit_If(self, node: ast.If) -> Compiled:
        cond, a, b = self.compile(node.cond), self.compile(node.then), self.compile(node.else_)
        if cond.type not in ("bool", "any", "null"):
            self.scope.error("E303", f"'if' needs a bool condition, found {cond.type}", node.cond)
        typ = unify(a.type, b.type)
        if typ is None:
            self.scope.error("E304", f"'then' gives {a.type} but 'else' gives {b.type}", node, None)
            return self.bad()

        def fn(ctx: Ctx) -> Values:
            c = truth(cond.fn(ctx))
            va, vb = as_type(a.fn(ctx), typ), as_type(b.fn(ctx), typ)
            if va.data.dtype != vb.data.dtype and typ not in ("null", "any"):
                vb = Values(vb.data.astype(va.data.dtype), vb.null)
            data = np.where(c, va.data, vb.data)
            null = None
            if va.null is not None or vb.null is not None:
                null = np.where(c, va.is_null(), vb.is_null())
            return Values(data, null)

        return Compiled(
            fn,
            typ,
            cond.deps | a.deps | b.deps,
            cond.related | a.related | b.related,
            cond.random or a.random or b.random,
        )

    def visit_Call(self, node: ast.Call) -> Compiled:
        from synthdsl.expr import functions

        return functions.compile_call(self, node)
