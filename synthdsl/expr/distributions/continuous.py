"""Continuous distributions: uniform, normal, lognormal, exponential, gamma, beta.

Truncated draws are inverse-CDF draws on the interval clipped to the support; tails are computed in
log space (normal, lognormal), in closed form (exponential, uniform) or on the survival-function side
(gamma, beta).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.expr.distributions._common import (
    ParamValue,
    _fmt,
    _open_uniforms,
    _positive,
    _Rule,
    _take,
)
from synthdsl.expr.distributions.base import Distribution

if TYPE_CHECKING:
    from scipy import special
else:
    special = lazy("scipy.special")


@dataclass(frozen=True)
class _Continuous(Distribution):
    """Shared truncation flow: clip the interval to the support, draw, clip to the excluded bounds.

    Subclasses provide ``_trunc(w, p, lo, hi)``, mapping open uniforms ``w`` to draws from the
    distribution restricted to ``[lo, hi]`` (already intersected with the support, ``lo < hi``).
    """

    # Upper end of the support is excluded (uniform's [low, high)).
    _open_high = False

    def _clipped_interval(
        self, p: Mapping[str, ParamValue], low: Any, high: Any, li: bool, hi_inc: bool
    ) -> tuple[Any, Any, Any, Any]:
        s_lo, s_hi = self._support(p)
        lo = np.maximum(low, s_lo)
        hi = np.minimum(high, s_hi)
        # Nearest float64 values that satisfy the (strict) bounds: draws are clipped into [lo_f,
        # hi_f] so that rounding never puts a value on an excluded bound.
        lo_f = low if li else np.nextafter(low, math.inf)
        hi_f = high if hi_inc else np.nextafter(high, -math.inf)
        lo_f = np.maximum(lo_f, s_lo)
        hi_f = np.minimum(hi_f, np.nextafter(s_hi, -math.inf) if self._open_high else s_hi)
        return lo, hi, lo_f, hi_f

    def _draw_truncated(self, rng, n, p, low, high, low_inclusive, high_inclusive):
        lo, hi, lo_f, hi_f = self._clipped_interval(p, low, high, low_inclusive, high_inclusive)
        empty = ~(lo < hi)
        if np.any(empty):
            raise self._empty_error(empty, p, low, high, low_inclusive, high_inclusive)
        unrepresentable = ~(lo_f <= hi_f)
        if np.any(unrepresentable):
            raise self._empty_error(
                unrepresentable,
                p,
                low,
                high,
                low_inclusive,
                high_inclusive,
                reason="has no float64 value in",
            )
        w = _open_uniforms(rng, n)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            x = self._trunc(w, p, lo, hi, low, high, low_inclusive, high_inclusive)
        return np.clip(x, lo_f, hi_f)

    def _interval_mass(self, p, low, high, li, hi_inc):
        lo, hi, _, _ = self._clipped_interval(p, low, high, li, hi_inc)
        if not lo < hi:
            return 0.0
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return max(0.0, min(1.0, float(self._mass(p, lo, hi))))

    def _trunc(self, w, p, lo, hi, low, high, li, hi_inc) -> np.ndarray:
        raise NotImplementedError

    def _mass(self, p, lo, hi) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class _Uniform(_Continuous):
    _stand_in = MappingProxyType({"low": 0.0, "high": 1.0})
    _open_high = True

    def _rules(self):
        return (
            _Rule(
                "high",
                ("low", "high"),
                lambda lo, hi: lo < hi,
                lambda lo, hi: f"must be greater than low ({_fmt(lo)})",
            ),
        )

    def _support(self, p):
        return p["low"], p["high"]

    def _draw(self, rng, n, p):
        return rng.uniform(p["low"], p["high"], n)

    def _trunc(self, w, p, lo, hi, *_):
        return lo + w * (hi - lo)

    def _mass(self, p, lo, hi):
        return (hi - lo) / (p["high"] - p["low"])


def _truncated_std_normal(a: Any, b: Any, w: np.ndarray) -> np.ndarray:
    """Standard normal draws restricted to ``[a, b]`` (``a < b``, ends may be infinite).

    Works in log space (``log_ndtr`` / ``ndtri_exp``) on the lower tail side: an interval above the
    mean is mirrored below it first. So ``x > 40`` (probability ~1e-350, far below float range)
    still gets exact, finite draws, where ``ndtri(uniform(ndtr(40), 1))`` would return inf.
    """
    flip = a > 0
    a2 = np.where(flip, -b, a)
    b2 = np.where(flip, -a, b)
    la = special.log_ndtr(a2)
    lb = special.log_ndtr(b2)
    # u = Phi(a2) + (1 - w) (Phi(b2) - Phi(a2)), computed as log u without leaving log space.
    log_u = lb + np.log1p(w * np.expm1(la - lb))
    z = special.ndtri_exp(log_u)
    return np.where(flip, -z, z)


def _std_normal_mass(a: Any, b: Any) -> Any:
    """``Phi(b) - Phi(a)``, on the tail side where the difference keeps its precision."""
    return np.where(a > 0, special.ndtr(-a) - special.ndtr(-b), special.ndtr(b) - special.ndtr(a))


@dataclass(frozen=True)
class _Normal(_Continuous):
    _stand_in = MappingProxyType({"mean": 0.0, "sd": 1.0})

    def _rules(self):
        return (_positive("sd"),)

    def _support(self, p):
        return -math.inf, math.inf

    def _draw(self, rng, n, p):
        return rng.normal(p["mean"], p["sd"], n)

    def _std(self, p, lo, hi):
        return (lo - p["mean"]) / p["sd"], (hi - p["mean"]) / p["sd"]

    def _trunc(self, w, p, lo, hi, *_):
        a, b = self._std(p, lo, hi)
        return p["mean"] + p["sd"] * _truncated_std_normal(a, b, w)

    def _mass(self, p, lo, hi):
        return _std_normal_mass(*self._std(p, lo, hi))


@dataclass(frozen=True)
class _LogNormal(_Continuous):
    _stand_in = MappingProxyType({"mu": 0.0, "sigma": 1.0})

    def _rules(self):
        return (_positive("sigma"),)

    def _support(self, p):
        return 0.0, math.inf

    def _draw(self, rng, n, p):
        return rng.lognormal(p["mu"], p["sigma"], n)

    def _std(self, p, lo, hi):
        return (np.log(lo) - p["mu"]) / p["sigma"], (np.log(hi) - p["mu"]) / p["sigma"]

    def _trunc(self, w, p, lo, hi, *_):
        a, b = self._std(p, lo, hi)
        return np.exp(p["mu"] + p["sigma"] * _truncated_std_normal(a, b, w))

    def _mass(self, p, lo, hi):
        return _std_normal_mass(*self._std(p, lo, hi))


@dataclass(frozen=True)
class _Exponential(_Continuous):
    _stand_in = MappingProxyType({"mean": 1.0})

    def _rules(self):
        return (_positive("mean"),)

    def _support(self, p):
        return 0.0, math.inf

    def _draw(self, rng, n, p):
        return rng.exponential(p["mean"], n)

    def _trunc(self, w, p, lo, hi, *_):
        # Memorylessness: X | X >= lo is lo + Exp(mean), here also capped at hi - lo. Closed form,
        # so any tail is exact.
        r = (hi - lo) / p["mean"]
        return lo - p["mean"] * np.log1p(w * np.expm1(-r))

    def _mass(self, p, lo, hi):
        return np.exp(-lo / p["mean"]) * -np.expm1(-(hi - lo) / p["mean"])


@dataclass(frozen=True)
class _InverseCdf(_Continuous):
    """Truncation through special-function CDF/SF and their inverses (gamma, beta).

    Each row uses the lower (CDF) side or, when the interval starts above the median, the upper (SF)
    side, so tail intervals keep relative precision. A row whose interval probability underflows to
    0 on that side raises ``EmptyIntervalError``: no double-precision quantile can reach it.
    """

    def _scale(self, p) -> Any:
        return 1.0

    def _shape(self, p) -> tuple[Any, ...]:
        raise NotImplementedError

    def _cdf(self, shape, y):
        raise NotImplementedError

    def _sf(self, shape, y):
        raise NotImplementedError

    def _ppf(self, shape, u):
        raise NotImplementedError

    def _isf(self, shape, s):
        raise NotImplementedError

    def _sides(self, p, lo, hi):
        shape, scale = self._shape(p), self._scale(p)
        ylo, yhi = lo / scale, hi / scale
        c_lo, c_hi = self._cdf(shape, ylo), self._cdf(shape, yhi)
        upper = c_lo > 0.5
        s_lo, s_hi = self._sf(shape, ylo), self._sf(shape, yhi)
        mass = np.where(upper, s_lo - s_hi, c_hi - c_lo)
        return upper, c_lo, c_hi, s_lo, s_hi, mass

    def _mass(self, p, lo, hi):
        return self._sides(p, lo, hi)[-1]

    def _trunc(self, w, p, lo, hi, low, high, li, hi_inc):
        upper, c_lo, c_hi, s_lo, s_hi, mass = self._sides(p, lo, hi)
        tiny = ~(mass > 0)
        if np.any(tiny):
            raise self._empty_error(
                tiny, p, low, high, li, hi_inc, reason="has a probability that underflows to 0 in"
            )
        n = w.size
        shape, scale = self._shape(p), self._scale(p)
        upper = np.broadcast_to(upper, (n,))
        y = np.empty(n)
        il = np.flatnonzero(~upper)
        if il.size:
            u = _take(c_lo, il) + w[il] * _take(c_hi - c_lo, il)
            y[il] = self._ppf(tuple(_take(s, il) for s in shape), u)
        iu = np.flatnonzero(upper)
        if iu.size:
            s = _take(s_hi, iu) + w[iu] * _take(s_lo - s_hi, iu)
            y[iu] = self._isf(tuple(_take(s, iu) for s in shape), s)
        return y * scale


@dataclass(frozen=True)
class _Gamma(_InverseCdf):
    _stand_in = MappingProxyType({"shape": 1.0, "scale": 1.0})

    def _rules(self):
        return (_positive("shape"), _positive("scale"))

    def _support(self, p):
        return 0.0, math.inf

    def _draw(self, rng, n, p):
        return rng.gamma(p["shape"], p["scale"], n)

    def _scale(self, p):
        return p["scale"]

    def _shape(self, p):
        return (p["shape"],)

    def _cdf(self, shape, y):
        return special.gammainc(shape[0], y)

    def _sf(self, shape, y):
        return special.gammaincc(shape[0], y)

    def _ppf(self, shape, u):
        return special.gammaincinv(shape[0], u)

    def _isf(self, shape, s):
        return special.gammainccinv(shape[0], s)


@dataclass(frozen=True)
class _Beta(_InverseCdf):
    _stand_in = MappingProxyType({"a": 1.0, "b": 1.0})

    def _rules(self):
        return (_positive("a"), _positive("b"))

    def _support(self, p):
        return 0.0, 1.0

    def _draw(self, rng, n, p):
        return rng.beta(p["a"], p["b"], n)

    def _shape(self, p):
        return (p["a"], p["b"])

    def _cdf(self, shape, y):
        return special.betainc(shape[0], shape[1], y)

    def _sf(self, shape, y):
        return special.betaincc(shape[0], shape[1], y)

    def _ppf(self, shape, u):
        return special.betaincinv(shape[0], shape[1], u)

    def _isf(self, shape, s):
        return special.betainccinv(shape[0], shape[1], s)
