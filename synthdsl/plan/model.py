"""The plan as data: a frozen pydantic value of typed steps, the only thing the executor runs.

Input: nothing (plain models). Output: ``Plan`` and its parts. ``synthdsl plan --json`` prints this value,
``synthdsl generate --plan`` runs it without the spec, and a worker process gets it as JSON. So every
step names its kind (a registry key), its outputs, its typed inputs, its stream and its parameters, with
expressions as their AST in JSON (``synthdsl.syntax.ast_json``) and datasets by path and sha256: no
closures, no spec text, nothing pickled.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synthdsl.dtypes import DType

PLAN_FORMAT = "synthdsl.plan/1"
StreamInt = Annotated[int, Field(ge=0, lt=2**64)]  # a stream key part: 64 bits at most


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Where(_Frozen):
    """A place in a spec file, for run-time messages (``file:line:col`` and, with the file, a caret)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


class DTypeSpec(_Frozen):
    kind: Literal["int", "float", "decimal", "bool", "text", "date", "datetime", "enum"]
    nullable: bool = False
    precision: int | None = Field(default=None, ge=1, le=38)
    scale: int | None = Field(default=None, ge=0, le=38)
    values: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _complete(self) -> DTypeSpec:
        if self.kind == "decimal" and (
            self.precision is None or self.scale is None or self.scale > self.precision
        ):
            raise ValueError("a decimal needs precision and scale, with scale <= precision")
        if self.kind == "enum" and not self.values:
            raise ValueError("an enum needs its values")
        return self

    @classmethod
    def of(cls, d: DType) -> DTypeSpec:
        return cls(
            kind=d.kind, nullable=d.nullable, precision=d.precision, scale=d.scale, values=d.values
        )

    def dtype(self) -> DType:
        return DType(self.kind, self.nullable, self.precision, self.scale, self.values)  # type: ignore[arg-type]


class Input(_Frozen):
    """What a step reads. ``column``: a column of the same row; ``parent``/``related``: a column of
    the parent row or of a referenced row; ``aggregate``: a child table's rows summarized per row;
    ``dataset``; ``artifact``: a fitted model's file."""

    kind: Literal["column", "parent", "related", "aggregate", "dataset", "artifact"]
    name: str
    table: str | None = None


class StepSpec(_Frozen):
    """One step of a table: fills ``outputs`` for a block's rows (and may emit child rows)."""

    id: str
    kind: str
    table: str
    outputs: tuple[str, ...]
    inputs: tuple[Input, ...] = ()
    stream: tuple[str | StreamInt, ...] = ()
    params: dict[str, Any] = {}
    late: bool = False  # runs after the child rows this table aggregates
    emits: tuple[str, ...] = ()  # child tables whose rows this step makes
    updates: bool = False  # its outputs are columns earlier steps filled: it changes them
    describe: str = ""  # one line for the text plan
    details: tuple[str, ...] = ()  # more lines for the text plan, under the step's line


class ColumnSpec(_Frozen):
    """A column's type and finishing (applied by the block loop to whatever step fills it)."""

    name: str
    dtype: DTypeSpec
    key: bool = False
    unique: bool = False
    ref: tuple[str, str] | None = None
    clamp: tuple[float, float] | None = None
    round: int | None = Field(default=None, ge=0, le=15)
    nulls: float = Field(default=0.0, ge=0.0, le=1.0)
    generator: str = ""  # the spec text that gives its value (card, messages)
    at: Where | None = None


class RuleSpec(_Frozen):
    """A rule and how it is enforced: by construction (verified) or by redrawing ``redraw`` steps."""

    name: str
    kind: Literal["row", "unique", "determines"]
    columns: tuple[str, ...]
    expr: Any = None  # AST JSON of a row rule
    enforcement: str
    by_construction: str | None = None
    redraw: tuple[str, ...] = ()  # step ids redrawn for failing rows (all outputs of each)
    late: bool = False
    at: Where | None = None


class CountSpec(_Frozen):
    """How many rows a child table has per parent row (``rows per P ~ DIST``)."""

    expr: Any
    clamp: tuple[int, int] | None = None
    text: str = ""
    at: Where | None = None


class TablePlan(_Frozen):
    name: str
    rows: int | None = Field(default=None, ge=0, lt=2**63)
    parent: str | None = None
    count: CountSpec | None = None
    sequential: bool = False  # a table-wide rule (unique, determines) needs blocks in order
    fed_by: str | None = None  # the simulated table whose simulation makes this table's rows
    columns: tuple[ColumnSpec, ...]
    steps: tuple[StepSpec, ...]
    rules: tuple[RuleSpec, ...] = ()

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


