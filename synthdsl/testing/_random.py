"""A numpy ``Generator`` stand-in whose uniform draws come from Hypothesis, so they shrink.

The engine's closures draw through ``ctx.rng``, which the strategies' random source
(``_source.HypothesisSource.rng``) makes one of these. Then ``random()`` and scalar-bounded
``integers()`` (what categorical expressions, lookups' random rows and uniform draws inside
expressions use) become Hypothesis draws, one per row: a failing example shrinks them towards 0,
that is towards the first label or row. Every other method (``normal``, ``poisson``, ``choice``, ...) goes to a real numpy ``Generator``
seeded by a Hypothesis-drawn integer, so those values are still reproducible from the example, and
still valid, though they shrink only as far as their seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

UNIT = st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False)
SEEDS = st.integers(0, 2**64 - 1)
# Above this many values in one call, draw a seed instead (Hypothesis caps the data of one example).
MAX_NATIVE = 256


def _count(size: Any) -> int | None:
    """The number of values a ``size`` asks for, when it is a plain count (None: a scalar)."""
    if size is None:
        return None
    if isinstance(size, int | np.integer):
        return int(size)
    if isinstance(size, tuple) and len(size) == 1 and isinstance(size[0], int | np.integer):
        return int(size[0])
    return -1


class HypothesisRandom:
    """``random`` and ``integers`` drawn by Hypothesis; anything else from a seeded ``Generator``."""

    def __init__(self, draw):
        self._draw = draw
        self._gen: np.random.Generator | None = None

    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None) -> Any:
        n = _count(size)
        if out is not None or n == -1 or (n is not None and n > MAX_NATIVE):
            return self._seeded().random(size, dtype=dtype, out=out)
        if n is None:
            return self._draw(UNIT)
        return np.array([self._draw(UNIT) for _ in range(n)], dtype=dtype)

    def integers(
        self, low: Any, high: Any = None, size: Any = None, dtype: Any = np.int64, endpoint=False
    ) -> Any:
        if high is None:
            low, high = 0, low
        n = _count(size)
        if np.ndim(low) or np.ndim(high) or n == -1 or (n is not None and n > MAX_NATIVE):
            return self._seeded().integers(low, high, size, dtype=dtype, endpoint=endpoint)
        top = int(high) if endpoint else int(high) - 1
        values = st.integers(int(low), top)
        if n is None:
            return self._draw(values)
        return np.array([self._draw(values) for _ in range(n)], dtype=dtype)

    def _seeded(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = np.random.default_rng(self._draw(SEEDS))
        return self._gen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._seeded(), name)
