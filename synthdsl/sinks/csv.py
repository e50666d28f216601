"""CSV output: one ``<out>/<table>.csv`` per table, written by ``pyarrow.csv.CSVWriter``.

Input: conformed Arrow batches. Output: RFC 4180-style CSV with ``\\n`` line ends, a header line
once, strings always quoted (so an empty string ``""`` differs from a null, which is an empty
field), booleans ``true``/``false``, dates ``YYYY-MM-DD``, datetimes ``YYYY-MM-DD HH:MM:SS.ffffff``
(the RFC 3339 form, unquoted so CSV readers infer a timestamp), decimals with their exact digits
(``12.30``) and floats in shortest round-trip form (an integral float prints as ``1``).

Every value is rendered on its own and rows are appended in order, so the bytes do not depend on
how rows were split into batches. All options are spelled out rather than left to pyarrow's
defaults, so a pyarrow upgrade that changes a default cannot silently change the output.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from synthdsl.sinks.base import Sink, close_all

WRITE_OPTIONS = dict(
    include_header=True,
    delimiter=",",
    eol="\n",
    null_string="",
    quoting_style="needed",
    quoting_header="needed",
)


class CsvSink(Sink):
    """Writes each table to its own CSV file through a streaming ``CSVWriter``."""

    format = "csv"
    suffix = ".csv"

    def _open(self) -> None:
        self._writers: dict[str, pacsv.CSVWriter] = {}
        for name, schema in self._arrow.items():
            temp = self._temp(self._paths(name)[0])
            # The writer emits the header on construction, so a table that never gets a row still
            # ends up as a valid header-only file.
            self._writers[name] = pacsv.CSVWriter(
                str(temp), schema, write_options=pacsv.WriteOptions(**WRITE_OPTIONS)
            )

    def _paths(self, table: str) -> list[Path]:
        return [self.out_dir / f"{table}{self.suffix}"]

    def _write(self, table: str, batch: pa.Table) -> None:
        self._writers[table].write_table(batch)

    def _finish(self) -> None:
        self._close()

    def _close(self) -> None:
        writers = getattr(self, "_writers", {})
        closers = [w.close for w in writers.values()]
        writers.clear()
        close_all(closers)
