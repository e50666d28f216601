"""``sum(CHILD.COL)``, ``count(CHILD)`` and friends: reads of the hidden per-row aggregates the
executor fills in once a block's child rows exist (``expr/aggregate.py``).
"""

from __future__ import annotations

from synthdsl.errors import did_you_mean
from synthdsl.expr import aggregate
from synthdsl.expr.context import Compiled, Ctx
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values


# ------------------------------------------------------------------ aggregates over a child table
def _aggregate_target(comp: CompilerLike, node: ast.Call) -> tuple[str, str | None] | None:
    """``(child, column)`` when the call is ``f(CHILD)`` or ``f(CHILD.COLUMN)`` of a child table."""
    if len(node.args) != 1 or node.kwargs or node.pairs or node.arrows:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Name) and arg.name in comp.scope.children:
        return arg.name, None
    if (
        isinstance(arg, ast.Attr)
        and isinstance(arg.obj, ast.Name)
        and arg.obj.name in comp.scope.children
    ):
        return arg.obj.name, arg.name
    return None


def _aggregate(comp: CompilerLike, node: ast.Call, name: str) -> Compiled:
    """``sum(CHILD.COL)`` and friends: a read of the hidden per-row aggregate the executor fills in
    after the block's child rows exist (``synthdsl/aggregate.py``)."""
    target = _aggregate_target(comp, node)
    children = comp.scope.children
    if target is not None and target[1] is None and name != "count":
        target = None  # only count() takes a whole table
    if target is None:
        shape = f"{name}(CHILD.COLUMN)"
        if name == "count":
            shape = "count(CHILD)` or `count(CHILD.COLUMN)"
        hint = (
            f"child tables of '{comp.scope.table}': {', '.join(sorted(children))}"
            if children
            else f"a child table declares `rows per {comp.scope.table} ~ ...`"
        )
        arg = node.args[0] if len(node.args) == 1 else node
        if isinstance(arg, ast.Attr) and isinstance(arg.obj, ast.Name):
            hint = did_you_mean(arg.obj.name, children) or hint
        comp.scope.error(
            "E363",
            f"{name}() aggregates a child table of '{comp.scope.table}': write `{shape}`",
            arg,
            hint,
        )
        return comp.bad()
    child, column = target
    arg_type = None
    if column is not None:
        cols = children[child]
        if column not in cols:
            comp.scope.error(
                "E203",
                f"table '{child}' has no column '{column}'",
                node.args[0],
                did_you_mean(column, cols),
            )
            return comp.bad()
        arg_type = cols[column]
        if arg_type == "any":
            return comp.bad()  # the column's own type error is reported already
    typ = aggregate.result_type(name, arg_type)
    if typ is None:
        comp.scope.error(
            "E364",
            f"{name}() needs a numeric column{'' if name in ('sum', 'mean') else ' or a date'}, "
            f"'{child}.{column}' is {arg_type}",
            node.args[0],
        )
        return comp.bad()
    hidden = aggregate.key(name, child, column)

    def fn(ctx: Ctx) -> Values:
        return ctx.cols[hidden]

    return Compiled(fn, typ, deps=frozenset({hidden}))
