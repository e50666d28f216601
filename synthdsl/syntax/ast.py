"""AST node classes of the .synth language (nodes only; ``parse.py`` builds them).

Nodes are frozen, slotted dataclasses; every node carries a ``span`` that is excluded from equality and
repr, so two parses of the same text compare equal wherever the text sits, yet every diagnostic can still
point at its source (the ``meta_field`` idea of blark's transformer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from synthdsl.source import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = _span()  # noqa: RUF009 - a field() spec, evaluated once on purpose


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class Expr(Node):
    pass


@dataclass(frozen=True, slots=True)
class Number(Expr):
    value: int | float


@dataclass(frozen=True, slots=True)
class String(Expr):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True, slots=True)
class Null(Expr):
    pass


@dataclass(frozen=True, slots=True)
class Name(Expr):
    name: str


@dataclass(frozen=True, slots=True)
class Attr(Expr):
    """``obj.name``: a parent column (``patients.birth_date``), a dataset column, or a provider path."""

    obj: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Kwarg(Node):
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Pair(Node):
    """``key: value`` inside a call, as in ``categorical("a": 0.6, "b": 0.4)``."""

    key: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class Arrow(Node):
    """``key -> value`` inside a call, as in ``lookup(cities, city -> province)``; with ``on``, the
    row's column to match when it is named differently: ``lookup(branches, code = branch -> region)``
    has source ``code``, on ``branch``."""

    source: str
    target: str
    on: str | None = None

    @property
    def column(self) -> str:
        """The row's column matched against the dataset's ``source`` column."""
        return self.on if self.on is not None else self.source


@dataclass(frozen=True, slots=True)
class Call(Expr):
    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Kwarg, ...] = ()
    pairs: tuple[Pair, ...] = ()
    arrows: tuple[Arrow, ...] = ()

    @property
    def path(self) -> tuple[str, ...] | None:
        """The dotted name called (``("faker", "name")``), or None when the callee is not a name."""
        parts: list[str] = []
        node = self.func
        while isinstance(node, Attr):
            parts.append(node.name)
            node = node.obj
        if not isinstance(node, Name):
            return None
        parts.append(node.name)
        return tuple(reversed(parts))

    def kwarg(self, name: str) -> Expr | None:
        return next((k.value for k in self.kwargs if k.name == name), None)


@dataclass(frozen=True, slots=True)
class ListExpr(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    """Arithmetic (``+ - * / %``), comparisons (``== != < <= > >=``) and logic (``and or implies``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class In(Expr):
    operand: Expr
    container: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between(Expr):
    operand: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class IsNull(Expr):
    operand: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Determines(Expr):
    """Functional dependency ``city determines province``: equal left values imply equal right values."""

    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class If(Expr):
    cond: Expr
    then: Expr
    else_: Expr


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True, slots=True)
class TypeRef(Node):
    name: str
    args: tuple[int | float | str, ...] = ()
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Drawn(Node):
    expr: Expr


@dataclass(frozen=True, slots=True)
class Computed(Node):
    expr: Expr


@dataclass(frozen=True, slots=True)
class Ref(Node):
    table: str
    column: str


Generator = Drawn | Computed | Ref


@dataclass(frozen=True, slots=True)
class Column(Node):
    name: str
    type: TypeRef
    gen: Generator | None = None
    key: bool = False
    unique: bool = False
    nulls: float | None = None  # a fraction in [0, 1]
    clamp: tuple[Expr, Expr] | None = None
    round: int | None = None
    nulls_span: Span = _span()  # noqa: RUF009


@dataclass(frozen=True, slots=True)
class Multi(Node):
    """``(a, b, c) ~ model given x``: several columns filled by one model (later issues)."""

    columns: tuple[str, ...]
    model: str
    given: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule(Node):
    name: str
    expr: Expr


@dataclass(frozen=True, slots=True)
class RowsFixed(Node):
    count: Expr


@dataclass(frozen=True, slots=True)
class RowsClamp(Node):
    """``clamp(lo, hi)`` after a ``rows per`` draw: the drawn counts are cut to [lo, hi]."""

    low: Expr
    high: Expr


@dataclass(frozen=True, slots=True)
class RowsPer(Node):
    parent: str
    dist: Expr
    clamp: RowsClamp | None = None


@dataclass(frozen=True, slots=True)
class Table(Node):
    name: str
    rows: RowsFixed | RowsPer | None
    columns: tuple[Column, ...]
    multis: tuple[Multi, ...] = ()
    rules: tuple[Rule, ...] = ()
    extra_rows: tuple[RowsFixed | RowsPer, ...] = ()  # duplicates, reported by the checker


@dataclass(frozen=True, slots=True)
class Dataset(Node):
    name: str
    format: str
    path: str
    options: tuple[Kwarg, ...] = ()
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Seed(Node):
    value: int


