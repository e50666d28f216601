"""The plan's datasets, loaded by path and checked against the sha256 the plan was made with.

Input: a ``Plan`` and, in a worker, the datasets' bytes. Output: ``DatasetInfo`` per dataset. A plan run
without its spec (``generate --plan``) refuses a dataset whose bytes changed since the plan was made:
a lookup or a model would silently give other data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from synthdsl.errors import DataError
from synthdsl.expr.context import DatasetInfo
from synthdsl.expr.datasets import load
from synthdsl.plan.model import Plan


def read_bytes(plan: Plan) -> dict[str, bytes]:
    """Each dataset's bytes, read once (the main process ships them to workers)."""
    out = {}
    for d in plan.datasets:
        path = Path(d.path)
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise DataError(f"dataset '{d.name}': {d.path} is not a regular file")
        try:
            out[d.name] = path.read_bytes()
        except FileNotFoundError:
            raise DataError(
                f"dataset '{d.name}': file not found: {d.path} (the plan refers to it by this path)"
            ) from None
        except OSError as exc:
            raise DataError(f"dataset '{d.name}': cannot read {d.path}: {exc.strerror}") from None
    return out


def load_datasets(plan: Plan, data: dict[str, bytes] | None = None) -> dict[str, DatasetInfo]:
    data = read_bytes(plan) if data is None else data
    out = {}
    for d in plan.datasets:
        raw = data[d.name]
        sha = hashlib.sha256(raw).hexdigest()
        if sha != d.sha256:
            raise DataError(
                f"dataset '{d.name}' ({d.path}) changed since the plan was made: its sha256 is "
                f"{sha[:16]}..., the plan says {d.sha256[:16]}...; make the plan again "
                "(synthdsl plan SPEC --json) or restore the file"
            )
        try:
            out[d.name] = load(d.name, d.format, Path(d.path), dict(d.options), data=raw)
        except ValueError as exc:
            raise DataError(f"dataset '{d.name}': {exc}") from None
    return out
