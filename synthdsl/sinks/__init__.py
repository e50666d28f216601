"""Output sinks: Arrow batches from the executor in, CSV / JSONL / Parquet / SQLite files out.

Input: the run's ``TableSchema``s (parents first) and ``write(table, batch)`` calls in any chunking.
Output: files in ``out_dir``, published atomically by ``commit()``, byte-identical for any chunking.
``open_sink`` is the one entry point the engine and the CLI use; ``SINKS`` lists the formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from synthdsl.schema import TableSchema
from synthdsl.sinks.base import Sink
from synthdsl.sinks.csv import CsvSink
from synthdsl.sinks.jsonl import JsonlSink
from synthdsl.sinks.parquet import ParquetSink
from synthdsl.sinks.sqlite import SqliteSink

SINKS: dict[str, type[Sink]] = {
    "csv": CsvSink,
    "jsonl": JsonlSink,
    "parquet": ParquetSink,
    "sqlite": SqliteSink,
}

__all__ = ["SINKS", "CsvSink", "JsonlSink", "ParquetSink", "Sink", "SqliteSink", "open_sink"]


def open_sink(format: str, out_dir: Path, schemas: Sequence[TableSchema]) -> Sink:
    """Open the sink for ``format`` (a key of ``SINKS``) writing into ``out_dir``.

    ``out_dir`` is created if missing; nothing in it changes until ``commit()``.

    Raises:
        ValueError: unknown format; the message lists the choices so the CLI can show it as is.
    """
    try:
        cls = SINKS[format]
    except KeyError:
        choices = ", ".join(sorted(SINKS))
        raise ValueError(f"unknown output format {format!r}; choose one of: {choices}") from None
    return cls(Path(out_dir), schemas)
