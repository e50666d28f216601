"""Execute: a runtime -> Arrow batches per table, in blocks, families in dependency order.

Input: a ``Runtime`` (a plan's tables built, datasets loaded). Output: for each table, Arrow batches in
block order, and run statistics for the card.

The unit of work is a *block*: ``block_rows`` rows of a root table plus all their descendants. Every
step draws from streams keyed by (table, step, block), so the bytes do not depend on how blocks are
grouped into chunks or spread over worker processes (``engines.local``). Tables that another family
references are kept in memory once generated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from synthdsl.check.model import toposort
from synthdsl.errors import DataError
from synthdsl.execute.blocks import Stats
from synthdsl.execute.runtime import Runtime
from synthdsl.values import Values, to_arrow
from synthdsl.values import concat as concat_values


def to_batch(rt: Runtime, table: str, cols: dict[str, Values]) -> pa.Table:
    t = rt.tables[table]
    arrays = []
    for c in t.plan.columns:
        try:
            arrays.append(to_arrow(cols[c.name], t.dtypes[c.name]))
        except (pa.ArrowException, ValueError, OverflowError) as exc:
            raise DataError(
                f"table '{table}': column '{c.name}' does not fit its type {t.dtypes[c.name]}: {exc}",
                column=c.name,
            ).at(t.spans.get(c.name)) from None
    return pa.Table.from_arrays(arrays, schema=rt.schema(table).arrow_schema())


def family_order(rt: Runtime) -> list[str]:
    """Root tables, each after the families whose tables it references."""
    deps: dict[str, set[str]] = {r: set() for r in rt.roots}
    for t in rt.plan.tables:
        for c in t.columns:
            if c.ref is not None and c.ref[0] != t.parent:
                a, b = rt.root_of(t.name), rt.root_of(c.ref[0])
                if a == b:
                    raise DataError(
                        f"table '{t.name}' references '{c.ref[0]}' inside its own family; "
                        "reference a table of another family"
                    )
                deps[a].add(b)
    order, _ = toposort({r: sorted(d) for r, d in deps.items()})
    return order


def sequential(rt: Runtime, root: str) -> bool:
    """A family with a table-wide rule, or with rows a simulation makes (numbered as they come),
    runs its blocks in order, in one process."""
    return any(rt.tables[t].plan.sequential or t in rt.streamed for t in rt.family(root))


def iter_batches(
    rt: Runtime,
    chunk_blocks: int = 8,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    pool_factory: Callable[[Runtime, int], object] | None = None,
) -> Iterator[tuple[str, pa.Table]]:
    """Yield (table, batch) in a deterministic order: families in order, chunks in block order."""
    rt.prepare()
    stats = rt.stats = Stats()
    state: dict = {}
    pool = pool_factory(rt, workers) if workers > 1 and pool_factory is not None else None
    try:
        for root in family_order(rt):
            family = rt.family(root)
            keep = {t for t in family if t in rt.materialize}
            kept: dict[str, list[dict[str, Values]]] = {t: [] for t in keep}
            n_blocks = rt.n_blocks(root)
            chunks = [
                range(s, min(s + chunk_blocks, n_blocks)) for s in range(0, n_blocks, chunk_blocks)
            ]
            if pool is None or sequential(rt, root):
                ensure_materialized(rt, root)  # what the pool's workers made, made here too
                results = (run_chunk(rt, root, ch, state) for ch in chunks)
            else:
                results = pool.map(root, chunks)
            for batches, chunk_stats, raw in results:
                stats.merge(chunk_stats)
                yield from batches
                for t in keep if raw is not None else ():
                    kept[t].append(raw[t])
                if progress:
                    progress(sum(b.num_rows for t, b in batches if t == root))
            for t in keep:
                if kept[t] or rt.n_blocks(root) == 0:
                    rt.materialized[t] = concat(kept[t], rt, t)
            for t in family:
                if t in rt.streamed:  # known now that its rows are made
                    rt.totals[t] = stats.rows.get(t, 0)
    except BaseException:
        if pool is not None:
            pool.abort()
        raise
    if pool is not None:
        pool.close()


def ensure_materialized(rt: Runtime, root: str) -> None:
    """In a worker: build the referenced tables a family needs (same bytes as the main process)."""
    if not rt.offsets:
        rt.prepare()
    for other in family_order(rt):
        if other == root:
            return
        need = [t for t in rt.family(other) if t in rt.materialize and t not in rt.materialized]
        if not need:
            continue
        _, _, raw = run_chunk(rt, other, range(rt.n_blocks(other)), {})
        for t in need:
            rt.materialized[t] = raw[t]


def concat(parts: list[dict[str, Values]], rt: Runtime, table: str) -> dict[str, Values]:
    return {
        c.name: concat_values([p[c.name] for p in parts]) for c in rt.tables[table].plan.columns
    }


def run_chunk(rt: Runtime, root: str, blocks: range, state: dict):
    """Blocks of one family: Arrow batches per table, the chunk's stats, and the raw columns of
    tables other families reference."""
    stats = Stats()
    family = rt.family(root)
    per_table: dict[str, list[dict[str, Values]]] = {t: [] for t in family}
    for k in blocks:
        out = rt.family_block(root, k, state, stats)
        for t in family:
            if t in out:
                per_table[t].append(out[t])
    batches = []
    raw = {}
    for t in family:
        merged = concat(per_table[t], rt, t)
        batches.append((t, to_batch(rt, t, merged)))
        if t in rt.materialize:
            raw[t] = merged
    return batches, stats, raw
