"""What every built-in function shares: argument-count and keyword checks, typing, dependencies."""

from __future__ import annotations

from synthdsl.errors import did_you_mean
from synthdsl.expr.context import Compiled
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast

WEIGHT_TOLERANCE = 1e-6


def _join(parts, random: bool = False, **extra) -> dict:
    deps: frozenset[str] = frozenset()
    related: frozenset[tuple[str, str]] = frozenset()
    for p in parts:
        deps |= p.deps
        related |= p.related
        random = random or p.random
    return {"deps": deps, "related": related, "random": random, **extra}


def _arity(comp: CompilerLike, node: ast.Call, name: str, lo: int, hi: int | None) -> bool:
    n = len(node.args)
    if n < lo or (hi is not None and n > hi):
        want = str(lo) if lo == hi else (f"{lo} to {hi}" if hi is not None else f"at least {lo}")
        comp.scope.error("E320", f"{name}() takes {want} argument(s), got {n}", node)
        return False
    for extra in (*node.pairs, *node.arrows):
        comp.scope.error("E321", f"{name}() does not take this kind of argument", extra)
        return False
    return True


def _no_kwargs(
    comp: CompilerLike, node: ast.Call, name: str, allowed: tuple[str, ...] = ()
) -> bool:
    ok = True
    for k in node.kwargs:
        if k.name not in allowed:
            hint = did_you_mean(k.name, allowed) if allowed else None
            comp.scope.error("E322", f"{name}() has no parameter '{k.name}'", k, hint)
            ok = False
    return ok


def _want(
    comp: CompilerLike, c: Compiled, types: tuple[str, ...], node: ast.Node, what: str
) -> bool:
    if c.type in (*types, "any", "null"):
        return True
    comp.scope.error("E323", f"{what} must be {' or '.join(types)}, found {c.type}", node)
    return False
