"""Column types of the language and how each is stored, written and declared.

A ``DType`` is the single source of truth for a column's representation: the numpy dtype the executor
computes in, the Arrow type sinks write, and the SQL type SQLite declares. Keeping all three here means a
new sink never has to guess how a ``decimal(10,2)`` or a nullable ``date`` should look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from synthdsl._lazy import lazy

if TYPE_CHECKING:
    import pyarrow as pa
else:
    pa = lazy("pyarrow")

Kind = Literal["int", "float", "decimal", "bool", "text", "date", "datetime", "enum"]

NUMERIC_KINDS = frozenset({"int", "float", "decimal"})
TEXT_KINDS = frozenset({"text", "enum"})
TIME_KINDS = frozenset({"date", "datetime"})


@dataclass(frozen=True, slots=True)
class DType:
    """A column type; ``nullable`` is the ``?`` suffix."""

    kind: Kind
    nullable: bool = False
    precision: int | None = None
    scale: int | None = None
    values: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.kind == "decimal":
            s = f"decimal({self.precision},{self.scale})"
        elif self.kind == "enum":
            s = "enum(" + ", ".join(f'"{v}"' for v in (self.values or ())) + ")"
        else:
            s = self.kind
        return s + ("?" if self.nullable else "")

    def with_nullable(self, nullable: bool) -> DType:
        return DType(self.kind, nullable, self.precision, self.scale, self.values)

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS

    def numpy_dtype(self) -> np.dtype:
        """The dtype the executor computes in (decimals compute as float64, rounded to ``scale``)."""
        return {
            "int": np.dtype(np.int64),
            "float": np.dtype(np.float64),
            "decimal": np.dtype(np.float64),
            "bool": np.dtype(np.bool_),
            "text": np.dtype(object),
            "enum": np.dtype(object),
            "date": np.dtype("datetime64[D]"),
            "datetime": np.dtype("datetime64[us]"),
        }[self.kind]

    def arrow_type(self) -> pa.DataType:
        """The Arrow type sinks write (Parquet keeps decimals exact as decimal128)."""
        if self.kind == "decimal":
            return pa.decimal128(self.precision or 18, self.scale or 0)
        return {
            "int": pa.int64(),
            "float": pa.float64(),
            "bool": pa.bool_(),
            "text": pa.string(),
            "enum": pa.string(),
            "date": pa.date32(),
            "datetime": pa.timestamp("us"),
        }[self.kind]

    def sql_type(self) -> str:
        """The declared SQL type (SQLite affinity names that other databases also accept)."""
        if self.kind == "decimal":
            # NUMERIC at every precision: SQLite then compares and adds the values as numbers. The
            # SQLite sink refuses a value its 64-bit INTEGER/REAL cannot hold exactly.
            return f"NUMERIC({self.precision},{self.scale})"
        return {
            "int": "INTEGER",
            "float": "REAL",
            "bool": "BOOLEAN",
            "text": "TEXT",
            "enum": "TEXT",
            "date": "DATE",
            "datetime": "TIMESTAMP",
        }[self.kind]


INT = DType("int")
FLOAT = DType("float")
BOOL = DType("bool")
TEXT = DType("text")
DATE = DType("date")
DATETIME = DType("datetime")
