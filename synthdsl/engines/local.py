"""Local worker processes for ``--workers N``: each gets the plan's JSON and the datasets' bytes once.

Workers are *spawned* (not forked: forking a process that already runs Arrow's thread pools can
deadlock). Nothing but plain data crosses the boundary: the plan as JSON text and the datasets' bytes
in, Arrow IPC bytes, counts and error descriptions out. A worker needs no spec file, no imported file
and no dataset on its disk. Each task is one chunk of blocks of one family; results come back in
submission order, so the output is the same bytes as a single-process run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from synthdsl import errors
from synthdsl._signals import STOP, signals_held
from synthdsl.execute.blocks import Stats
from synthdsl.execute.datasets import load_datasets
from synthdsl.execute.run import ensure_materialized, run_chunk
from synthdsl.execute.runtime import Runtime
from synthdsl.plan.model import Plan, Where

_RT: Runtime | None = None
_STOP = set(STOP)  # what the main process handles for the whole pool
ABORT_WAIT = 30.0  # seconds an interrupted run waits for workers to finish their chunk


def _init(plan_json: str, data: dict[str, bytes], started) -> None:
    global _RT
    started.put(os.getpid())  # past start-up: the pool may be shut down now (see Pool.abort)
    # Ctrl-C in a terminal reaches the whole process group: only the main process handles it (it
    # stops the pool), so a worker never dies mid-result and leaves the main process waiting.
    for sig in _STOP:
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)  # blocked since its start
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


class _QuietProcess(multiprocessing.get_context("spawn").Process):
    """A worker process that starts with SIGINT blocked, which a new process inherits: a Ctrl-C
    that reaches the process group while a worker still imports the package must not kill it
    with a traceback. The main process handles Ctrl-C (blocking only delays it there) and stops
    the pool."""

    def start(self) -> None:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
        try:
            super().start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _Context(type(multiprocessing.get_context("spawn"))):
    Process = _QuietProcess


class Pool:
    def __init__(self, rt: Runtime, workers: int, data: dict[str, bytes], source_for):
        self.source_for = source_for
        ctx = _Context()
        self.started = ctx.SimpleQueue()
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_init,
            initargs=(rt.plan.model_dump_json(), data, self.started),
        )

    def map(self, root: str, chunks: list[range]):
        # Ctrl-C or SIGTERM inside the pool's bookkeeping (submitting starts the workers) would leave a
        # started worker unknown to the pool, never told to stop: the run would hang at exit.
        with signals_held():
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

    def _started_one(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if not self.started.empty():
                self.started.get()
                return True
            time.sleep(0.01)
        return False

    def abort(self) -> None:
        """Stop soon (Ctrl-C, SIGTERM, an error): cancel what is queued and let each worker finish
        the chunk it is on (they ignore Ctrl-C), so no result is cut off in the pipe the main
        process reads; a worker still busy after ``ABORT_WAIT`` seconds is killed."""
        processes = list(getattr(self.executor, "_processes", {}).values())  # no public handle
        deadline = time.monotonic() + ABORT_WAIT
        # A worker still starting up reads the pool's semaphores as it starts: shutting the pool
        # down under it would print its traceback. Wait until each has said it started.
        waiting = len(processes)
        while waiting and time.monotonic() < deadline and any(p.is_alive() for p in processes):
            if self._started_one(deadline):
                waiting -= 1
        self.executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
        for proc in processes:
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
