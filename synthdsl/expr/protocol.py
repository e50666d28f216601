"""What the operator and function compilers need of ``compile.Compiler``, as a protocol.

``ops`` and ``functions`` take the compiler as an argument and call back into it; typing that
argument with this protocol instead of ``Compiler`` itself keeps ``compile`` -> ``ops`` /
``functions`` free of an import back into ``compile`` (no cycle, not even under TYPE_CHECKING).
"""

from __future__ import annotations

from typing import Protocol

from synthdsl.expr.context import Compiled, Scope
from synthdsl.syntax import ast


class CompilerLike(Protocol):
    """A compiler of expressions in one ``Scope`` (``compile.Compiler``)."""

    scope: Scope

    def compile(self, node: ast.Expr) -> Compiled: ...

    def bad(self) -> Compiled: ...
