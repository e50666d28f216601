"""Rules -> intervals, forbidden category pairs, and contradictions.

Input: rule expressions of one table and a way to evaluate constant sub-expressions. Output: what the
planner can enforce by construction (a bound on one column becomes a truncated draw; a forbidden
combination of two categorical columns becomes a zeroed conditional weight) and the diagnostics for rules
that no row can satisfy on their face (``x > 5`` with ``x < 3``). Bounds from every rule's top-level
conjuncts are intersected per column, in the spirit of Hypothesis's filter rewriting and sqlglot's
simplifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthdsl.syntax import ast

ConstOf = Callable[[ast.Expr], Any]  # returns the constant value, or raises LookupError

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass
class Interval:
    """``low (<|<=) x (<|<=) high``; ``None`` is unbounded. Values are floats (dates as day numbers)."""

    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    rules: list[str] = field(default_factory=list)

    def intersect(self, other: Interval) -> Interval:
        out = Interval(self.low, self.high, self.low_inclusive, self.high_inclusive, [*self.rules])
        if other.low is not None and (
            out.low is None
            or other.low > out.low
            or (other.low == out.low and not other.low_inclusive)
        ):
            out.low, out.low_inclusive = other.low, other.low_inclusive
        if other.high is not None and (
            out.high is None
            or other.high < out.high
            or (other.high == out.high and not other.high_inclusive)
        ):
            out.high, out.high_inclusive = other.high, other.high_inclusive
        out.rules += [r for r in other.rules if r not in out.rules]
        return out

    @property
    def empty(self) -> bool:
        if self.low is None or self.high is None:
            return False
        if self.low > self.high:
            return True
        return self.low == self.high and not (self.low_inclusive and self.high_inclusive)

    def describe(self) -> str:
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{'[' if self.low_inclusive and self.low is not None else '('}{lo}, {hi}{']' if self.high_inclusive and self.high is not None else ')'}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def conjuncts(expr: ast.Expr) -> list[ast.Expr]:
    """Split top-level ``and`` (and ``between``) into parts that must each hold."""
    if isinstance(expr, ast.Binary) and expr.op == "and":
        return conjuncts(expr.left) + conjuncts(expr.right)
    if isinstance(expr, ast.Between):
        return [
            ast.Binary(">=", expr.operand, expr.low, span=expr.span),
            ast.Binary("<=", expr.operand, expr.high, span=expr.span),
        ]
    return [expr]


def null_guard(expr: ast.Expr) -> tuple[str, ast.Expr] | None:
    """``col is null or X`` -> (col, X): X only has to hold where col is not null."""
    if isinstance(expr, ast.Binary) and expr.op == "or":
        for a, b in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(a, ast.IsNull) and not a.negated and isinstance(a.operand, ast.Name):
                return a.operand.name, b
    return None


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, np.datetime64):
        unit = np.datetime_data(value.dtype)[0]
        return float(
            value.astype("datetime64[D]" if unit == "D" else "datetime64[us]").astype(np.int64)
        )
    return None


def bound(expr: ast.Expr, const_of: ConstOf, rule: str) -> tuple[str, Interval] | None:
    """``col OP const`` (either side) -> (col, interval); None when the shape does not fit."""
    if not (isinstance(expr, ast.Binary) and expr.op in ("<", "<=", ">", ">=", "==")):
        return None
    op, left, right = expr.op, expr.left, expr.right
    if not isinstance(left, ast.Name):
        if not isinstance(right, ast.Name):
            return None
        left, right, op = right, left, _FLIP[op]
    try:
        value = _numeric(const_of(right))
    except LookupError:
        return None
    if value is None:
        return None
    iv = Interval(rules=[rule])
    if op in ("<", "<="):
        iv.high, iv.high_inclusive = value, op == "<="
    elif op in (">", ">="):
        iv.low, iv.low_inclusive = value, op == ">="
    else:
        iv.low = iv.high = value
    return left.name, iv


def column_order(expr: ast.Expr) -> tuple[str, str, str] | None:
    """``a OP b`` between two columns -> (a, op, b); used for conditional draws.

    ``a OP a`` is not an ordering of two columns (a draw cannot be bounded by itself): None.
    """
    if (
        isinstance(expr, ast.Binary)
        and expr.op in ("<", "<=", ">", ">=")
        and isinstance(expr.left, ast.Name)
        and isinstance(expr.right, ast.Name)
        and expr.left.name != expr.right.name
    ):
        return expr.left.name, expr.op, expr.right.name
    return None


def _membership(expr: ast.Expr, domains: dict[str, set], const_of: ConstOf, negate: bool = False):
    """An atom over one categorical column -> (column, allowed label set)."""
    if isinstance(expr, ast.Unary) and expr.op == "not":
        return _membership(expr.operand, domains, const_of, not negate)
    col = values = None
    if isinstance(expr, ast.Binary) and expr.op in ("==", "!="):
        a, b = expr.left, expr.right
        if not isinstance(a, ast.Name):
            a, b = b, a
        if isinstance(a, ast.Name) and a.name in domains:
            try:
                v = const_of(b)
            except LookupError:
                return None
            col, values = a.name, {v}
            negate = negate ^ (expr.op == "!=")
    elif (
        isinstance(expr, ast.In)
        and isinstance(expr.operand, ast.Name)
        and expr.operand.name in domains
        and isinstance(expr.container, ast.ListExpr)
    ):
        try:
            vals = {const_of(i) for i in expr.container.items}
        except LookupError:
            return None
        col, values = expr.operand.name, vals
        negate = negate ^ expr.negated
    if col is None:
        return None
    domain = domains[col]
    return col, (domain - values) if negate else (domain & values)


def forbidden_pair(
    expr: ast.Expr, domains: dict[str, set], const_of: ConstOf
) -> tuple[str, set, str, set] | None:
    """Shapes ``not (A and B)``, ``A implies B``, ``not A or not B`` over two categorical columns ->
    (col_a, labels_a, col_b, labels_b): rows with a in labels_a and b in labels_b are forbidden."""
    pair = None
    if isinstance(expr, ast.Unary) and expr.op == "not":
        inner = expr.operand
        if isinstance(inner, ast.Binary) and inner.op == "and":
            pair = (
                _membership(inner.left, domains, const_of),
                _membership(inner.right, domains, const_of),
            )
    elif isinstance(expr, ast.Binary) and expr.op == "implies":
        pair = (
            _membership(expr.left, domains, const_of),
            _membership(expr.right, domains, const_of, negate=True),
        )
    elif isinstance(expr, ast.Binary) and expr.op == "or":
        pair = (
            _membership(expr.left, domains, const_of, negate=True),
            _membership(expr.right, domains, const_of, negate=True),
        )
    if not pair or pair[0] is None or pair[1] is None or pair[0][0] == pair[1][0]:
        return None
    (ca, sa), (cb, sb) = pair
    return ca, sa, cb, sb


def names_in(expr: ast.Expr) -> set[str]:
    """Own-table column names an expression mentions (parent columns are ``Attr`` and excluded)."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ast.Name):
            out.add(node.name)
            return
        if isinstance(node, ast.Attr):
            return
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Attr | ast.Name):
                walk(node.func)
            for a in node.args:
                walk(a)
            for k in node.kwargs:
                walk(k.value)
            for p in node.pairs:
                walk(p.key)
                walk(p.value)
            for ar in node.arrows:
                out.add(ar.column)
            return
        if isinstance(node, ast.Node):
            for name in node.__dataclass_fields__:
                if name == "span":
                    continue
                walk(getattr(node, name))
        elif isinstance(node, tuple):
            for item in node:
                walk(item)

    walk(expr)
    return out
