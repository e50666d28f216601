"""Method shapes: recognize a provider method by its source, accepting only a few exact shapes.

Locale providers override many methods with one-liners such as
``return self.random_element(self.cities)``; ``_shape`` classifies those (a choice, a format
parse, a mask, a formatted integer, an alias) so ``vectorizer`` can build their nodes.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any


def _self_attr(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "self" else None
    return None


def _self_call(node: ast.AST | None) -> tuple[tuple[str, ...], list[ast.expr]] | None:
    """``self.a.b(args)`` -> (("a", "b"), args); None for anything else or keyword arguments."""
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    names, f = [], node.func
    while isinstance(f, ast.Attribute):
        names.append(f.attr)
        f = f.value
    if not (isinstance(f, ast.Name) and f.id == "self"):
        return None
    return tuple(reversed(names)), list(node.args)


def _call_args(node: ast.AST | None, *path: str) -> list[ast.expr] | None:
    got = _self_call(node)
    return got[1] if got is not None and got[0] == path else None


def _element_attr(node: ast.AST | None) -> str | None:
    """``self.random_element(self.X)`` -> "X"."""
    args = _call_args(node, "random_element")
    return _self_attr(args[0]) if args is not None and len(args) == 1 else None


def _const(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const(node.operand)
        return -inner if isinstance(inner, int) else None
    return None


def _shape_expr(e: ast.expr) -> tuple | None:
    if (attr := _element_attr(e)) is not None:
        return ("choice", attr)
    case = None
    if (
        isinstance(e, ast.Call)
        and not e.args
        and not e.keywords
        and isinstance(e.func, ast.Attribute)
        and e.func.attr in ("upper", "lower")
    ):
        case, e = e.func.attr, e.func.value
    for how in ("numerify", "bothify", "lexify"):
        args = _call_args(e, how)
        if args is None or len(args) != 1:
            continue
        inner = args[0]
        if (attr := _element_attr(inner)) is not None:
            return ("pattern", how, "choice", attr, case)
        if (attr := _self_attr(inner)) is not None:
            return ("pattern", how, "attr", attr, case)
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            return ("pattern", how, "const", inner.value, case)
    if case:
        return None
    args = _call_args(e, "generator", "parse")
    if args is not None and len(args) == 1 and (attr := _element_attr(args[0])) is not None:
        return ("parse", attr)
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod) and isinstance(e.left, ast.Constant):
        fmt = re.fullmatch(r"%(?:0(\d+))?d", str(e.left.value))
        args = _call_args(e.right, "generator", "random", "randint")
        if fmt and args is not None and len(args) == 2:
            lo, hi = _const(args[0]), _const(args[1])
            if isinstance(lo, int) and isinstance(hi, int):
                return ("intfmt", lo, hi, int(fmt.group(1) or 0))
    got = _self_call(e)
    if got is not None and len(got[0]) == 1 and not got[1]:
        return ("alias", got[0][0])
    return None


def method_body(func: Callable) -> list[ast.stmt] | None:
    """The statements of a plain ``def m(self)`` (docstring dropped), or None for anything else.

    Reads the library's own source (never spec content) to recognize data-only methods.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, ast.FunctionDef) or fn.decorator_list:
        return None
    a = fn.args
    if a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or len(a.args) != 1:
        return None
    return [
        s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]


@functools.cache
def _shape(func: Callable) -> tuple | None:
    """Classify a provider method by its source, accepting only a few exact shapes.

    Locale providers override many methods with one-liners such as
    ``return self.random_element(self.cities)``; recognizing those keeps e.g. nl_NL cities
    vectorized. Anything else (extra logic, arguments, decorators) returns None: generic path.
    """
    body = method_body(func)
    if body is None:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return _shape_expr(body[0].value)
    if len(body) != 2 or not isinstance(body[1], ast.Return):
        return None
    first, ret = body
    target = value = None
    if isinstance(first, ast.Assign) and len(first.targets) == 1:
        target, value = first.targets[0], first.value
    elif isinstance(first, ast.AnnAssign):
        target, value = first.target, first.value
    if isinstance(target, ast.Name) and (attr := _element_attr(value)) is not None:
        args = _call_args(ret.value, "generator", "parse")
        if args and len(args) == 1 and isinstance(args[0], ast.Name) and args[0].id == target.id:
            return ("parse", attr)
        return None
    if isinstance(first, ast.If) and not first.orelse and len(first.body) == 1:
        test, inner = first.test, first.body[0]
        got = _self_call(ret.value)
        if (
            isinstance(test, ast.Call)
            and isinstance(test.func, ast.Name)
            and test.func.id == "hasattr"
            and len(test.args) == 2
            and isinstance(test.args[0], ast.Name)
            and test.args[0].id == "self"
            and isinstance(inner, ast.Return)
            and _element_attr(inner.value) == _const(test.args[1])
            and got is not None
            and len(got[0]) == 1
            and not got[1]
        ):
            return ("hasattr", _const(test.args[1]), got[0][0])
    return None
