"""The runtime: a plan's tables built once per process, and the services steps reach through ``ctx.env``.

Input: a ``Plan`` and its datasets (frames loaded and verified by sha256). Output: a ``Runtime`` holding
each table's built steps and rules, the row counts, the referenced tables kept in memory, per-block row
offsets, and the random source and rule policy (the engine's, or the Hypothesis strategies').
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synthdsl.errors import DataError, SynthError
from synthdsl.execute.blocks import ENGINE_POLICY, Block, Policy, Stats
from synthdsl.execute.finish import finish
from synthdsl.execute.tables import TableRun, build_table, span
from synthdsl.expr.context import Ctx, DatasetInfo
from synthdsl.plan.model import Plan, StepSpec
from synthdsl.schema import ColumnSchema, TableSchema
from synthdsl.source import SourceFile
from synthdsl.steps.base import BuildEnv, Emitted
from synthdsl.steps.source import ENGINE, EngineSource, InvalidParameter
from synthdsl.streams import key
from synthdsl.values import Values

# Rows of one table in one block (16,384 rows of its root table): beyond this a block's columns would
# not fit in memory, so a `rows per` that asks for more is an error, not an allocation failure.
MAX_BLOCK_ROWS = 50_000_000


class BlockEnv:
    """What a running step may ask of the run (``ctx.env``), for the block it runs in."""

    __slots__ = ("block", "rt")

    def __init__(self, rt: Runtime, block: Block):
        self.rt, self.block = rt, block

    @property
    def materialized(self) -> dict[str, dict[str, Values]]:
        return self.rt.materialized

    @property
    def totals(self) -> dict[str, int]:
        return self.rt.totals

    def unique_key(self, spec: StepSpec) -> list[int]:
        """The keyed permutation's key: the same for every block, so rows never collide."""
        return key(self.rt.seed, "unique", *spec.stream)

    def counts(self, step, ctx: Ctx) -> np.ndarray:
        """An emitting step's child rows per row of this block: what the counts pass drew."""
        return self.rt.child_counts(step, self.block.block, ctx.n)

    def child_rows(self, child: str) -> tuple[dict[str, Values], np.ndarray]:
        """A child table's rows of this block (emitted earlier in the block) and their parents."""
        return self.block.children[child]

    def finish_update(self, column: str, raw: Values, ctx: Ctx, span) -> Values:
        """A simulation's new value of a column: typed, rounded and clamped as the column says."""
        t = self.block.t
        try:
            return finish(raw, t.columns[column], t.dtypes[column], t.name, ctx, nulls=False)
        except SynthError as err:
            raise err.at(span) from None

    def count_redrawn(self, rule: str, n: int) -> None:
        """``n`` entities of this block redrawn for ``rule`` at a simulation step (for the card)."""
        stats = self.block.stats.redrawn
        key = (self.block.t.name, rule)
        stats[key] = stats.get(key, 0) + n

    def count_kept(self, rule: str, n: int) -> None:
        """``n`` entities kept their state at a step: no redraw of their updates met ``rule``."""
        kept = self.block.stats.kept
        key = (self.block.t.name, rule)
        kept[key] = kept.get(key, 0) + n


