"""Rule checks for the checker: rule declarations, contradictions, decimal ranges.

Input: a ``TableInfo`` whose columns are compiled. Output: its ``rules`` and ``bounds`` filled in, and
any problems recorded through ``Checker.fail``. Kept apart from ``check.py`` only for size: these
methods form ``RuleChecks``, a mixin of ``check.Checker``, and run in the same pass.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from synthdsl.check.intervals import Interval, bound, conjuncts, names_in, null_guard
from synthdsl.errors import Diagnostic, did_you_mean
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Compiled, Scope
from synthdsl.source import Span
from synthdsl.syntax import ast

if TYPE_CHECKING:
    from synthdsl.check.model import RuleInfo, TableInfo
    from synthdsl.expr.context import DatasetInfo


class RuleChecks:
    """The rule methods of ``Checker``; they use its ``fail``, ``scope``, ``tables`` and
    ``datasets``."""

    tables: dict[str, TableInfo]
    datasets: dict[str, DatasetInfo]

    if TYPE_CHECKING:

        def fail(
            self, code: str, message: str, node: ast.Node | Span, hint: str | None = None
        ) -> None: ...

        def scope(self, t: TableInfo, columns: dict[str, str] | None = None) -> Scope: ...

    def rules(self, t: TableInfo) -> None:
        from synthdsl.check.model import RuleInfo

        seen: set[str] = set()
        scope = self.scope(t)
        compiler = Compiler(scope)
        for r in t.node.rules:
            if r.name in seen:
                self.fail("E190", f"rule '{r.name}' is declared twice in '{t.name}'", r)
            seen.add(r.name)
            expr = r.expr
            if isinstance(expr, ast.Call) and expr.path == ("unique",):
                cols = self.rule_columns(t, expr.args, r)
                t.rules.append(RuleInfo(r.name, r, "unique", cols))
                continue
            if isinstance(expr, ast.Determines):
                cols = self.rule_columns(t, (expr.left, expr.right), r)
                t.rules.append(RuleInfo(r.name, r, "determines", cols))
                continue
            scope.column_name = ""
            c = compiler.compile(expr)
            if c.type not in ("bool", "any"):
                self.fail("E191", f"rule '{r.name}' must be a condition, found {c.type}", expr)
            if c.random:
                self.fail("E192", f"rule '{r.name}' must not draw random values", expr)
            if c.is_const and c.const is False:
                self.fail("E193", f"rule '{r.name}' is always false", expr)
            cols = tuple(sorted(names_in(expr) & set(t.columns)))
            t.rules.append(RuleInfo(r.name, r, "row", cols, c))
        self.contradictions(t)

    def rule_columns(self, t: TableInfo, args, r: ast.Rule) -> tuple[str, ...]:
        cols = []
        for a in args:
            if not isinstance(a, ast.Name) or a.name not in t.columns:
                name = a.name if isinstance(a, ast.Name) else "?"
                self.fail(
                    "E194",
                    f"rule '{r.name}' must name columns of '{t.name}'",
                    a,
                    did_you_mean(name, t.columns),
                )
                continue
            cols.append(a.name)
        if not cols and not args:
            self.fail("E194", f"rule '{r.name}' names no columns", r)
        return tuple(cols)

    def contradictions(self, t: TableInfo) -> None:
        from synthdsl.check.model import DEFAULT_LOCALE

        quiet: list[Diagnostic] = []

        def const_of(e: ast.Expr):
            scope = Scope(t.name, {}, {}, self.datasets, DEFAULT_LOCALE, quiet)
            c = Compiler(scope).compile(e)
            if not c.is_const or quiet:
                quiet.clear()
                raise LookupError
            return c.const

        def contradiction(r: RuleInfo, col: str, names: list[str]) -> None:
            if len(names) == 1:
                msg = f"rule '{r.name}' contradicts itself: no value of '{col}' satisfies it"
            else:
                listed = " and ".join(f"'{n}'" for n in names)
                msg = f"rules {listed} contradict each other: no value of '{col}' satisfies them"
            self.fail("E195", msg, r.node)

        per_col: dict[str, Interval] = {}
        # Columns limited to listed values (``x in [1, 2]``, ``x == 5``): the values and the rules.
        allowed: dict[str, tuple[set, list[str]]] = {}
        for r in t.rules:
            if r.kind != "row":
                continue
            for part in conjuncts(r.node.expr):
                guard = null_guard(part)
                atom = guard[1] if guard else part
                m = _allowed_values(atom, const_of)
                if m is not None and not (guard and guard[0] != m[0]):
                    col, values = m
                    if col in allowed:
                        prev, names = allowed[col]
                        values = prev & values
                        names = names if r.name in names else [*names, r.name]
                    else:
                        names = [r.name]
                    allowed[col] = (values, names)
                    iv = per_col.get(col)
                    if iv is not None:
                        values = {v for v in values if _inside(v, iv)}
                        names = names + [n for n in iv.rules if n not in names]
                    if not values:
                        contradiction(r, col, names)
                        break
                b = bound(atom, const_of, r.name)
                if b is None or (guard and guard[0] != b[0]):
                    continue
                col, iv = b
                merged = per_col[col].intersect(iv) if col in per_col else iv
                if merged.empty:
                    contradiction(r, col, merged.rules)
                    break
                if col in allowed and not any(_inside(v, merged) for v in allowed[col][0]):
                    names = allowed[col][1] + [n for n in merged.rules if n not in allowed[col][1]]
                    contradiction(r, col, names)
                    break
                per_col[col] = merged
        t.bounds = per_col

    def decimal_ranges(self, t: TableInfo) -> None:
        """A decimal column whose value provably reaches past its precision is an error (E106).

        The static range is the draw's support (or the constant, or the categorical labels), cut by
        the column's clamp and its rules' bounds. Values round to ``s`` places (half-even), so a
        decimal(4,2) holds |x| < 99.995; anything that could reach further, however rarely, is
        reported: ``uniform(0, 100)`` can round to 100.00.
        """
        for info in t.columns.values():
            if info.dtype.kind != "decimal" or info.compiled is None or info.node.gen is None:
                continue
            found = _static_range(info.compiled)
            if found is None:
                continue
            lo, hi = found
            if info.clamp is not None:
                lo, hi = max(lo, info.clamp[0]), min(hi, info.clamp[1])
            iv = t.bounds.get(info.name)
            if iv is not None:
                lo = lo if iv.low is None else max(lo, iv.low)
                hi = hi if iv.high is None else min(hi, iv.high)
            p, s = info.dtype.precision or 18, info.dtype.scale or 0
            limit = 10 ** (p - s)
            top = limit - 0.5 * 10.0**-s
            # An unbounded end (a normal's tail) only rarely goes far: checked at run time instead.
            ends = [x for x in (lo, hi) if math.isfinite(x) and abs(x) >= top]
            if not ends or lo > hi:
                continue
            reach = max(ends, key=abs)
            expr = info.node.gen.expr
            text = expr.span.text() or "its value"
            biggest = "9" * (p - s) + ("." + "9" * s if s else "")
            need = len(str(int(abs(reach)))) + s
            hint = f"widen the precision (decimal({max(need, p)}, {s}))"
            if float(biggest) < top:  # past ~16 digits a float clamp rounds up to the limit
                hint += f" or clamp the column (clamp(-{biggest}, {biggest}))"
            self.fail(
                "E106",
                f"column '{info.name}' is {info.dtype.with_nullable(False)}, which holds values "
                f"below {limit:g}; {text} reaches {_num(reach)}",
                expr,
                hint,
            )


def _allowed_values(expr: ast.Expr, const_of) -> tuple[str, set] | None:
    """``col in [c1, c2]`` or ``col == c`` (either side) -> (col, {constants}); else None."""
    if isinstance(expr, ast.In) and not expr.negated and isinstance(expr.operand, ast.Name):
        if not isinstance(expr.container, ast.ListExpr):
            return None
        try:
            return expr.operand.name, {_hashable(const_of(i)) for i in expr.container.items}
        except (LookupError, TypeError):
            return None
    if isinstance(expr, ast.Binary) and expr.op == "==":
        a, b = expr.left, expr.right
        if not isinstance(a, ast.Name):
            a, b = b, a
        if isinstance(a, ast.Name):
            try:
                return a.name, {_hashable(const_of(b))}
            except (LookupError, TypeError):
                return None
    return None


def _hashable(value):
    """A set member for a constant; floats to 12 significant digits, the tolerance of ``==``."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    hash(value)  # TypeError for values that cannot be compared as set members
    return value


