"""Random streams: purpose-tagged, fixed-width keys for ``numpy.random.SeedSequence``.

Determinism rests on this module. Every random draw of a run comes from a generator seeded with
``key(root, purpose, *parts)``, where ``purpose`` says what the numbers are for (values drawn, null
masks, provider calls, row counts, rejection redraws, ...) and ``parts`` name the table, the step, the
block and so on. Two different keys must never give the same generator, so the key is an injective
encoding into 32-bit words: a version word, the root seed as two words, the purpose's code, the number
of parts, then each part as three words (a type word and 64 bits: a BLAKE2 digest of a name, or an
integer below 2**64). Variable-width words would let ``[2**32]`` and ``[0, 1]`` meet, and SeedSequence
pads short entropy with zeros, so ``[1]`` and ``[1, 0]`` would meet too; the part count and the fixed
width rule out both. Names are digested with BLAKE2 (never ``hash()``, which Python salts per process).
A block is a fixed number of rows (``BLOCK_ROWS``), independent of the chunk size and worker count, so
the same (table, step, block) always sees the same numbers.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

BLOCK_ROWS = 16_384
KEY_VERSION = 2  # the first word of every key: a new encoding gets a new number

# Each purpose's code; a new purpose takes a new number, never a used one.
PURPOSES: dict[str, int] = {
    "draw": 1,  # a step's values
    "nulls": 2,  # a column's `nulls p%` mask
    "provider": 3,  # an identifier provider's calls inside an expression
    "rows": 4,  # child row counts (`rows per`)
    "reject": 5,  # a redraw of failing rows: wraps the purpose of the stream it replaces
    "unique": 6,  # a keyed permutation for `unique` providers (same for every block)
    "model": 7,  # a model step's samples
    "sim": 8,  # a simulation step's draws
    "test": 9,  # reserved for the test suite's own step kinds
}
_STR, _INT = 1, 2
_MASK = 0xFFFFFFFF


@functools.lru_cache(maxsize=4096)
def _name_part(value: str) -> tuple[int, int, int]:
    """A name's three words (cached: a simulation keys thousands of streams by the same names)."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    word = int.from_bytes(digest, "little")
    return _STR, word & _MASK, word >> 32


def _part(value: str | int) -> tuple[int, int, int]:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"a stream key part is a name or an integer, got {value!r}")
    if isinstance(value, str):
        return _name_part(value)
    if not 0 <= value < 2**64:
        raise ValueError(f"a stream key integer must be in [0, 2**64), got {value}")
    return _INT, value & _MASK, value >> 32


def key(root: int, purpose: str, *parts: str | int) -> list[int]:
    """The 32-bit words a ``SeedSequence`` is built from; plain data, so it ships to workers."""
    code = PURPOSES.get(purpose)
    if code is None:
        raise ValueError(f"unknown stream purpose {purpose!r} (known: {', '.join(PURPOSES)})")
    _, lo, hi = _part(root)
    words = [KEY_VERSION, lo, hi, code, len(parts)]
    for p in parts:
        words.extend(_part(p))
    return words


def extend(words: list[int], *parts: str | int) -> list[int]:
    """``key(root, purpose, *old, *parts)`` from ``words = key(root, purpose, *old)``: the same
    words, without encoding the old parts again (the part count is the fifth word)."""
    out = list(words)
    out[4] += len(parts)
    for p in parts:
        out.extend(_part(p))
    return out


def generator(words: list[int]) -> np.random.Generator:
    """A PCG64 generator for a key made by ``key``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def stream(root: int, purpose: str, *parts: str | int) -> np.random.Generator:
    """``generator(key(root, purpose, *parts))``."""
    return generator(key(root, purpose, *parts))


class Streams:
    """The streams of one step for one block: ``for_(purpose, *extra)`` gives a key.

    ``parts`` name the step's place (table, step id, block); ``redo`` is ``(attempt, rule index)``
    while failing rows are redrawn, and then every purpose moves under ``reject``, so a redraw never
    repeats the numbers it replaces.
    """

    __slots__ = ("parts", "redo", "root")

    def __init__(self, root: int, parts: tuple[str | int, ...], redo: tuple[int, ...] = ()):
        self.root, self.parts, self.redo = root, parts, redo

    def for_(self, purpose: str, *extra: str | int) -> list[int]:
        if self.redo:
            return key(self.root, "reject", purpose, *self.parts, *extra, *self.redo)
        return key(self.root, purpose, *self.parts, *extra)

    def redraw(self, attempt: int, rule: int) -> Streams:
        return Streams(self.root, self.parts, (attempt, rule))
