"""Discrete distributions: poisson, binomial, zipf, geometric, bernoulli and the integer uniform.

``x > 3`` becomes ``x >= 4``; truncated draws invert the CDF (or the survival function) with an exact
integer search, or a table lookup when every row shares the parameters and the range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.expr.distributions._common import (
    _INT_CAP,
    _TABLE_SIZE,
    Kind,
    ParamValue,
    _fmt,
    _Rule,
    _take,
)
from synthdsl.expr.distributions.base import Distribution

if TYPE_CHECKING:
    from scipy import special
else:
    special = lazy("scipy.special")

_INT64_RANGE = "must fit a 64-bit integer (-9223372036854775808 to 9223372036854775807)"


def _integer_search(
    pred: Callable[[np.ndarray, np.ndarray], np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    guess: np.ndarray,
) -> np.ndarray:
    """Per row, the smallest integer ``k`` in ``[lo, hi]`` with ``pred(row, k)`` true.

    ``pred`` must be monotone in ``k``; ``pred(lo - 1)`` is taken as false and ``pred(hi)`` as true
    without evaluating them. Starting from a guess (a normal approximation of the quantile, usually
    within a step or two), two evaluations settle most rows; the rest gallop outwards to a bracket
    and bisect, so the cost stays logarithmic even for a poor guess or a huge range. All int64,
    vectorized over the rows still unresolved.
    """
    n = guess.size
    k = np.clip(guess, lo, hi)
    result = np.empty(n, np.int64)
    a_br = np.empty(n, np.int64)  # bracket: pred(a_br) false, pred(b_br) true
    b_br = np.empty(n, np.int64)
    bracketed = np.zeros(n, bool)

    rows = np.arange(n)
    at_k = pred(rows, k) | (k == hi)

    # pred(k) true: the answer is k unless pred(k - 1) is also true.
    r = rows[at_k]
    at_lo = k[r] == lo[r]
    result[r[at_lo]] = lo[r[at_lo]]
    r = r[~at_lo]
    below = pred(r, k[r] - 1)
    result[r[~below]] = k[r[~below]]
    r = r[below]
    b = k[r] - 1
    step = 1
    while r.size:  # gallop down: b is true, look for a false a
        a = np.maximum(b - step, lo[r] - 1)
        t = np.zeros(r.size, bool)
        probe = a >= lo[r]
        t[probe] = pred(r[probe], a[probe])
        done = ~t
        a_br[r[done]], b_br[r[done]] = a[done], b[done]
        bracketed[r[done]] = True
        r, b = r[t], a[t]
        step = min(step * 2, 2**61)

    # pred(k) false: gallop up from a = k.
    r = rows[~at_k]
    a = k[r]
    step = 1
    while r.size:
        b = a + np.minimum(step, hi[r] - a)
        t = np.ones(r.size, bool)
        probe = b < hi[r]
        t[probe] = pred(r[probe], b[probe])
        a_br[r[t]], b_br[r[t]] = a[t], b[t]
        bracketed[r[t]] = True
        r, a = r[~t], b[~t]
        step = min(step * 2, 2**61)

    r = np.flatnonzero(bracketed)
    while True:
        r = r[b_br[r] - a_br[r] > 1]
        if not r.size:
            break
        mid = a_br[r] + (b_br[r] - a_br[r]) // 2
        t = pred(r, mid)
        b_br[r[t]] = mid[t]
        a_br[r[~t]] = mid[~t]
    result[bracketed] = b_br[bracketed]
    return result


@dataclass(frozen=True)
class _Discrete(Distribution):
    """Shared truncation flow for integer distributions.

    ``x > 3`` becomes ``x >= 4``: bounds are turned into an integer range ``[lo, hi]`` first, so
    strict and inclusive bounds are exact. Subclasses provide the CDF ``F(k) = P(X <= k)``, the
    survival function ``S(k) = P(X > k)`` and a quantile guess; the draw inverts ``F`` (or ``S`` for
    rows whose range starts above the median) with an exact integer search.
    """

    kind: Kind = "discrete"

    def _int_range(self, p, low, high, li, hi_inc):
        lo = np.ceil(low) if li else np.floor(low) + 1
        hi = np.floor(high) if hi_inc else np.ceil(high) - 1
        s_lo, s_hi = self._support(p)
        return np.maximum(lo, s_lo), np.minimum(np.minimum(hi, s_hi), _INT_CAP)

    def _cdf(self, p, k):
        raise NotImplementedError

    def _sf(self, p, k):
        raise NotImplementedError

    def _guess(self, p, u, t) -> np.ndarray:
        """Approximate smallest k with ``F(k) > u``; ``t = 1 - u`` is passed for precision."""
        raise NotImplementedError

    def _sides(self, p, lo, hi):
        c_lo, c_hi = self._cdf(p, lo - 1), self._cdf(p, hi)
        s_lo, s_hi = self._sf(p, lo - 1), self._sf(p, hi)
        upper = c_lo > 0.5
        mass = np.where(upper, s_lo - s_hi, c_hi - c_lo)
        return upper, c_lo, c_hi, s_lo, s_hi, mass

    def _interval_mass(self, p, low, high, li, hi_inc):
        lo, hi = self._int_range(p, low, high, li, hi_inc)
        if not lo <= hi:
            return 0.0
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return max(0.0, min(1.0, float(self._sides(p, lo, hi)[-1])))

    def _draw_truncated(self, rng, n, p, low, high, low_inclusive, high_inclusive):
        lo, hi = self._int_range(p, low, high, low_inclusive, high_inclusive)
        empty = ~(lo <= hi)
        if np.any(empty):
            raise self._empty_error(empty, p, low, high, low_inclusive, high_inclusive)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            upper, c_lo, c_hi, s_lo, s_hi, mass = self._sides(p, lo, hi)
        zero = ~(mass > 0)
        if np.any(zero):
            raise self._empty_error(zero, p, low, high, low_inclusive, high_inclusive)
        w = rng.random(n)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return self._trunc(w, p, lo, hi, upper, c_lo, c_hi, s_lo, s_hi)

    def _trunc(self, w, p, lo, hi, upper, c_lo, c_hi, s_lo, s_hi) -> np.ndarray:
        n = w.size
        shared = np.ndim(lo) == 0 and np.ndim(hi) == 0 and all(np.ndim(v) == 0 for v in p.values())
        lo_i = np.broadcast_to(lo, (n,)).astype(np.int64)
        hi_i = np.broadcast_to(hi, (n,)).astype(np.int64)
        upper = np.broadcast_to(upper, (n,))
        out = np.empty(n, np.int64)
        # Lower side: u uniform on [F(lo-1), F(hi)); the answer is the smallest k with F(k) > u.
        il = np.flatnonzero(~upper)
        if il.size:
            u = _take(c_lo, il) + w[il] * _take(c_hi - c_lo, il)
            out[il] = self._invert(
                {k: _take(v, il) for k, v in p.items()}, lo_i[il], hi_i[il], u, False, shared
            )
        # Upper side: s uniform on [S(hi), S(lo-1)); the answer is the smallest k with S(k) <= s.
        iu = np.flatnonzero(upper)
        if iu.size:
            s = _take(s_hi, iu) + w[iu] * _take(s_lo - s_hi, iu)
            out[iu] = self._invert(
                {k: _take(v, iu) for k, v in p.items()}, lo_i[iu], hi_i[iu], s, True, shared
            )
        return out

    def _invert(
        self,
        p: dict[str, ParamValue],
        lo: np.ndarray,
        hi: np.ndarray,
        target: np.ndarray,
        upper: bool,
        shared: bool,
    ) -> np.ndarray:
        """Per row, the smallest ``k`` in ``[lo, hi]`` with ``F(k) > target`` (``S(k) <= target``
        when ``upper``).

        When every row shares the parameters and the range (the common ``poisson(3)`` with
        ``x > 3``), the CDF of the first ``_TABLE_SIZE`` values is tabulated once and rows are
        resolved by binary search in it; rows beyond the table, and every row otherwise, go through
        the per-row integer search.
        """
        out = np.empty(target.size, np.int64)
        todo = np.arange(target.size)
        if shared and target.size > _TABLE_SIZE:
            first, last = int(lo[0]), int(min(hi[0], lo[0] + _TABLE_SIZE - 1))
            ks = np.arange(first, last + 1, dtype=np.float64)
            if upper:  # S decreases: search the increasing -S for the first -S(k) >= -s
                table = -np.minimum.accumulate(self._sf(p, ks))
                idx = np.searchsorted(table, -target, side="left")
            else:
                table = np.maximum.accumulate(self._cdf(p, ks))
                idx = np.searchsorted(table, target, side="right")
            found = idx < ks.size
            out[found] = first + idx[found]
            todo = np.flatnonzero(~found)
            if last == int(hi[0]):  # the table reaches hi, which satisfies the condition by design
                out[todo] = last
                return out
            lo = np.full(todo.size, last + 1, np.int64)
            hi, target = hi[todo], target[todo]

        def pred(rows: np.ndarray, k: np.ndarray) -> np.ndarray:
            sub = {name: _take(v, rows) for name, v in p.items()}
            if upper:
                return self._sf(sub, k.astype(np.float64)) <= target[rows]
            return self._cdf(sub, k.astype(np.float64)) > target[rows]

        if todo.size:
            t = target
            guess = self._guess(p, 1.0 - t, t) if upper else self._guess(p, t, 1.0 - t)
            out[todo] = _integer_search(pred, lo, hi, _to_int(guess, lo))
        return out


def _to_int(guess: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Float guesses as int64 (NaN → ``fallback``), clamped into the int64-safe range."""
    g = np.where(np.isnan(guess), fallback, guess)
    return np.clip(np.floor(g), -1.0, _INT_CAP).astype(np.int64)


