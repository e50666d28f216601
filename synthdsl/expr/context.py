"""What compiled expressions are made of: the row context, compiled values, scopes, shared helpers.

Input: nothing from the compiler. Output: the types the compiler (``compile``), its operator and function
modules (``ops``, ``functions``) and the executor share, so none of them imports another to reach them
(no import cycle: ``compile`` -> ``ops``/``functions`` -> ``context``).
Nulls follow SQL's three-valued logic: arithmetic and comparisons with a null give null, ``or``/``and``
are Kleene, and a rule holds only where its value is true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthdsl.errors import Diagnostic
from synthdsl.expr.clock import DEFAULT_TODAY
from synthdsl.syntax import ast
from synthdsl.values import Values

NUMERIC = ("int", "float")
ORDERED = ("int", "float", "text", "date", "datetime", "duration")
_NO_CONST = object()


@dataclass(slots=True)
class Ctx:
    """What a closure sees: ``n`` rows, their columns so far, related tables' columns aligned to them.

    ``key`` is the step's ``draw`` stream (``ctx.rng``); ``streams`` derives its other purposes'
    keys (provider calls, null masks) so that no two purposes share numbers; ``source`` is the random
    source that step kinds draw distributions, categories and null masks through (the engine's numpy
    streams, or Hypothesis under ``synthdsl.hypothesis``)."""

    n: int
    cols: dict[str, Values]
    rows: np.ndarray
    key: list[int]
    related: dict[str, tuple[dict[str, Values], np.ndarray]] = field(default_factory=dict)
    _rng: Any = None
    _aligned: dict[tuple[str, str], Values] = field(default_factory=dict)
    streams: Any = None  # synthdsl.streams.Streams
    source: Any = None  # synthdsl.steps.source.EngineSource or another random source
    env: Any = None  # the run's services for steps (referenced tables, totals): execute.BlockEnv

    @property
    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.key)))
        return self._rng

    def key_for(self, purpose: str, *extra: str | int) -> list[int]:
        """The key of another purpose's stream at this step (``provider``, ``nulls``...)."""
        if self.streams is None:  # a bare context (tests, check-time probes)
            from synthdsl.streams import key

            return key(0, purpose, *map(str, self.key), *extra)
        return self.streams.for_(purpose, *extra)

    def related_col(self, table: str, column: str) -> Values:
        hit = self._aligned.get((table, column))
        if hit is None:
            cols, idx = self.related[table]
            hit = cols[column].take(idx)
            self._aligned[(table, column)] = hit
        return hit

    def sub(self, rows: np.ndarray) -> Ctx:
        """The same context restricted to ``rows`` (positions), drawing from the same generator."""
        cols = {k: v.take(rows) for k, v in self.cols.items()}
        related = {t: (c, idx[rows]) for t, (c, idx) in self.related.items()}
        out = Ctx(len(rows), cols, self.rows[rows], self.key, related, streams=self.streams)
        out.source, out.env = self.source, self.env
        out._rng = self.rng
        return out


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
    format: str = "csv"
    options: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""  # of the file's bytes as read: the plan refers to the dataset by it


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
    # column -> the providers its expression calls, in call order (the plan says which vectorize)
    providers: dict[str, list[Any]] = field(default_factory=dict)
    children: dict[str, dict[str, str]] = field(default_factory=dict)  # child tables -> col types
    today: str = DEFAULT_TODAY  # the providers' clock (``today`` setting), YYYY-MM-DD

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
