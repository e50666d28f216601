"""The sink protocol: Arrow batches in, finished files out, all or nothing.

Input: ``TableSchema``s (in parent-first order) and any number of ``write(table, batch)`` calls
with ``pyarrow.Table`` batches in schema column order, tables interleaved. Output: one or more
files in ``out_dir``, published by ``commit()``. Until then every byte goes to hidden temps beside
the targets, so a failed, aborted or interrupted run leaves any previous output untouched and no
partial file (a killed process can leave hidden ``.<name>.tmp-*`` files, never a partial target).

Every sink must produce the same bytes however the rows of a table are split into ``write`` calls
and however tables are interleaved: the engine promises byte-identical output for any chunk size.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Literal, Self

import pyarrow as pa
import pyarrow.compute as pc

from synthdsl._signals import signals_held
from synthdsl.errors import DataError
from synthdsl.schema import TableSchema
from synthdsl.sinks import _atomic

State = Literal["open", "committed", "aborted"]


class Sink(ABC):
    """Base of every output format.

    Subclasses implement ``_open`` (create temps via ``_temp``), ``_write`` (append one conformed,
    non-empty batch), ``_finish`` (flush buffers, validate, close handles) and ``_close`` (release
    handles without finishing; must be idempotent). The base class owns validation, the state
    machine, publishing and cleanup, so a format cannot forget to be atomic.

    Use as a context manager: an exception inside ``with``, or leaving it without ``commit()``,
    aborts, which deletes every temp and leaves no final file behind.
    """

    format: ClassVar[str]

    def __init__(self, out_dir: Path, schemas: Sequence[TableSchema]) -> None:
        self.out_dir = Path(out_dir)
        self._schemas: dict[str, TableSchema] = {}
        for s in schemas:
            _check_table_name(s.name)
            if s.name in self._schemas:
                raise ValueError(f"table '{s.name}' is given twice")
            self._schemas[s.name] = s
        self._arrow = {name: s.arrow_schema() for name, s in self._schemas.items()}
        self._rows = dict.fromkeys(self._schemas, 0)
        self._temps: dict[Path, Path] = {}  # final path -> temp published to it at commit
        self._scratch: list[Path] = []  # temps only deleted (never published)
        self._state: State = "open"
        self._created = _make_dir(self.out_dir)
        self._lock: int | None = None
        try:
            self._lock = _atomic.lock_folder(self.out_dir)
        except BaseException:
            self._remove_created()
            raise
        for name in self._schemas:  # a killed run (SIGKILL) could not clean up its temps
            for target in self._paths(name):
                _atomic.remove_stale_temps(target)
        try:
            self._open()
        except BaseException:
            self.abort()
            raise

    # -- public API --------------------------------------------------------------------------------

    @property
    def schemas(self) -> list[TableSchema]:
        """The table schemas, in the order given (parents first)."""
        return list(self._schemas.values())

    @property
    def row_counts(self) -> dict[str, int]:
        """Rows written so far per table (for the card)."""
        return dict(self._rows)

    def paths(self, table: str) -> list[Path]:
        """The final files holding ``table`` once committed (for the card's ``files``)."""
        self._schema(table)
        return self._paths(table)

    def write(self, table: str, batch: pa.Table) -> None:
        """Append rows to ``table``; any number of calls, any batch sizes, tables interleaved.

        Raises:
            KeyError: unknown table.
            ValueError: the batch's columns are not the schema's, in order, or cannot be cast to it.
            DataError: a null in a non-nullable column (names the column and the table's row index).
        """
        self._require_open("write")
        schema = self._schema(table)
        batch = self._conform(schema, batch)
        if batch.num_rows == 0:
            return
        self._write(table, batch)
        self._rows[table] += batch.num_rows

    def commit(
        self, extra: Callable[[list[Path]], Mapping[str, bytes]] | None = None
    ) -> list[Path]:
        """Finish every file and move it to its final name; returns the final paths in table order.

        ``extra`` is given the final data paths and returns more files (name -> bytes, e.g. the
        card) to publish *with* the data: all temps are complete before the first rename, and
        SIGINT/SIGTERM are held back during the renames, so the folder holds the old run's files
        or this run's, never a mix. On any error before the renames the sink aborts (no temp and no
        new final file remains). A rename that fails midway (disk gone) leaves the files renamed
        before it.
        """
        self._require_open("commit")
        try:
            self._finish()
            self._close()
            finals = list(self._temps)
            published_extra: list[Path] = []
            for name, data in (extra(finals) if extra is not None else {}).items():
                target = self.out_dir / name
                temp = self._temp(target)
                temp.write_bytes(data)
                published_extra.append(target)
            with signals_held():
                published = [_atomic.publish(temp, target) for target, temp in self._temps.items()]
                self._state = "committed"
        except BaseException as exc:
            if self._state == "committed":  # a signal held back during the renames: all done
                exc.output_complete = True  # type: ignore[attr-defined]
                self._release()
                raise
            self.abort()
            raise
        for path in self._scratch:
            _atomic.discard(path)
        _atomic.fsync_dir(self.out_dir)
        self._release()
        return [p for p in published if p not in published_extra]

    def abort(self) -> None:
        """Delete every temp, keep previous final files; safe to call any number of times."""
        if self._state != "open":
            return
        self._state = "aborted"
        try:
            self._close()
        except Exception:  # cleanup must continue; the original error matters more
            pass
        finally:
            for path in [*self._temps.values(), *self._scratch]:
                _atomic.discard(path)
            self._release()
            self._remove_created()

    def _release(self) -> None:
        if self._lock is not None:
            _atomic.unlock_folder(self.out_dir, self._lock)
            self._lock = None

    def _remove_created(self) -> None:
        for folder in self._created:  # a failed run leaves no trace, not even a folder
            try:
                folder.rmdir()
            except OSError:  # not empty (another process wrote there): leave it
                break

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == "open":
            self.abort()

    # -- for subclasses ----------------------------------------------------------------------------

    def _open(self) -> None:  # noqa: B027 - optional hook
        """Create temps and handles; called once from ``__init__``."""

    @abstractmethod
    def _write(self, table: str, batch: pa.Table) -> None:
        """Append one conformed, non-empty batch."""

    @abstractmethod
    def _finish(self) -> None:
        """Flush, validate and close everything so the temps are complete files."""

    @abstractmethod
    def _close(self) -> None:
        """Release open handles without finishing; idempotent."""

    @abstractmethod
    def _paths(self, table: str) -> list[Path]:
        """Final paths of ``table``."""

    def _temp(self, target: Path) -> Path:
        """A temp that ``commit`` publishes to ``target``."""
        temp = _atomic.create_temp(target)
        self._temps[target] = temp
        return temp

    def _scratch_file(self, target: Path) -> Path:
        """A hidden temp beside ``target`` that is deleted on commit and on abort."""
        temp = _atomic.create_temp(target, tag="stage")
        self._scratch.append(temp)
        return temp

    # -- internals ---------------------------------------------------------------------------------

    def _require_open(self, what: str) -> None:
        if self._state != "open":
            raise RuntimeError(f"cannot {what}: the {self.format} sink is already {self._state}")

    def _schema(self, table: str) -> TableSchema:
        try:
            return self._schemas[table]
        except KeyError:
            known = ", ".join(self._schemas) or "(none)"
            raise KeyError(f"unknown table '{table}'; the sink has: {known}") from None

    def _conform(self, schema: TableSchema, batch: pa.Table | pa.RecordBatch) -> pa.Table:
        """Check and cast ``batch`` to the table's Arrow schema, so every sink sees one type."""
        if isinstance(batch, pa.RecordBatch):
            batch = pa.Table.from_batches([batch])
        if batch.column_names != schema.names:
            raise ValueError(
                f"table '{schema.name}': batch columns {batch.column_names} "
                f"are not the schema's {schema.names}"
            )
        for col in schema.columns:
            data = batch.column(col.name)
            if not col.dtype.nullable and data.null_count:
                first = pc.index(pc.is_null(data), True).as_py()
                raise DataError(
                    f"table '{schema.name}': null in non-nullable column",
                    column=col.name,
                    row=self._rows[schema.name] + first + 1,  # 1-based, as in every message
                )
        target = self._arrow[schema.name]
        if batch.schema.equals(target, check_metadata=True):
            return batch
        try:
            return batch.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ValueError(f"table '{schema.name}': batch does not fit the schema: {e}") from e


def close_all(closers: Iterable[Callable[[], object]]) -> None:
    """Call every closer even if some fail, then raise the first failure.

    Why: a sink holds one handle per table; stopping at the first failing ``close`` would leak the
    rest and keep their temps open while ``abort`` tries to delete them.
    """
    first: BaseException | None = None
    for close in closers:
        try:
            close()
        except BaseException as e:
            first = first or e
    if first is not None:
        raise first


def _make_dir(out_dir: Path) -> list[Path]:
    """Create ``out_dir`` (and missing parents); returns the folders created, deepest first."""
    created = []
    folder = out_dir
    while not folder.exists() and folder != folder.parent:
        created.append(folder)
        folder = folder.parent
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DataError(f"output folder {out_dir} is a file, not a folder") from None
    except NotADirectoryError:
        raise DataError(f"output folder {out_dir} is inside a file, not a folder") from None
    except OSError as exc:
        raise DataError(f"output folder {out_dir} cannot be created: {exc.strerror}") from None
    return created


def _check_table_name(name: str) -> None:
    """Table names become file names: refuse names that escape ``out_dir`` or hide a file."""
    bad = not name or name.startswith(".") or any(c in name for c in "/\\\0")
    if bad:
        raise ValueError(f"table name {name!r} cannot be used as a file name")
