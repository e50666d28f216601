"""Output schemas: what sinks need to know about a table, independent of how it is generated.

Sinks see only these values and Arrow batches, never the AST or the plan, so a sink can be written,
tested and reused (by the evaluator, by the test tooling) without the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from synthdsl.dtypes import DType


@dataclass(frozen=True, slots=True)
class ColumnSchema:
    name: str
    dtype: DType
    key: bool = False
    unique: bool = False
    ref: tuple[str, str] | None = None  # (parent table, parent key column)


@dataclass(frozen=True, slots=True)
class TableSchema:
    name: str
    columns: tuple[ColumnSchema, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSchema:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def key(self) -> ColumnSchema | None:
        return next((c for c in self.columns if c.key), None)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(c.name, c.dtype.arrow_type(), nullable=c.dtype.nullable)
                for c in self.columns
            ]
        )
