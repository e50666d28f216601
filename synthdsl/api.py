"""The Python API: ``load``/``loads`` chain parse -> check, ``Spec`` runs its plan.

A ``Spec`` is a checked spec and the ``Plan`` built from it; generating never re-parses, and what runs is
the plan alone (``Spec.plan()`` is that value). ``load_plan`` makes the same object from a plan's JSON,
without the spec. ``generate`` returns pandas DataFrames (for tests and notebooks); ``write`` streams
batches into a sink (for files and databases) so memory stays flat however many rows are asked for;
``check_fixtures`` says whether files written earlier are still what ``write`` would write.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthdsl import __version__
from synthdsl._lazy import lazy
from synthdsl.check.checker import check
from synthdsl.check.model import CheckedSpec
from synthdsl.errors import DataError, OptionError, SynthError, did_you_mean
from synthdsl.expr.context import DatasetInfo
from synthdsl.source import SourceFile
from synthdsl.streams import BLOCK_ROWS
from synthdsl.syntax.parse import parse

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from synthdsl.execute.runtime import Runtime
    from synthdsl.plan.model import Plan
else:  # generating needs them; parsing and checking (``synthdsl check``) do not
    pd = lazy("pandas")
    pa = lazy("pyarrow")

DEFAULT_CHUNK_ROWS = 8 * BLOCK_ROWS


class Spec:
    """A checked ``.synth`` spec (or a plan loaded without one) and its plan."""

    def __init__(
        self,
        checked: CheckedSpec | None,
        plan: Plan | None = None,
        datasets: dict[str, DatasetInfo] | None = None,
    ):
        self.checked = checked
        self._built = plan  # built on first use: ``synthdsl check`` never needs it
        self._datasets = datasets if datasets is not None else dict(checked.datasets)
        self._sources: dict[str, SourceFile] = {}
        if checked is not None:
            for path, text in checked.sources.items():
                self._sources[path] = SourceFile(path, text)

    @property
    def _plan(self) -> Plan:
        if self._built is None:
            from synthdsl.plan.build import build

            with np.errstate(all="ignore"):  # constant folding, as in ``loads``
                self._built = build(self.checked)
        return self._built

    @property
    def tables(self) -> list[str]:
        if self._built is None and self.checked is not None:
            return list(self.checked.tables)  # the plan's order: parents and referenced first
        return [t.name for t in self._plan.tables]

    @property
    def seed(self) -> int:
        return self._plan.seed

    @property
    def path(self) -> str:
        if self.checked is not None:
            return self.checked.path
        return self._plan.spec_path or "<plan>"

    def plan(self) -> Plan:
        """The execution plan: steps in order and how each rule is enforced; exactly what runs."""
        return self._plan

    def source_for(self, path: str) -> SourceFile | None:
        """The spec text at ``path`` (for a caret in run-time messages), or None."""
        if path == "<string>":
            return self._sources.get(path)
        if self.checked is not None and self.checked.path != "<string>":
            path = os.path.normpath(Path(self.checked.path).parent / path)  # as the user typed it
        elif self.checked is None:  # a plan alone: its spec's folder, and only spec files
            if self._plan.spec_dir is None or not path.endswith(".synth"):
                return None
            path = os.path.normpath(Path(self._plan.spec_dir) / path)
        hit = self._sources.get(path)
        if hit is None:
            same = self._sources.get(str(Path(path).resolve()))
            if same is not None:  # keep the path as messages write it
                hit = self._sources[path] = SourceFile(path, same.text)
        if hit is None:
            try:
                hit = SourceFile.read(path)
            except (OSError, UnicodeDecodeError):
                return None
            self._sources[path] = hit
        return hit

    def runtime(
        self, *, seed: int | None = None, rows: Mapping[str, int] | None = None, **kw
    ) -> Runtime:
        rows = dict(rows or {})
        plan = self._plan
        for name, n in rows.items():
            if name not in self.tables:
                hint = did_you_mean(name, self.tables)
                raise OptionError(
                    f"names unknown table '{name}' (tables: {', '.join(self.tables)})"
                    + (f"; {hint}" if hint else ""),
                    option="rows=",
                )
            parent = plan.table(name).parent
            fed = plan.table(name).fed_by
            if fed:
                raise OptionError(
                    f"sets table '{name}', whose rows the simulation of '{fed}' makes: "
                    f"set the rows of '{fed}' instead",
                    option="rows=",
                )
            if parent:
                raise OptionError(
                    f"sets table '{name}', which has rows per {parent}: "
                    f"set the rows of '{parent}' instead",
                    option="rows=",
                )
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 2**63:
                raise OptionError(
                    f"for '{name}' must be a whole number >= 0, got {n!r}", option="rows="
                )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64
        ):
            raise OptionError(
                f"must be a whole number from 0 to 2**64 - 1, got {seed!r}", option="seed="
            )
        self._ensure_models()
        from synthdsl.execute.runtime import Runtime

        return Runtime(self._plan.with_seed(seed, rows), self._datasets, self.source_for, **kw)

    # ---- models
    def use_artifacts(self, folder: str | Path) -> Spec:
        """Read and write model artifacts in ``folder`` (default: ``.synthdsl/models`` beside the
        spec); returns the spec."""
        self._built = self._plan.with_artifacts(str(folder))
        return self

    def say(self, message: str) -> None:
        """Where the spec reports what it does unasked (fitting a missing model): stderr."""
        import sys

        print(f"synthdsl: {message}", file=sys.stderr)

    def fit(
        self,
        *,
        force: bool = False,
        progress: Callable[[str, str, float], None] | None = None,
    ) -> dict[str, str]:
        """Fit every model of the spec whose artifact is missing (or all, with ``force``); a stale
        artifact is refused unless ``force``. Returns model -> ``fitted`` or ``up to date``."""
        from synthdsl.models import artifacts
        from synthdsl.models.fit import fit_model, fitting

        out = {}
        for m in self._plan.models:
            if m.dataset is None:
                out[m.name] = "declared (nothing to fit)"
                continue
            with fitting(m):  # one fit at a time per artifact, across processes
                state = artifacts.status(m)
                if state == "ok" and not force:
                    out[m.name] = "up to date"
                    continue
                if state not in ("ok", "missing") and not force:
                    raise artifacts.ArtifactStale(state)
                fit_model(m, self._datasets, progress)
                out[m.name] = "fitted"
        return out

    def _ensure_models(self) -> None:
        if not self._plan.models:
            return
        from synthdsl.models.fit import ensure

        ensure(self._plan.models, self._datasets, say=self.say)

    def batches(
        self,
        *,
        seed: int | None = None,
        rows: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        workers: int = 1,
        progress: Callable[[int], None] | None = None,
    ):
        """Yield ``(table, pyarrow.Table)`` in deterministic order; ``last_runtime`` keeps the stats."""
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise SynthError(f"chunk size must be a whole number >= 1, got {chunk_size!r}")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise SynthError(f"workers must be a whole number >= 1, got {workers!r}")
        rt = self.runtime(seed=seed, rows=rows)
        chunk_blocks = max(1, -(-chunk_size // BLOCK_ROWS))
        self.last_runtime = rt
        from synthdsl.execute.run import iter_batches

        yield from iter_batches(rt, chunk_blocks, workers, progress, self._pool)

    def _pool(self, rt: Runtime, workers: int):
        from synthdsl.engines.local import Pool
        from synthdsl.execute.datasets import read_bytes

        return Pool(rt, workers, read_bytes(rt.plan), self.source_for)

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
        from synthdsl.card.build import build_card
        from synthdsl.card.markdown import CARD_MD_FILE, render_card_md
        from synthdsl.card.model import CARD_FILE, card_json
        from synthdsl.sinks import open_sink

        rt0 = self.runtime(seed=seed, rows=rows)
        schemas = [rt0.schema(t) for t in self.tables]
        out = Path(out_dir)
        cards = []

        def card_files(files: list[Path]) -> dict[str, bytes]:
            """The card, published with the data in one step (never an old card beside new data)."""
            rt = self.last_runtime
            card = build_card(rt.plan, rt, format, files, out, chunk_size)
            cards.append(card)
            return {
                CARD_FILE: card_json(card).encode("utf-8"),
                CARD_MD_FILE: render_card_md(card).encode("utf-8"),
            }

        with open_sink(format, out, schemas) as sink:
            for table, batch in self.batches(
                seed=seed, rows=rows, chunk_size=chunk_size, workers=workers, progress=progress
            ):
                try:
                    sink.write(table, batch)
                except DataError as err:  # a value the format cannot hold: point at its column
                    spans = self.last_runtime.tables[table].spans
                    raise err.at(spans.get(err.column) if err.column else None) from None
            sink.commit(card_files)
        return cards[0]

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
    # constant folding evaluates the spec's numbers with numpy: an overflow (``1e308 * 10``) is
    # reported by name at run time, never as numpy's warning
    with np.errstate(all="ignore"):
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


def load_plan(path: str | Path) -> Spec:
    """A plan written by ``synthdsl plan SPEC --json``, ready to run without the spec.

    Refuses a plan of another format and a dataset whose bytes changed since the plan was made.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SynthError(f"plan file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SynthError(f"plan file cannot be read: {p}: {exc}") from None
    from pydantic import ValidationError

    from synthdsl.plan.model import Plan
    from synthdsl.plan.validate import validate

    try:
        plan = Plan.from_json(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        why = (
            f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            if hasattr(exc, "msg")
            else "nested too deeply"
        )
        raise SynthError(f"{p} is not valid JSON: {why}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top)"
        raise SynthError(
            f"{p} is not a synthdsl plan: {where}: {first['msg']} "
            f"({exc.error_count()} problem(s); make it with: synthdsl plan SPEC --json)"
        ) from None
    validate(plan)
    from synthdsl.execute.datasets import load_datasets

    return Spec(None, plan, load_datasets(plan))


__all__ = ["Spec", "__version__", "load", "load_plan", "loads"]