@dataclass(frozen=True, slots=True)
class Locale(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Today(Node):
    """``today 2026-01-01``: the date clock-reading providers treat as today (text as written)."""

    value: str


@dataclass(frozen=True, slots=True)
class Import(Node):
    path: str


@dataclass(frozen=True, slots=True)
class Learn(Node):
    """``learn from DATASET (a, b, c) [weight COL]``: what a model learns from."""

    dataset: str
    columns: tuple[str, ...]
    weight: str | None = None
    column_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)
    dataset_span: Span = _span()  # noqa: RUF009
    weight_span: Span = _span()  # noqa: RUF009


@dataclass(frozen=True, slots=True)
class Focus(Node):
    """``focus COL``: the column analyses of the twin will predict (shapes a model's structure)."""

    column: str


@dataclass(frozen=True, slots=True)
class Privacy(Node):
    """``privacy epsilon E [delta D]`` or ``privacy none`` (``epsilon`` None)."""

    epsilon: float | None
    delta: float | None = None


@dataclass(frozen=True, slots=True)
class ModelOption(Node):
    """A line of a model block the kind reads: its first word and the words and numbers after it
    (a percentage as ``Percent``)."""

    name: str
    values: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Percent(Expr):
    value: int | float  # as written: ``1%`` is 1


@dataclass(frozen=True, slots=True)
class CptRow(Node):
    """``"winter": categorical(true: 0.3, false: 0.7)``: a row of a conditional table; ``key`` holds
    one value per parent, or is None for the ``else`` row."""

    key: tuple[Expr, ...] | None
    value: Expr


@dataclass(frozen=True, slots=True)
class NetNode(Node):
    """``node NAME [given a, b] ~ DIST`` or ``node NAME given a { rows }`` of a declared network."""

    name: str
    parents: tuple[str, ...] = ()
    dist: Expr | None = None
    rows: tuple[CptRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Model(Node):
    """``model NAME : KIND { ... }``; repeated lines are kept for the checker to report."""

    name: str
    kind: str
    learn: tuple[Learn, ...] = ()
    focus: tuple[Focus, ...] = ()
    privacy: tuple[Privacy, ...] = ()
    options: tuple[ModelOption, ...] = ()
    nodes: tuple[NetNode, ...] = ()
    kind_span: Span = _span()  # noqa: RUF009
    text: str = field(default="", compare=False, repr=False)  # the block as written (its key)


@dataclass(frozen=True, slots=True)
class Budget(Node):
    """``budget DATASET epsilon E [delta D]``: the most all models may spend on one dataset."""

    dataset: str
    epsilon: float
    delta: float | None = None


# ---------------------------------------------------------------- simulations
@dataclass(frozen=True, slots=True)
class SimUpdate(Node):
    """``bmi ~ bmi + normal(0, 0.4)`` or ``age = age + 1``: a state column's new value each step."""

    column: str
    expr: Expr
    drawn: bool = False


@dataclass(frozen=True, slots=True)
class TransRow(Node):
    """``"current" -> "former": 0.08``: the chance per step of moving from one state to another."""

    source: Expr
    target: Expr
    prob: Expr


@dataclass(frozen=True, slots=True)
class SimTransition(Node):
    """``smoking ~ transition { ... }``: a Markov step on a categorical state column."""

    column: str
    rows: tuple[TransRow, ...] = ()


@dataclass(frozen=True, slots=True)
class SimEmit(Node):
    """``emit visits [count N] [when COND]``: rows of a child table made at a step."""

    table: str
    count: Expr | None = None
    when: Expr | None = None
    table_span: Span = _span()  # noqa: RUF009


@dataclass(frozen=True, slots=True)
class SimStop(Node):
    cond: Expr


@dataclass(frozen=True, slots=True)
class SimStart(Node):
    """``start when COND`` or ``start at DATE`` (``start when step_date >= DATE``)."""

    cond: Expr
    on_date: bool = False  # `start at DATE`


@dataclass(frozen=True, slots=True)
class SimRecord(Node):
    """``record NAME every step``: a table of one row per entity per step it is active."""

    table: str


@dataclass(frozen=True, slots=True)
class Simulate(Node):
    """``simulate TABLE EVERY from A to B { ... }``; repeated lines are kept for the checker."""

    table: str
    unit: str  # day | week | month | year
    every: int
    start: Expr
    end: Expr
    updates: tuple[SimUpdate | SimTransition, ...] = ()  # in the order written
    emits: tuple[SimEmit, ...] = ()
    stops: tuple[SimStop, ...] = ()
    starts: tuple[SimStart, ...] = ()
    records: tuple[SimRecord, ...] = ()
    every_span: Span = _span()  # noqa: RUF009


Statement = Seed | Locale | Today | Dataset | Import | Table | Model | Budget | Simulate


@dataclass(frozen=True, slots=True)
class Module(Node):
    """One parsed file, statements in source order."""

    path: str
    statements: tuple[Statement, ...]


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node inside it, breadth first, in field order (spans are not nodes)."""
    queue: list = [node]
    i = 0
    while i < len(queue):
        n = queue[i]
        i += 1
        if isinstance(n, Node):
            yield n
            queue.extend(getattr(n, f) for f in n.__dataclass_fields__ if f != "span")
        elif isinstance(n, tuple):
            queue.extend(n)
