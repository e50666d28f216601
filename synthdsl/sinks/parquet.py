"""Parquet output: one ``<out>/<table>.parquet`` per table, via ``pyarrow.parquet.ParquetWriter``.

Input: conformed Arrow batches. Output: Parquet files with the Arrow schema stored (decimals as
exact ``decimal128``, dates ``date32``, datetimes ``timestamp[us]``), zstd-compressed, with row
groups of exactly ``ROW_GROUP_ROWS`` rows and one shorter last group.

Why buffer: ParquetWriter starts a row group per ``write_table`` call and splits pages by the
chunks it is handed, so writing batches as they come would make the file depend on the chunk size.
Rows are therefore collected per table and each row group is written from one contiguous table of a
fixed row count. Every writer option is pinned, and Parquet metadata carries no timestamps, so
equal rows give equal bytes (for the same pyarrow version, whose name is in the ``created_by``
field).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synthdsl.sinks.base import Sink, close_all

ROW_GROUP_ROWS = 131_072
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3
WRITER_OPTIONS = dict(
    version="2.6",
    data_page_version="1.0",
    use_dictionary=True,
    write_statistics=True,
    compression=COMPRESSION,
    compression_level=COMPRESSION_LEVEL,
    data_page_size=1 << 20,
    write_batch_size=1024,
    dictionary_pagesize_limit=1 << 20,
    store_schema=True,
    write_page_index=False,
    write_page_checksum=False,
    use_byte_stream_split=False,
    use_compliant_nested_type=True,
    coerce_timestamps=None,
)


class ParquetSink(Sink):
    """Writes each table to its own Parquet file in fixed-size row groups."""

    format = "parquet"
    suffix = ".parquet"

    def _open(self) -> None:
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: dict[str, list[pa.Table]] = {name: [] for name in self._schemas}
        self._pending_rows = dict.fromkeys(self._schemas, 0)
        for name, schema in self._arrow.items():
            temp = self._temp(self._paths(name)[0])
            self._writers[name] = pq.ParquetWriter(str(temp), schema, **WRITER_OPTIONS)

    def _paths(self, table: str) -> list[Path]:
        return [self.out_dir / f"{table}{self.suffix}"]

    def _write(self, table: str, batch: pa.Table) -> None:
        self._pending[table].append(batch)
        self._pending_rows[table] += batch.num_rows
        if self._pending_rows[table] >= ROW_GROUP_ROWS:
            self._flush(table, final=False)

    def _flush(self, table: str, *, final: bool) -> None:
        """Write every full row group buffered for ``table`` (and, if ``final``, the remainder)."""
        pending = self._pending[table]
        if not pending:
            return
        rows = pa.concat_tables(pending)
        writer = self._writers[table]
        start = 0
        while rows.num_rows - start >= ROW_GROUP_ROWS or (final and start < rows.num_rows):
            group = rows.slice(start, ROW_GROUP_ROWS).combine_chunks()
            writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
            start += group.num_rows
        rest = rows.slice(start)
        self._pending[table] = [rest] if rest.num_rows else []
        self._pending_rows[table] = rest.num_rows

    def _finish(self) -> None:
        for table in self._schemas:
            self._flush(table, final=True)
        self._close()

    def _close(self) -> None:
        writers = getattr(self, "_writers", {})
        closers = [w.close for w in writers.values()]
        writers.clear()
        self._pending = {}
        close_all(closers)