class DatasetRef(_Frozen):
    name: str
    path: str  # absolute, as resolved at check time
    display: str  # as written in the spec
    sha256: str
    format: str
    options: dict[str, Any] = {}
    columns: dict[str, str] = {}
    rows: int = 0


class MechanismSpec(_Frozen):
    """One differentially private release inside a model's fit, and its share of the budget."""

    name: str
    what: str  # what it releases, in words
    epsilon: float = Field(ge=0.0)
    delta: float = Field(default=0.0, ge=0.0, lt=1.0)


class ModelColumnSpec(_Frozen):
    """A column a model learns: its type as the spec declares it (the table's, else the dataset's),
    and the declared bounds (a column's ``clamp``), which are public and cost no budget."""

    name: str
    dtype: DTypeSpec
    clamp: tuple[float, float] | None = None
    round: int | None = None


class ModelSpec(_Frozen):
    """A model of the spec: what it learns, its privacy, its options (validated by its kind), and
    the artifact it is fitted into, named by ``key`` (sha256 over the dataset's bytes, the model
    block's text, the columns' declarations, the columns it is drawn given, the engine version)."""

    name: str
    kind: str
    dataset: str | None = None
    dataset_sha256: str = ""
    columns: tuple[ModelColumnSpec, ...] = ()
    given: tuple[str, ...] = ()
    weight: str | None = None
    focus: str | None = None
    epsilon: float | None = None  # None: `privacy none`
    delta: float | None = None
    options: dict[str, Any] = {}
    # the drawing table's row rules over the model's columns: the fit counts the training rows
    # that break each (a DP count when the model is private); {"name", "expr" (AST JSON)}
    rules: tuple[dict[str, Any], ...] = ()
    text: str = ""  # the model block as written
    key: str = ""
    key_parts: dict[str, str] = {}
    artifact: str = ""  # the artifact's folder (absolute)
    mechanisms: tuple[MechanismSpec, ...] = ()
    at: Where | None = None

    def column(self, name: str) -> ModelColumnSpec:
        return next(c for c in self.columns if c.name == name)


class BudgetSpec(_Frozen):
    """``budget DATASET epsilon E [delta D]`` and what the spec's models spend on the dataset."""

    dataset: str
    epsilon: float
    delta: float = 0.0
    spent_epsilon: float = 0.0
    spent_delta: float = 0.0


class Plan(_Frozen):
    format: Literal["synthdsl.plan/1"] = PLAN_FORMAT
    synthdsl_version: str
    spec_sha256: str
    spec_path: str | None = None
    spec_dir: str | None = None  # the spec's folder (absolute): where messages find its text
    seed: int = Field(ge=0, lt=2**64)
    locale: str
    # The reference date clock-reading providers use (the spec's `today`), never the machine's.
    today: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    block_rows: int = Field(ge=1)
    datasets: tuple[DatasetRef, ...] = ()
    models: tuple[ModelSpec, ...] = ()
    budgets: tuple[BudgetSpec, ...] = ()
    tables: tuple[TablePlan, ...]

    def table(self, name: str) -> TablePlan:
        return next(t for t in self.tables if t.name == name)

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        """A plan from its JSON text. Python's parser reads it, then pydantic validates the value:
        pydantic's own JSON parser stops at 200 levels of nesting, and an expression's AST at the
        language's depth limit nests deeper than that."""
        return cls.model_validate(json.loads(text))

    def model(self, name: str) -> ModelSpec:
        return next(m for m in self.models if m.name == name)

    def with_artifacts(self, folder: str) -> Plan:
        """The same plan with every model's artifact in ``folder`` (``--artifacts DIR``)."""
        from pathlib import Path

        base = Path(folder).resolve()
        models = tuple(
            m.model_copy(update={"artifact": str(base / Path(m.artifact).name)})
            for m in self.models
        )
        return self.model_copy(update={"models": models})

    def to_text(self) -> str:
        from synthdsl.plan.text import plan_text

        return plan_text(self)

    def with_seed(self, seed: int | None, rows: dict[str, int] | None = None) -> Plan:
        """The same plan with another seed or root-table row counts (``--seed``, ``--rows``)."""
        tables = self.tables
        if rows:
            tables = tuple(
                t.model_copy(update={"rows": rows[t.name]}) if t.name in rows else t for t in tables
            )
        return self.model_copy(
            update={"seed": self.seed if seed is None else seed, "tables": tables}
        )
