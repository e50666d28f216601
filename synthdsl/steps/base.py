"""Step kinds as plug-ins: the protocol every step implements, and the registry of kinds.

Input: a ``StepSpec`` (plain data from the plan) and a ``BuildEnv`` (the plan's tables and the loaded
datasets). Output: a ``Step``, built once per worker, whose ``run(ctx)`` fills its outputs for a block's
rows and may emit rows into child tables. The block loop (``synthdsl.execute``) only calls ``run`` and
reads ``StepOutput``: it never names a kind, so a model, a simulation or a plug-in from another package
drops in by registering a ``StepKind``: built-ins in ``STEP_KINDS``, others through the entry-point group
``synthdsl.steps`` (loaded on demand; a broken plug-in warns by name and is skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from synthdsl._plugins import load_group
from synthdsl.errors import SynthError, did_you_mean
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Compiled, Ctx, DatasetInfo, Scope
from synthdsl.plan.model import Plan, StepSpec, TablePlan
from synthdsl.source import SourceFile
from synthdsl.syntax.ast_json import from_json
from synthdsl.values import Values

ENTRY_POINT_GROUP = "synthdsl.steps"


@dataclass
class Emitted:
    """Rows a step makes in a child table: each one's parent row (a position in the block), and
    optionally values for some of the child's columns (the child's own steps fill the rest)."""

    parent_index: np.ndarray
    columns: dict[str, Values] = field(default_factory=dict)
    # the parent row as each child row sees it (a simulation's entity at the row's step), one per
    # child row; None: the parent's row in the block
    parent: dict[str, Values] | None = None
    # columns of ``columns`` whose values are final already (a simulation's state, finished as
    # it was written): the child's block takes them as they are
    finished: frozenset[str] = frozenset()


@dataclass
class StepOutput:
    columns: dict[str, Values] = field(default_factory=dict)
    emitted: dict[str, Emitted] = field(default_factory=dict)
    related: dict[str, np.ndarray] = field(default_factory=dict)  # referenced table -> row index


class Step(Protocol):
    spec: StepSpec

    def run(self, ctx: Ctx) -> StepOutput: ...

    def describe(self) -> str: ...


class StepKind(Protocol):
    """A kind of step: ``build`` makes the runnable step from its spec, once per worker.

    Optional: ``count(step, ctx) -> np.ndarray`` for a kind that emits child rows, giving the number
    of child rows per row of the block *before* the block is generated (the counts pass uses it so
    every block knows its child rows' global numbers, independent of chunking).
    """

    name: str

    def build(self, spec: StepSpec, env: BuildEnv) -> Step: ...


class SimpleKind:
    """A kind whose steps are instances of one class built as ``cls(spec, env)``."""

    def __init__(self, name: str, cls: Callable[[StepSpec, BuildEnv], Step]):
        self.name, self.cls = name, cls

    def build(self, spec: StepSpec, env: BuildEnv) -> Step:
        return self.cls(spec, env)


STEP_KINDS: dict[str, StepKind] = {}
_PLUGINS: dict[str, StepKind] | None = None


def register(kind: StepKind) -> StepKind:
    """Add a built-in kind (plug-ins use the entry-point group instead)."""
    STEP_KINDS[kind.name] = kind
    return kind


def _plugins() -> dict[str, StepKind]:
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = load_group(ENTRY_POINT_GROUP, "step")  # type: ignore[assignment]
    return _PLUGINS


def reload_plugins() -> None:
    """Forget the plug-ins found so far (after installing one in a running process)."""
    global _PLUGINS
    _PLUGINS = None


def kind_of(name: str) -> StepKind:
    if name in STEP_KINDS:
        return STEP_KINDS[name]
    plugins = _plugins()
    if name in plugins:
        return plugins[name]
    known = sorted({*STEP_KINDS, *plugins})
    hint = did_you_mean(name, known)
    raise SynthError(
        f"the plan has a step of unknown kind '{name}' (known kinds: {', '.join(known)})"
        + (f"; {hint}" if hint else "")
        + f"; a kind from another package registers itself in the entry-point group "
        f"'{ENTRY_POINT_GROUP}'"
    )


# ------------------------------------------------------------------ building steps
class BuildEnv:
    """What building a step may use: the plan's tables (for scopes), the datasets, the sources."""

    def __init__(
        self,
        plan: Plan,
        datasets: dict[str, DatasetInfo],
        source_for: Callable[[str], SourceFile | None],
    ):
        self.plan = plan
        self.datasets = datasets
        self.source_for = source_for
        self._tables = {t.name: t for t in plan.tables}

    def table(self, name: str) -> TablePlan:
        return self._tables[name]

    def types(self, name: str) -> dict[str, str]:
        t = self._tables[name]
        out = {c.name: _expr_type(c.dtype.kind) for c in t.columns}
        if t.fed_by is not None:
            out["step_date"] = "date"  # the date of the simulation step that made the row
        return out

    def scope(
        self, table: str, column: str = "", *, bare: bool = False, extra: dict | None = None
    ) -> Scope:
        """The names an expression of ``table`` may use: as the checker gave them."""
        t = self._tables[table]
        if bare:  # a child table's row count: nothing of the row, the parent only for messages
            related = {t.parent: self.types(t.parent)} if t.parent else {}
            return Scope(
                table, {}, related, self.datasets, self.plan.locale, [], today=self.plan.today
            )
        related = {}
        names = {t.parent} if t.parent else set()
        names |= {c.ref[0] for c in t.columns if c.ref is not None}
        for n in names:
            related[n] = self.types(n)
        children = {c.name: self.types(c.name) for c in self.plan.tables if c.parent == table}
        scope = Scope(
            table,
            self.types(table),
            related,
            self.datasets,
            self.plan.locale,
            [],
            children=children,
            today=self.plan.today,
        )
        scope.column_name = column
        if extra:
            scope.columns = {**scope.columns, **extra}
        return scope

    def compile(
        self, table: str, expr_json: Any, column: str = "", *, bare: bool = False
    ) -> Compiled:
        """An expression of the plan, compiled as the checker compiled it (the same code)."""
        return self.compile_node(table, from_json(expr_json, self.source_for), column, bare=bare)

    def compile_node(
        self, table: str, node, column: str = "", *, bare: bool = False, extra: dict | None = None
    ) -> Compiled:
        """An expression's decoded AST compiled in ``table``'s scope (plus ``extra`` names)."""
        scope = self.scope(table, column, bare=bare, extra=extra)
        compiled = Compiler(scope).compile(node)
        if scope.diags:  # a plan edited by hand, or one from another version
            d = scope.diags[0]
            raise SynthError(
                f"the plan's expression for {table}.{column or '?'} does not compile: {d.message}"
            )
        return compiled


def _expr_type(kind: str) -> str:
    return {"decimal": "float", "enum": "text"}.get(kind, kind)
