"""Local worker processes for ``--workers N``.

Workers are *spawned* (not forked: forking a process that already runs Arrow's thread pools can
deadlock) and rebuild the runtime from the spec text, the seed and the row overrides: the plan ships as
data, never as pickled closures. Each task is one chunk of blocks of one family; results come back as
Arrow IPC bytes, in submission order, so the output is the same bytes as a single-process run.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

_RT = None


def _init(text: str, path: str, seed: int, rows: dict[str, int]) -> None:
    global _RT
    from synthdsl.api import loads
    from synthdsl.execute.run import prepare

    spec = loads(text, path)
    _RT = spec.runtime(seed=seed, rows=rows)
    prepare(_RT)


def _task(root: str, blocks: range, offsets) -> tuple[list[tuple[str, bytes]], object, dict]:
    from synthdsl.execute.run import _run_chunk, ensure_materialized

    ensure_materialized(_RT, root)
    batches, stats, raw = _run_chunk(_RT, root, blocks, offsets, {})
    out = []
    for table, batch in batches:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_table(batch)
        out.append((table, sink.getvalue().to_pybytes()))
    return out, stats, raw


class Pool:
    def __init__(self, rt, workers: int):
        spec = rt.spec
        main = next(iter(spec.sources.values()))
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(main, spec.path, rt.seed, {k: v for k, v in rt.rows.items()}),
        )

    def map(self, root: str, chunks: list[range], offsets):
        futures = [self.executor.submit(_task, root, ch, offsets) for ch in chunks]
        for fut in futures:
            raw_batches, stats, raw = fut.result()
            batches = [(t, pa.ipc.open_stream(b).read_all()) for t, b in raw_batches]
            yield batches, stats, raw

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
