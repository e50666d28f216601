"""The Python API: ``load``/``loads`` chain parse -> check, and ``Spec`` runs plan and execute.

A ``Spec`` is a checked spec; generating from it never re-parses. ``generate`` returns pandas DataFrames
(for tests and notebooks); ``write`` streams batches into a sink (for files and databases) so memory
stays flat however many rows are asked for; ``check_fixtures`` says whether files written earlier are
still what ``write`` would write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from synthdsl import __version__
from synthdsl.check.checker import check
from synthdsl.check.model import CheckedSpec
from synthdsl.errors import OptionError, SynthError, did_you_mean
from synthdsl.execute.run import Runtime, iter_batches
from synthdsl.execute.streams import BLOCK_ROWS
from synthdsl.plan.build import Plan, build
from synthdsl.source import SourceFile
from synthdsl.syntax.parse import parse

DEFAULT_CHUNK_ROWS = 8 * BLOCK_ROWS


class Spec:
    """A parsed and checked ``.synth`` spec."""

    def __init__(self, checked: CheckedSpec):
        self.checked = checked

    @property
    def tables(self) -> list[str]:
        return list(self.checked.tables)

    @property
    def seed(self) -> int:
        return self.checked.seed

    def plan(self) -> Plan:
        """The execution plan: steps in order and how each rule is enforced."""
        return build(self.checked)[0]

    def runtime(self, *, seed: int | None = None, rows: Mapping[str, int] | None = None) -> Runtime:
        rows = dict(rows or {})
        for name, n in rows.items():
            if name not in self.checked.tables:
                hint = did_you_mean(name, self.tables)
                raise OptionError(
                    f"names unknown table '{name}' (tables: {', '.join(self.tables)})"
                    + (f"; {hint}" if hint else ""),
                    option="rows=",
                )
            if self.checked.tables[name].parent:
                parent = self.checked.tables[name].parent
                raise OptionError(
                    f"sets table '{name}', which has rows per {parent}: "
                    f"set the rows of '{parent}' instead",
                    option="rows=",
                )
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise OptionError(
                    f"for '{name}' must be a whole number >= 0, got {n!r}", option="rows="
                )
        if seed is not None and (not isinstance(seed, int) or seed < 0):
            raise SynthError(f"seed must be a whole number >= 0, got {seed!r}")
        return Runtime.create(self.checked, seed, rows)

    def batches(
        self,
        *,
        seed: int | None = None,
        rows: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ):
        """Yield ``(table, pyarrow.Table)`` in deterministic order; also returns the runtime stats."""
        if chunk_size < 1:
            raise SynthError(f"chunk size must be >= 1, got {chunk_size}")
        if workers < 1:
            raise SynthError(f"workers must be >= 1, got {workers}")
        rt = self.runtime(seed=seed, rows=rows)
        chunk_blocks = max(1, -(-chunk_size // BLOCK_ROWS))
        self.last_runtime = rt
        yield from iter_batches(rt, chunk_blocks, workers, progress)

    def generate(
        self,
        *,
        seed: int | None = None,
        rows: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        workers: int = 1,
    ) -> dict[str, pd.DataFrame]:
        """Generate every table in memory, as pandas DataFrames keyed by table name."""
        parts: dict[str, list[pa.Table]] = {t: [] for t in self.tables}
        for table, batch in self.batches(
            seed=seed, rows=rows, chunk_size=chunk_size, workers=workers
        ):
            parts[table].append(batch)
        rt = self.last_runtime
        out = {}
        for t in self.tables:
            schema = rt.schema(t).arrow_schema()
            tbl = pa.concat_tables(parts[t]) if parts[t] else schema.empty_table()
            out[t] = tbl.to_pandas(types_mapper=_types_mapper)
        return out

    def write(
        self,
        out_dir: str | Path,
        *,
        format: str = "csv",
        seed: int | None = None,
        rows: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ):
        """Generate into files (atomically), with ``card.json`` and ``card.md``; returns the card."""
        from synthdsl.card import build as card_mod
        from synthdsl.card.markdown import write_card_md
        from synthdsl.card.model import write_card
        from synthdsl.sinks import open_sink

        rt0 = self.runtime(seed=seed, rows=rows)
        schemas = [rt0.schema(t) for t in self.tables]
        out = Path(out_dir)
        with open_sink(format, out, schemas) as sink:
            for table, batch in self.batches(
                seed=seed, rows=rows, chunk_size=chunk_size, workers=workers, progress=progress
            ):
                sink.write(table, batch)
            files = sink.commit()
        card = card_mod.build_card(self, self.last_runtime, format, files, out, chunk_size)
        write_card(out, card)
        write_card_md(out, card)
        return card

    def check_fixtures(
        self,
        out_dir: str | Path,
        *,
        format: str = "csv",
        seed: int | None = None,
        rows: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ):
        """Compare ``out_dir`` with what ``write`` would put there, writing nothing into it.

        For fixtures kept in a repository: ``assert spec.check_fixtures(d).ok`` fails when the
        files are stale. Returns a ``synthdsl.fixtures.FixtureCheck`` (``ok``, the entries that
        differ with their first differing row, ``render()`` for the summary).
        """
        from synthdsl.fixtures import check_fixtures

        return check_fixtures(
            self,
            out_dir,
            format=format,
            seed=seed,
            rows=rows,
            chunk_size=chunk_size,
            workers=workers,
            progress=progress,
        )


def _types_mapper(t: pa.DataType):
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    return None


def loads(text: str, path: str = "<string>") -> Spec:
    """Parse and check spec text; ``path`` is used in messages and to resolve relative files."""
    source = SourceFile(path, text)
    return Spec(check(parse(source), source))


def load(path: str | Path) -> Spec:
    """Parse and check a ``.synth`` file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SynthError(f"spec file not found: {p}") from None
    except UnicodeDecodeError:
        raise SynthError(f"spec file is not UTF-8 text: {p}") from None
    return loads(text, str(p))


__all__ = ["Spec", "__version__", "load", "loads"]
