"""Local worker processes for ``--workers N``: each gets the plan's JSON and the datasets' bytes once.

Workers are *spawned* (not forked: forking a process that already runs Arrow's thread pools can
deadlock). Nothing but plain data crosses the boundary: the plan as JSON text and the datasets' bytes
in, Arrow IPC bytes, counts and error descriptions out. A worker needs no spec file, no imported file
and no dataset on its disk. Each task is one chunk of blocks of one family; results come back in
submission order, so the output is the same bytes as a single-process run.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from synthdsl import errors
from synthdsl.execute.blocks import Stats
from synthdsl.execute.datasets import load_datasets
from synthdsl.execute.run import ensure_materialized, run_chunk
from synthdsl.execute.runtime import Runtime
from synthdsl.plan.model import Plan, Where

_RT: Runtime | None = None


def _init(plan_json: str, data: dict[str, bytes]) -> None:
    global _RT
    plan = Plan.from_json(plan_json)
    _RT = Runtime(plan, load_datasets(plan, data), lambda path: None)
    _RT.prepare()


def _task(root: str, blocks: range) -> dict:
    try:
        ensure_materialized(_RT, root)
        batches, stats, _ = run_chunk(_RT, root, blocks, {})
    except errors.SynthError as err:
        return {"error": _describe(err)}
    out = []
    for table, batch in batches:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_table(batch)
        out.append((table, sink.getvalue().to_pybytes()))
    redrawn = [(t, r, n) for (t, r), n in stats.redrawn.items()]
    return {"batches": out, "rows": dict(stats.rows), "redrawn": redrawn}


def _describe(err: errors.SynthError) -> dict:
    s = err.span
    where = None
    if s.line:
        where = [s.path, s.line, s.column, s.end_line, s.end_column]
    return {
        "type": type(err).__name__,
        "message": str(err),
        "column": getattr(err, "column", None),
        "row": getattr(err, "row", None),
        "rule": getattr(err, "rule", None),
        "where": where,
    }


def _rebuild(d: dict, source_for) -> errors.SynthError:
    cls = getattr(errors, d["type"], errors.SynthError)
    if not (isinstance(cls, type) and issubclass(cls, errors.SynthError)):
        cls = errors.SynthError
    err = cls.__new__(cls)
    errors.SynthError.__init__(err, d["message"])
    err.column, err.row, err.rule = d["column"], d["row"], d["rule"]
    if d["where"]:
        from synthdsl.execute.tables import span

        path, line, col, end_line, end_col = d["where"]
        w = Where(path=path, line=line, column=col, end_line=end_line, end_column=end_col)
        err.at(span(w, source_for))
    return err


class Pool:
    def __init__(self, rt: Runtime, workers: int, data: dict[str, bytes], source_for):
        self.source_for = source_for
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(rt.plan.model_dump_json(), data),
        )

    def map(self, root: str, chunks: list[range]):
        futures = [self.executor.submit(_task, root, ch) for ch in chunks]
        for fut in futures:
            res = fut.result()
            if "error" in res:
                raise _rebuild(res["error"], self.source_for)
            batches = [(t, pa.ipc.open_stream(b).read_all()) for t, b in res["batches"]]
            stats = Stats(dict(res["rows"]), {(t, r): n for t, r, n in res["redrawn"]})
            yield batches, stats, None

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
