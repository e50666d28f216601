"""Random streams per (table, column, block).

Determinism rests on this module: every stream is seeded from the root seed and stable integers derived
from names (BLAKE2 digests, never ``hash()``, which Python salts per process) and the block index. A block
is a fixed number of rows (``BLOCK_ROWS``) that does not depend on the chunk size or the worker count, so
the same (table, column, block) always sees the same numbers, and adding a column leaves the other
columns' streams untouched (numpy ``SeedSequence`` spawning as in its parallel-generation guide).
"""

from __future__ import annotations

import hashlib

import numpy as np

BLOCK_ROWS = 16_384


def stable_int(value: str | int) -> int:
    """A 64-bit integer that is the same in every process, platform and Python version."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("stream keys must be non-negative")
        return value
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "little")


def seed_key(root_seed: int, *parts: str | int) -> list[int]:
    """The integer list a ``SeedSequence`` is built from; shippable to other processes as data."""
    return [stable_int(root_seed), *(stable_int(p) for p in parts)]


def stream(root_seed: int, *parts: str | int) -> np.random.Generator:
    """A generator for ``parts`` (e.g. table, column, block index, and a purpose such as ``"reject"``)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed_key(root_seed, *parts))))