def _inside(value, iv: Interval) -> bool:
    """Whether a constant may lie in an interval (non-numbers are not judged: True)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return True
    if iv.low is not None and (value < iv.low or (value == iv.low and not iv.low_inclusive)):
        return False
    return not (
        iv.high is not None and (value > iv.high or (value == iv.high and not iv.high_inclusive))
    )


def _static_range(c: Compiled) -> tuple[float, float] | None:
    """The smallest interval holding every value of a constant, a draw with constant parameters or an
    inline categorical; None when unknown (depends on other columns, a provider, ...)."""
    import numpy as np

    if c.is_const:
        if isinstance(c.const, bool) or not isinstance(c.const, int | float):
            return None
        return float(c.const), float(c.const)
    if c.dist is not None and not c.dist.dates:
        params = c.dist.params
        if not all(p.is_const and isinstance(p.const, int | float) for p in params.values()):
            return None
        try:
            return c.dist.dist.support({k: float(p.const) for k, p in params.items()})
        except (ValueError, TypeError, ArithmeticError):
            return None
    if c.cat is not None and c.cat.labels.dtype.kind in "iuf" and len(c.cat.labels):
        labels = c.cat.labels[c.cat.weights > 0] if len(c.cat.weights) else c.cat.labels
        if len(labels):
            return float(np.min(labels)), float(np.max(labels))
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"