class Runtime:
    """See the module docstring."""

    def __init__(
        self,
        plan: Plan,
        datasets: dict[str, DatasetInfo],
        source_for: Callable[[str], SourceFile | None],
        *,
        source: EngineSource = ENGINE,
        policy: Policy = ENGINE_POLICY,
    ):
        self.plan = plan
        self.seed = plan.seed
        self.source = source
        self.policy = policy
        self.source_for = source_for
        env = BuildEnv(plan, datasets, source_for)
        with np.errstate(all="ignore"):  # constant folding: an overflow is reported by name later
            self.tables: dict[str, TableRun] = {t.name: build_table(t, env) for t in plan.tables}
        self.rows = {t.name: t.rows for t in plan.tables if t.rows is not None}
        self.children: dict[str, list[str]] = {t.name: [] for t in plan.tables}
        self.roots: list[str] = []
        for t in plan.tables:
            if t.parent:
                self.children[t.parent].append(t.name)
            else:
                self.roots.append(t.name)
        self.parents = {t.name: t.parent for t in plan.tables}
        # tables whose rows a simulation makes, and their descendants: their row numbers are known
        # only as the blocks run (in order, in one process), not from a counts pass
        self.streamed: set[str] = set()
        for t in plan.tables:  # parents come first
            if t.fed_by is not None or (t.parent is not None and t.parent in self.streamed):
                self.streamed.add(t.name)
        self.materialize = {
            c.ref[0]
            for t in plan.tables
            for c in t.columns
            if c.ref is not None and c.ref[0] != t.parent
        }
        self.materialized: dict[str, dict[str, Values]] = {}
        self.totals: dict[str, int] = {}
        self.offsets: dict[str, dict[str, np.ndarray]] = {}
        self.stats = Stats()
        self._out: dict[str, dict[str, Values]] = {}
        self._state: dict = {}
        self._stats = Stats()

    # ---- shape of the run
    def root_of(self, table: str) -> str:
        while self.parents[table]:
            table = self.parents[table]
        return table

    def family(self, root: str) -> list[str]:
        out = [root]
        for child in self.children[root]:
            out += self.family(child)
        return out

    def n_blocks(self, root: str) -> int:
        return -(-self.rows[root] // self.plan.block_rows)

    def schema(self, table: str) -> TableSchema:
        t = self.tables[table]
        cols = tuple(
            ColumnSchema(c.name, t.dtypes[c.name], c.key, c.unique, c.ref) for c in t.plan.columns
        )
        return TableSchema(table, cols)

    def env(self, block: Block) -> BlockEnv:
        return BlockEnv(self, block)

    # ---- child rows
    def emitter(self, parent: str, child: str):
        step = next(
            (s for s in self.tables[parent].steps if child in s.spec.emits),
            None,
        )
        if step is None or not hasattr(step, "count"):
            raise SynthError(
                f"table '{child}' has rows per '{parent}', but no step of '{parent}' says how many "
                "(a step kind that emits child rows needs a count(ctx) method)"
            )
        return step

    def child_counts(self, step, block: int, n_parent: int) -> np.ndarray:
        """Child rows per parent row of ``block``: from the child's own ``rows`` stream, so the
        counts pass and the block agree whatever order they run in; drawn through the run's
        random source (``source.counts``)."""
        child = step.spec.emits[0]
        words = key(self.seed, "rows", *step.spec.stream, block)
        src = self.source
        ctx = Ctx(n_parent, {}, np.arange(n_parent), words, {}, src.rng(words), {}, None, src, None)
        try:
            return src.counts(step, ctx)
        except (*InvalidParameter, ValueError, OverflowError, MemoryError) as exc:
            raise DataError(
                f"table '{child}': its rows per '{step.spec.table}' could not be drawn: {exc}"
            ).at(self.count_span(child)) from None

    def count_span(self, child: str):
        count = self.tables[child].plan.count
        return span(count.at if count is not None else None, self.source_for)

    def emit(self, block: Block, child: str, em: Emitted, cols, rows, related):
        """Generate a child table's rows for this block; returns them with their parent rows."""
        k = block.block
        root = self.root_of(child)
        idx = em.parent_index
        if child in self.streamed:  # rows a simulation made: numbered as the blocks run, in order
            running = self._state.setdefault(("rows",), {})
            start = running.get(child, 0)
            running[child] = start + len(idx)
        else:
            start = int(self.offsets[root][child][k])
            expected = self.child_counts(self.emitter(block.t.name, child), k, len(rows))
            if len(idx) != int(expected.sum()):
                raise SynthError(
                    f"a step of '{block.t.name}' emitted {len(idx)} rows into '{child}' in block "
                    f"{k}, but its count said {int(expected.sum())}"
                )
        crows = np.arange(start, start + len(idx), dtype=np.int64)
        parent = (cols, idx) if em.parent is None else (em.parent, np.arange(len(idx)))
        ccols = self.generate(child, k, crows, {block.t.name: parent}, em.columns, em.finished)
        return ccols, idx

    def generate(
        self, table: str, k: int, rows, related, preset, finished=frozenset()
    ) -> dict[str, Values]:
        """Block ``k`` of ``table`` (and, through its steps, its child tables' rows)."""
        blk = Block(self, self.tables[table], k, self._state.setdefault(table, {}), self._stats)
        cols = blk.generate(rows, dict(related), dict(preset), finished)
        self._out[table] = cols
        self._stats.rows[table] = self._stats.rows.get(table, 0) + len(rows)
        return cols

    def family_block(
        self, root: str, k: int, state: dict, stats: Stats
    ) -> dict[str, dict[str, Values]]:
        """Block k of a root table and all its descendants' rows."""
        self._out, self._state, self._stats = {}, state, stats
        br = self.plan.block_rows
        n = min(br, self.rows[root] - k * br)
        rows = np.arange(k * br, k * br + n, dtype=np.int64)
        self.generate(root, k, rows, {}, {})
        return self._out

    def count_pass(self, root: str) -> dict[str, np.ndarray]:
        """Rows per block for each table of a family (counts only), so child rows know offsets."""
        totals: dict[str, list[int]] = {name: [] for name in self.family(root)}
        br = self.plan.block_rows
        for k in range(self.n_blocks(root)):
            n = min(br, self.rows[root] - k * br)
            totals[root].append(n)
            stack = [(root, n)]
            while stack:
                parent, n_parent = stack.pop()
                for child in self.children[parent]:
                    if child in self.streamed:
                        continue  # counted as its rows are made
                    step = self.emitter(parent, child)
                    c = int(self.child_counts(step, k, n_parent).sum())
                    if c > MAX_BLOCK_ROWS:
                        raise DataError(
                            f"table '{child}' would have {c:,} rows for {n_parent:,} rows of "
                            f"'{parent}' (block {k}): more than {MAX_BLOCK_ROWS:,} rows of one "
                            "table per block of its root table; lower its rows per"
                        ).at(self.count_span(child))
                    totals[child].append(c)
                    stack.append((child, c))
        return {name: np.asarray(v, dtype=np.int64) for name, v in totals.items()}

    def prepare(self) -> None:
        """Row totals per block for every family; sets ``totals`` and ``offsets``."""
        for root in self.roots:
            per_block = self.count_pass(root)
            for name, arr in per_block.items():
                self.totals[name] = int(arr.sum())
            self.offsets[root] = {
                name: np.concatenate([[0], np.cumsum(arr)[:-1]]) if len(arr) else arr
                for name, arr in per_block.items()
            }
