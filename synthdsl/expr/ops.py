"""Operators of the expression language, vectorized: arithmetic, comparison, logic, membership.

Each function types its operands first (recording a diagnostic on a mismatch) and then returns a
``Compiled`` whose closure applies one numpy operation to whole arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.errors import did_you_mean
from synthdsl.expr.context import (
    NUMERIC,
    Compiled,
    Ctx,
    const_values,
    merge_null,
    numeric_type,
    truth,
)
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy("pandas")

_ARITH = {"+", "-", "*", "/", "%"}
FLOAT_RTOL = 1e-12  # == and != on floats compare within this relative (and absolute) tolerance
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}
_LOGIC = {"and", "or", "implies"}


def _join(*parts: Compiled) -> dict:
    deps: frozenset[str] = frozenset()
    related: frozenset[tuple[str, str]] = frozenset()
    random = False
    for p in parts:
        deps |= p.deps
        related |= p.related
        random = random or p.random
    return {"deps": deps, "related": related, "random": random}


def _fold(c: Compiled, n_args: tuple[Compiled, ...]) -> Compiled:
    """Evaluate a constant expression once, so its value is known to the checker and planner."""
    if c.random or c.deps or c.related or not all(a.is_const for a in n_args):
        return c
    if c.type in ("any", "null"):
        return c
    ctx = Ctx(1, {}, np.zeros(1, dtype=np.int64), [0])
    try:
        v = c.fn(ctx)
    except (TypeError, ValueError, ArithmeticError):  # reported by the type check, or out of range
        return c
    if v.null is not None and v.null[0]:
        c.const = None
    else:
        item = v.data[0]
        c.const = item.item() if hasattr(item, "item") and v.data.dtype.kind in "iufb" else item
    return c


def unary(comp: CompilerLike, node: ast.Unary) -> Compiled:
    inner = comp.compile(node.operand)
    if node.op == "not":
        if inner.type not in ("bool", "any", "null"):
            comp.scope.error("E310", f"'not' needs a bool, found {inner.type}", node.operand)
            return comp.bad()

        def not_fn(ctx: Ctx) -> Values:
            v = inner.fn(ctx)
            return Values(~v.data.astype(bool), v.null)

        return _fold(Compiled(not_fn, "bool", **_join(inner)), (inner,))
    if inner.type not in (*NUMERIC, "duration", "any"):
        comp.scope.error("E311", f"'-' needs a number, found {inner.type}", node.operand)
        return comp.bad()

    def neg_fn(ctx: Ctx) -> Values:
        v = inner.fn(ctx)
        return Values(-v.data, v.null)

    return _fold(Compiled(neg_fn, inner.type, **_join(inner)), (inner,))


_TYPES = ("int", "float", "text", "bool", "date", "datetime", "duration")


def _arith_type(op: str, a: str, b: str) -> str | None:
    if "any" in (a, b):
        return "any"
    if "null" in (a, b):  # null if some type in the null's place would be allowed here
        other = b if a == "null" else a
        if other == "null":
            return "null"
        fits = (
            _arith_type(op, t, other) if a == "null" else _arith_type(op, other, t) for t in _TYPES
        )
        return "null" if any(fits) else None
    if a in NUMERIC and b in NUMERIC:
        return "float" if op == "/" else numeric_type(a, b)
    if op == "+" and a == "text" and b == "text":
        return "text"
    if op in "+-" and a in ("date", "datetime") and b == "duration":
        return a
    if op == "+" and a == "duration" and b in ("date", "datetime"):
        return b
    if op == "-" and a in ("date", "datetime") and b in ("date", "datetime"):
        return "duration"
    if op in "+-" and a == "duration" and b == "duration":
        return "duration"
    if op in "*/" and a == "duration" and b in NUMERIC:
        return "duration"
    return None


def _arith(op: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = _arith_raw(op, x, y)
    if op in "+-*" and x.dtype.kind == "i" and y.dtype.kind == "i":
        _refuse_int_overflow(op, x, y, out)
    return out


def _refuse_int_overflow(op: str, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """int64 arithmetic wraps around silently; a value past the int64 range stops the run."""
    with np.errstate(all="ignore"):
        if op == "+":
            bad = ((x ^ out) & (y ^ out)) < 0
        elif op == "-":
            bad = ((x ^ y) & (x ^ out)) < 0
        else:
            nonzero = y != 0
            back = np.floor_divide(out, np.where(nonzero, y, 1))
            bad = (nonzero & (back != x)) | ((y == -1) & (x == np.iinfo(np.int64).min))
            bad |= (x == -1) & (y == np.iinfo(np.int64).min)
    bad = np.asarray(bad)
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        a = x.reshape(-1)[i if x.size > 1 else 0]
        b = y.reshape(-1)[i if y.size > 1 else 0]
        raise OverflowError(
            f"{a} {op} {b} is outside the int range (-2^63 to 2^63-1); "
            "compute it as a float (float(x)) or keep the values smaller"
        )


def _arith_raw(op: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if op == "+":
        if x.dtype == object or y.dtype == object:
            return np.add(x.astype(object), y.astype(object))
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        if x.dtype.kind == "m":
            return (x.astype(np.int64) * y).astype(np.int64).astype(x.dtype)
        return x * y
    if op == "/":
        if x.dtype.kind == "m":
            return (x.astype(np.int64) / y).astype(np.int64).astype(x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.true_divide(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mod(x, y)


def binary(comp: CompilerLike, node: ast.Binary) -> Compiled:
    op = node.op
    a, b = comp.compile(node.left), comp.compile(node.right)
    joined = _join(a, b)
    if op in _LOGIC:
        for side, c in ((node.left, a), (node.right, b)):
            if c.type not in ("bool", "any", "null"):
                comp.scope.error("E312", f"'{op}' needs bool operands, found {c.type}", side)
        return _fold(Compiled(_logic_fn(op, a, b), "bool", **joined), (a, b))
    if op in _COMPARE:
        if not _check_comparable(comp, node, a, b):
            return comp.bad()
        return _fold(Compiled(_compare_fn(op, a, b), "bool", **joined), (a, b))
    typ = _arith_type(op, a.type, b.type)
    if typ is None:
        comp.scope.error(
            "E313", f"cannot apply '{op}' to {a.type} and {b.type}", node, _arith_hint(a, b)
        )
        return comp.bad()
    is_div = op in "/%" and typ in NUMERIC
    if typ == "null":  # arithmetic with null is null, whatever the other operand holds
        return _fold(Compiled(const_values(None, "null"), "null", **joined), (a, b))

    def fn(ctx: Ctx) -> Values:
        va, vb = a.fn(ctx), b.fn(ctx)
        data = _arith(op, va.data, vb.data)
        null = merge_null(va, vb)
        if is_div:
            zero = vb.data == 0
            if zero.any():
                null = zero if null is None else (null | zero)
                data = np.where(zero, 0, data)
        return Values(data, null)

    return _fold(Compiled(fn, typ, **joined), (a, b))


def _arith_hint(a: Compiled, b: Compiled) -> str | None:
    if "date" in (a.type, b.type) and (a.type in NUMERIC or b.type in NUMERIC):
        return "add a duration to a date: birth_date + days(30)"
    if "text" in (a.type, b.type):
        return 'use format("{} {}", a, b) to build text from other types'
    return None


def _check_comparable(comp: CompilerLike, node: ast.Binary, a: Compiled, b: Compiled) -> bool:
    ta, tb = a.type, b.type
    if "any" in (ta, tb) or "null" in (ta, tb):
        if "null" in (ta, tb) and node.op in ("==", "!="):
            comp.scope.error(
                "E314", "comparing with null is never true", node, "write `x is null` instead"
            )
        return "null" not in (ta, tb)
    ok = (ta in NUMERIC and tb in NUMERIC) or ta == tb or {ta, tb} == {"date", "datetime"}
    if not ok:
        comp.scope.error("E315", f"cannot compare {ta} with {tb}", node)
        return False
    if node.op not in ("==", "!=") and ta == "bool":
        comp.scope.error("E316", f"'{node.op}' does not order bool values", node)
        return False
    return True


_CMP = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _compare_fn(op: str, a: Compiled, b: Compiled):
    ufunc = _CMP[op]

    def fn(ctx: Ctx) -> Values:
        va, vb = a.fn(ctx), b.fn(ctx)
        x, y = va.data, vb.data
        if x.dtype.kind == "M" and y.dtype.kind == "M" and x.dtype != y.dtype:
            x, y = x.astype("datetime64[us]"), y.astype("datetime64[us]")
        if x.dtype == object or y.dtype == object:
            data = np.asarray(ufunc(x, y), dtype=bool)
        elif op in ("==", "!=") and (x.dtype.kind == "f" or y.dtype.kind == "f"):
            # Decimals compute as rounded floats: 0.1 + 0.2 must equal a decimal(10,2) holding 0.3.
            data = np.isclose(x, y, rtol=FLOAT_RTOL, atol=FLOAT_RTOL)
            if op == "!=":
                data = ~data
        else:
            data = ufunc(x, y)
        return Values(data, merge_null(va, vb))

    return fn


def _logic_fn(op: str, a: Compiled, b: Compiled):
    def fn(ctx: Ctx) -> Values:
        va, vb = a.fn(ctx), b.fn(ctx)
        x = va.data.astype(bool, copy=False)
        y = vb.data.astype(bool, copy=False)
        xn, yn = va.null, vb.null
        if op == "implies":
            x = ~x
        if op in ("or", "implies"):
            xt = x if xn is None else x & ~xn
            yt = y if yn is None else y & ~yn
            data = xt | yt
            if xn is None and yn is None:
                return Values(data)
            null = ~data & (va.is_null() | vb.is_null())
            return Values(data, null)
        xf = ~x if xn is None else ~x & ~xn
        yf = ~y if yn is None else ~y & ~yn
        data = ~(xf | yf)
        if xn is None and yn is None:
            return Values(data)
        null = data & (va.is_null() | vb.is_null())
        return Values(data & ~null, null)

    return fn


def in_(comp: CompilerLike, node: ast.In) -> Compiled:
    operand = comp.compile(node.operand)
    container = node.container
    if isinstance(container, ast.ListExpr):
        items = [comp.compile(i) for i in container.items]
        bad = [i for i, c in zip(container.items, items) if not c.is_const]
        for b in bad:
            comp.scope.error("E317", "the list after 'in' must hold constants", b)
        values = [c.const for c in items if c.is_const]
        for c, item in zip(items, container.items):
            comparable = c.type == operand.type or (c.type in NUMERIC and operand.type in NUMERIC)
            if (
                c.is_const
                and "any" not in (operand.type, c.type)
                and c.type != "null"
                and not comparable
            ):
                comp.scope.error(
                    "E318", f"list item is {c.type} but the value is {operand.type}", item
                )
    elif isinstance(container, ast.Attr) and isinstance(container.obj, ast.Name):
        if container.obj.name in comp.scope.broken:
            return comp.bad()  # the dataset's own error is reported already
        name = container.obj.name
        ds = comp.scope.datasets.get(name)
        if ds is None or container.name not in ds.columns:
            if ds is not None:
                what = f"dataset '{name}' has no column '{container.name}'"
                hint = did_you_mean(container.name, ds.columns)
            else:
                what = f"'{name}' is not a dataset"
                hint = did_you_mean(name, comp.scope.datasets)
            comp.scope.error(
                "E319", f"'in' needs a list or a DATASET.COLUMN: {what}", container, hint
            )
            return comp.bad()
        values = pd.unique(ds.frame[container.name].dropna()).tolist()
    else:
        comp.scope.error("E319", "'in' needs a list or a DATASET.COLUMN", container)
        return comp.bad()
    negated = node.negated
    index = pd.Index(values)

    def fn(ctx: Ctx) -> Values:
        v = operand.fn(ctx)
        hit = index.get_indexer(v.data) >= 0 if len(index) else np.zeros(ctx.n, dtype=bool)
        return Values(~hit if negated else hit, v.null)

    out = Compiled(fn, "bool", operand.deps, operand.related, operand.random)
    out.cat = None
    return _fold(out, (operand,))


__all__ = ["binary", "in_", "truth", "unary"]
