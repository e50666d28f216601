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

import numpy as np

from synthdsl.errors import did_you_mean
from synthdsl.expr import functions, ops
from synthdsl.expr.context import Compiled, Ctx, Scope, as_type, const_values, truth, unify
from synthdsl.syntax import ast
from synthdsl.values import Values


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
            digits = int(node.value.bit_length() * 0.30103) + 1
            shown = f"{node.value}" if digits < 60 else f"with about {digits} digits"
            self.scope.error("E305", f"integer {shown} does not fit in 64 bits", node)
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

        return ops.unary(self, node)

    def visit_Binary(self, node: ast.Binary) -> Compiled:

        return ops.binary(self, node)

    def visit_In(self, node: ast.In) -> Compiled:

        return ops.in_(self, node)

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

        return functions.compile_call(self, node)