def _normal_z(u: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Standard normal quantile of ``u``, from whichever of ``u`` / ``t = 1 - u`` is smaller."""
    return np.where(u < 0.5, special.ndtri(u), -special.ndtri(t))


@dataclass(frozen=True)
class _Poisson(_Discrete):
    _stand_in = MappingProxyType({"lam": 1.0})

    def _rules(self):
        return (_Rule("lam", ("lam",), lambda v: v >= 0, lambda v: "must be >= 0"),)

    def _support(self, p):
        return 0.0, math.inf

    def _draw(self, rng, n, p):
        return rng.poisson(p["lam"], n).astype(np.int64, copy=False)

    def _cdf(self, p, k):
        return np.where(k < 0, 0.0, special.pdtr(np.maximum(k, 0), p["lam"]))

    def _sf(self, p, k):
        return np.where(k < 0, 1.0, special.pdtrc(np.maximum(k, 0), p["lam"]))

    def _guess(self, p, u, t):
        lam = p["lam"]
        z = _normal_z(u, t)
        return lam + np.sqrt(lam) * z + (z * z - 1.0) / 6.0 + 0.5  # Cornish-Fisher


@dataclass(frozen=True)
class _Binomial(_Discrete):
    _stand_in = MappingProxyType({"n": 1.0, "p": 0.5})

    def _rules(self):
        return (
            _Rule(
                "n",
                ("n",),
                lambda v: (v >= 0) & (np.floor(v) == v),
                lambda v: "must be an integer >= 0",
            ),
            _Rule("p", ("p",), lambda v: (v >= 0) & (v <= 1), lambda v: "must be in [0, 1]"),
        )

    def _support(self, p):
        return 0.0, p["n"]

    def _draw(self, rng, n, p):
        trials = p["n"].astype(np.int64) if np.ndim(p["n"]) else int(p["n"])
        return rng.binomial(trials, p["p"], n).astype(np.int64, copy=False)

    def _cdf(self, p, k):
        trials = np.asarray(p["n"]).astype(np.int64)
        inside = special.bdtr(np.clip(k, 0, p["n"]), trials, p["p"])
        return np.where(k < 0, 0.0, np.where(k >= p["n"], 1.0, inside))

    def _sf(self, p, k):
        trials = np.asarray(p["n"]).astype(np.int64)
        inside = special.bdtrc(np.clip(k, 0, p["n"]), trials, p["p"])
        return np.where(k < 0, 1.0, np.where(k >= p["n"], 0.0, inside))

    def _guess(self, p, u, t):
        trials, prob = p["n"], p["p"]
        z = _normal_z(u, t)
        sd = np.sqrt(trials * prob * (1.0 - prob))
        return trials * prob + sd * z + (1.0 - 2.0 * prob) * (z * z - 1.0) / 6.0 + 0.5


@dataclass(frozen=True)
class _Zipf(_Discrete):
    _stand_in = MappingProxyType({"a": 2.0})

    def _rules(self):
        return (_Rule("a", ("a",), lambda v: v > 1, lambda v: "must be > 1"),)

    def _support(self, p):
        return 1.0, math.inf

    def _draw(self, rng, n, p):
        return rng.zipf(p["a"], n).astype(np.int64, copy=False)

    # P(X > k) = zeta(a, k + 1) / zeta(a), with the Hurwitz zeta function.
    def _sf(self, p, k):
        a = p["a"]
        return np.where(k < 1, 1.0, special.zeta(a, np.maximum(k, 0) + 1) / special.zeta(a))

    def _cdf(self, p, k):
        return 1.0 - self._sf(p, k)

    def _guess(self, p, u, t):
        # zeta(a, k + 1) ~ (k + 1/2)^(1 - a) / (a - 1) (Euler-Maclaurin), solved for k.
        a = p["a"]
        return (t * special.zeta(a) * (a - 1.0)) ** (-1.0 / (a - 1.0)) + 0.5


@dataclass(frozen=True)
class _Geometric(_Discrete):
    _stand_in = MappingProxyType({"p": 0.5})

    def _rules(self):
        return (_Rule("p", ("p",), lambda v: (v > 0) & (v <= 1), lambda v: "must be in (0, 1]"),)

    def _support(self, p):
        return 1.0, math.inf

    def _draw(self, rng, n, p):
        return rng.geometric(p["p"], n).astype(np.int64, copy=False)

    # P(X > k) = (1 - p)^k; closed forms, so the draws below are exact in any tail.
    def _sf(self, p, k):
        return np.where(k < 1, 1.0, np.exp(np.maximum(k, 0) * np.log1p(-p["p"])))

    def _cdf(self, p, k):
        return np.where(k < 1, 0.0, -np.expm1(np.maximum(k, 0) * np.log1p(-p["p"])))

    def _trunc(self, w, p, lo, hi, *_):
        # Memorylessness: X | X >= lo is lo - 1 + Geometric(p), here capped at m = hi - lo + 1.
        log_q = np.log1p(-p["p"])
        m = hi - lo + 1.0
        y = np.ceil(np.log1p(w * np.expm1(m * log_q)) / log_q)
        y = np.where(np.isnan(y), 1.0, y)  # p = 1: every draw is the first value
        return np.clip(lo - 1.0 + np.clip(y, 1.0, m), lo, hi).astype(np.int64)


@dataclass(frozen=True)
class _Bernoulli(_Discrete):
    _stand_in = MappingProxyType({"p": 0.5})
    kind: Kind = "bool"

    def _rules(self):
        return (_Rule("p", ("p",), lambda v: (v >= 0) & (v <= 1), lambda v: "must be in [0, 1]"),)

    def _support(self, p):
        return 0.0, 1.0

    def _draw(self, rng, n, p):
        return rng.random(n) < p["p"]

    def _sf(self, p, k):
        return np.where(k < 0, 1.0, np.where(k < 1, p["p"], 0.0))

    def _cdf(self, p, k):
        return 1.0 - self._sf(p, k)

    def _trunc(self, w, p, lo, hi, *_):
        # The interval keeps {0, 1}, {0} or {1} (empty ones were rejected with zero mass).
        return np.where(lo >= 1, True, np.where(hi <= 0, False, w < p["p"]))


@dataclass(frozen=True)
class _UniformInt(_Discrete):
    """``uniform(a, b)`` in an ``int`` column with whole-number bounds: every integer of ``[a, b]``
    (both ends included) equally likely. Not in the registry: the checker swaps it in for ``uniform``
    (a rounded continuous draw would give ``a`` and ``b`` half the weight of the others)."""

    _stand_in = MappingProxyType({"low": 0.0, "high": 1.0})

    def _rules(self):
        return (
            _Rule(
                "high",
                ("low", "high"),
                lambda lo, hi: lo <= hi,
                lambda lo, hi: f"must be at least low ({_fmt(lo)})",
            ),
            _Rule(
                "low",
                ("low",),
                lambda v: np.floor(v) == v,
                lambda v: "must be a whole number",
            ),
            _Rule(
                "high",
                ("high",),
                lambda v: np.floor(v) == v,
                lambda v: "must be a whole number",
            ),
            # past the int64 range the float arithmetic below overflows (uniform(0, 1e308) gave
            # -9223372036854775808 in every row, with a numpy warning)
            *(
                _Rule(name, (name,), lambda v: np.abs(v) <= 2.0**63, lambda v: _INT64_RANGE)
                for name in ("low", "high")
            ),
        )

    def _support(self, p):
        return p["low"], p["high"]

    def _draw(self, rng, n, p):
        lo, hi = np.asarray(p["low"]), np.asarray(p["high"])
        return (lo + np.floor(rng.random(n) * (hi - lo + 1.0))).clip(lo, hi).astype(np.int64)

    def _cdf(self, p, k):
        width = p["high"] - p["low"] + 1.0
        return np.clip((np.floor(k) - p["low"] + 1.0) / width, 0.0, 1.0)

    def _sf(self, p, k):
        width = p["high"] - p["low"] + 1.0
        return np.clip((p["high"] - np.floor(k)) / width, 0.0, 1.0)

    def _trunc(self, w, p, lo, hi, *_):
        return np.clip(lo + np.floor(w * (hi - lo + 1.0)), lo, hi).astype(np.int64)
