"""The range of values a distribution draw explores under the strategies.

Input: a distribution, its parameters for one row, and the bounds rules fold into the draw. Output:
the *central range* of the truncated distribution: all but ``TAIL`` of its mass at each end, found
with the engine's own inverse CDF (``sample_truncated`` maps one uniform to one value, so pinning the
uniform gives a quantile). Examples then stay values the generator really produces: no
``exponential(1)`` of exactly 0 (outside its support), no ``normal(170, 10)`` of 10⁹, no
``binomial(10, 0)`` above 0. Exact ends are kept where the distribution's mass reaches them: uniform's
own ends, and the bound of a rule (``score >= 18``, ``b > a``), so a failure shrinks onto them.
"""

from __future__ import annotations

import math

import numpy as np

TAIL = 1e-6  # the mass left out at each end
SNAP = 1e-5  # a cut this close (relative to the range) to an exact end is that end


def quantile(dist, params: dict, low, high, li: bool, hi_inc: bool, q: float) -> float | None:
    """The value the engine's truncated draw gives for the uniform ``q`` (None: empty interval)."""

    class _Pinned:
        @staticmethod
        def random(n):
            return np.full(n, q)

    try:
        x = dist.sample_truncated(_Pinned, 1, params, low, high, li, hi_inc)
    except ValueError:  # an interval with no mass, or bad parameters: nothing to draw
        return None
    return float(x[0])


def central(dist, params: dict, low=None, high=None, li=True, hi_inc=True):
    """``(lo, hi)`` holding all but ``TAIL`` of the mass at each end, or None when empty.

    The inverse CDF may run from either tail (whichever keeps precision), so the two cuts are
    ordered here rather than trusted to come low first.
    """
    cuts = [quantile(dist, params, low, high, li, hi_inc, q) for q in (TAIL, 1 - TAIL)]
    if None in cuts or any(math.isnan(c) for c in cuts):
        return None
    return min(cuts), max(cuts)


def snap(cut: float, ends: list[tuple[float, bool]], span: float) -> tuple[float, bool]:
    """``(value, excluded)``: an exact end the cut lies on (within ``SNAP`` of the range), else the
    cut itself, included."""
    for end, excluded in ends:
        if math.isfinite(end) and abs(cut - end) <= SNAP * max(span, 1e-300):
            return end, excluded
    return cut, False
