"""Parametric distributions the executor draws column values from, including exact truncated draws.

Input: a distribution name from a spec (``normal``, ``poisson``, ...), its arguments (constants, or
per-row numpy arrays of length ``n`` when a parameter is an expression such as
``normal(age * 0.5, 2)``), a numpy ``Generator`` and optionally an interval ``low <op> x <op> high``
(scalars or per-row arrays).
Output: a numpy array of ``n`` values (float64, int64 or bool according to ``Distribution.kind``),
the interval's probability (``interval_mass``) and validation messages (``check``).

Why truncation lives here: the planner turns a rule on a drawn column (``x > 3.5`` on
``x ~ normal(0, 1)``) into a draw from the distribution conditioned on the interval. Rejection
sampling would need unbounded retries for unlikely intervals (``x > 8`` has probability 6e-16), so
every truncated draw here is an inverse-CDF draw: one uniform per row, mapped through the quantile
function restricted to the interval. That costs the same however unlikely the interval is, and
consumes exactly ``n`` uniforms, so the output depends only on the generator's state. Tail intervals
are computed on the survival-function side (or in log space for the normal and lognormal) so that
conditional draws far in a tail stay exact and finite.

Intervals of vanishing probability: the normal, lognormal, exponential, uniform and geometric
samplers are exact for any interval; gamma, beta, poisson, binomial and zipf raise
``EmptyIntervalError`` when the interval's probability underflows to 0 in double precision (below
about 1e-308), since no float computation can place draws there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import special

from synthdsl.errors import did_you_mean

__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "EmptyIntervalError",
    "InvalidParameterError",
    "get",
]

Kind = Literal["continuous", "discrete", "bool"]
ParamValue = np.ndarray | float
Bound = np.ndarray | float | None

# Largest float64 that is also an int64 (2**63 - 1024): the cap on discrete draws. numpy's own zipf
# sampler conditions on values <= 2**63 - 1 for the same reason.
_INT_CAP = float(2**63 - 1024)
# Discrete draws with shared parameters and bounds look values up in a CDF table this long.
_TABLE_SIZE = 4096
# Replaces an exact 0.0 from ``Generator.random`` so inverse-CDF uniforms lie in the open interval
# (0, 1) and never map onto an infinite end of the support.
_TINY_U = 2.0**-54


class EmptyIntervalError(ValueError):
    """The requested interval has zero probability under the distribution.

    Attributes:
        row: the first offending row when bounds or parameters are per-row arrays, else None.
        rows: how many rows have an empty interval (1 for scalar inputs).
    """

    def __init__(self, message: str, *, row: int | None = None, rows: int = 1):
        super().__init__(message)
        self.row = row
        self.rows = rows


class InvalidParameterError(ValueError):
    """A parameter value is outside its domain at draw time (e.g. a negative per-row ``sd``).

    ``check`` reports the same problems for constants before any data is drawn; this error covers
    parameters computed from other columns, which can only be checked once their values exist.

    Attributes:
        param: the parameter name.
        row: the first offending row for per-row arrays, else None.
    """

    def __init__(self, message: str, *, param: str, row: int | None = None):
        super().__init__(message)
        self.param = param
        self.row = row


@dataclass(frozen=True)
class _Rule:
    """A domain condition on one parameter, usable on scalars (``check``) and arrays (draw time)."""

    param: str
    needs: tuple[str, ...]
    ok: Callable[..., Any]
    expect: Callable[..., str]


def _positive(name: str) -> _Rule:
    return _Rule(name, (name,), lambda v: v > 0, lambda v: "must be > 0")


def _fmt(value: Any) -> str:
    """Short, exact-enough text for a number in a message: ``-1``, ``0.5``, ``inf``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        x = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def _interval_text(low: Any, high: Any, low_inclusive: bool, high_inclusive: bool) -> str:
    lo = -math.inf if low is None else float(low)
    hi = math.inf if high is None else float(high)
    left = "[" if low_inclusive and math.isfinite(lo) else "("
    right = "]" if high_inclusive and math.isfinite(hi) else ")"
    return f"{left}{_fmt(lo)}, {_fmt(hi)}{right}"


def _at(value: Any, row: int | None) -> Any:
    """``value`` at ``row`` when it is a per-row array, else the scalar itself."""
    if row is not None and np.ndim(value) > 0:
        return value[row]
    return value


def _rows_text(row: int | None, count: int) -> str:
    if row is None:
        return ""
    return f" at row {row}" + (f" (and {count - 1} more rows)" if count > 1 else "")


def _take(value: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of a per-row array; scalars pass through (they apply to every row)."""
    return value[idx] if np.ndim(value) > 0 else value


def _open_uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms in the open interval (0, 1); ``Generator.random`` alone can return 0."""
    w = rng.random(n)
    w[w == 0.0] = _TINY_U
    return w


def _bounds(value: Bound, n: int, default: float, which: str) -> np.ndarray | float:
    """A float bound (scalar or array of length ``n``).

    ``None`` and NaN mean unbounded on that side: a per-row bound taken from a column that is null
    in that row does not constrain it, as a SQL ``CHECK`` with a null comparison passes.
    """
    if value is None:
        return default
    if np.ndim(value) == 0:
        x = float(value)
        return default if math.isnan(x) else x
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"the {which} bound has shape {arr.shape}, expected ({n},)")
    nan = np.isnan(arr)
    return np.where(nan, default, arr) if nan.any() else arr


@dataclass(frozen=True)
class Distribution:
    """A parametric distribution: argument binding, validation, plain and truncated draws.

    Parameters may be Python/numpy scalars or per-row float arrays of length ``n``; every method
    broadcasts them, so an expression-valued parameter costs one array operation, not a loop.

    Attributes:
        name: the name used in ``.synth`` specs.
        params: positional parameter names in order; keyword arguments use the same names.
        defaults: values of optional parameters.
        kind: the dtype of draws: ``continuous`` → float64, ``discrete`` → int64, ``bool`` → bool.
    """

    name: str
    params: tuple[str, ...]
    defaults: Mapping[str, float] = field(default_factory=dict, hash=False)
    kind: Kind = "continuous"

    # A valid parameter set, used in place of the parameters of rows whose inputs are missing.
    _stand_in: ClassVar[Mapping[str, float]] = MappingProxyType({})

    # ---- binding and validation ------------------------------------------------------------------

    @property
    def signature(self) -> str:
        """``normal(mean = 0, sd = 1)``: how the distribution is called, for messages and docs."""
        parts = [
            f"{p} = {_fmt(self.defaults[p])}" if p in self.defaults else p for p in self.params
        ]
        return f"{self.name}({', '.join(parts)})"

    def bind(self, args: Sequence, kwargs: Mapping) -> dict[str, object]:
        """Map positional and keyword arguments onto parameter names, filling defaults.

        Values pass through untouched (they may be AST nodes), so the checker can bind before
        anything is evaluated.

        Raises:
            TypeError: too many positional arguments, an unknown keyword, a parameter given
                twice, or a required parameter missing; the message names the parameter and the
                signature.
        """
        if len(args) > len(self.params):
            raise TypeError(
                f"{self.name}() takes at most {len(self.params)} arguments, got {len(args)}; "
                f"it is called as {self.signature}"
            )
        bound: dict[str, object] = dict(zip(self.params, args))
        for key, value in kwargs.items():
            if key not in self.params:
                hint = did_you_mean(key, self.params)
                raise TypeError(
                    f"{self.name}() has no parameter '{key}'"
                    + (f" ({hint})" if hint else "")
                    + f"; it is called as {self.signature}"
                )
            if key in bound:
                raise TypeError(
                    f"{self.name}() got parameter '{key}' twice (by position and by keyword)"
                )
            bound[key] = value
        for p in self.params:
            if p not in bound:
                if p not in self.defaults:
                    raise TypeError(
                        f"{self.name}() is missing parameter '{p}'; "
                        f"it is called as {self.signature}"
                    )
                bound[p] = self.defaults[p]
        return {p: bound[p] for p in self.params}

    def _rules(self) -> tuple[_Rule, ...]:
        return ()

    def check(self, params: Mapping[str, float]) -> list[tuple[str, str]]:
        """Validate constant parameter values before anything is drawn.

        Parameters absent from ``params`` (not constants, e.g. computed per row) and array values
        are skipped; ``sample`` checks those at draw time.

        Returns:
            ``(parameter, message)`` pairs such as ``("sd", "must be > 0, got -1")``; empty when
            valid.
        """
        problems: list[tuple[str, str]] = []
        numbers: dict[str, float] = {}
        for p in self.params:
            if p not in params or np.ndim(params[p]) > 0:
                continue
            v = params[p]
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                problems.append((p, f"must be a number, got {_fmt(v)}"))
                continue
            if not math.isfinite(float(v)):
                problems.append((p, f"must be a finite number, got {_fmt(v)}"))
                continue
            numbers[p] = float(v)
        for rule in self._rules():
            if all(n in numbers for n in rule.needs):
                vals = [numbers[n] for n in rule.needs]
                if not bool(rule.ok(*vals)):
                    got = _fmt(params[rule.param])
                    problems.append((rule.param, f"{rule.expect(*vals)}, got {got}"))
        return problems

    def _prepare(
        self, params: Mapping[str, Any], n: int | None
    ) -> tuple[dict[str, ParamValue], np.ndarray | None]:
        """Parameters as floats or float64 arrays of length ``n``, validated row by row.

        With ``n`` given (a draw), NaN marks a missing value (a null input row): such rows skip
        validation, get a valid stand-in parameter set, and their draws are placeholders the caller
        masks as null. Without ``n`` (scalar queries) NaN is an error.

        Returns:
            The parameters and the boolean mask of missing rows (None when there are none).

        Raises:
            TypeError: a required parameter is missing.
            ValueError: an array has the wrong shape.
            InvalidParameterError: a value is outside the parameter's domain (first bad row named).
        """
        out: dict[str, ParamValue] = {}
        for p in self.params:
            if p in params:
                v = params[p]
            elif p in self.defaults:
                v = self.defaults[p]
            else:
                raise TypeError(f"{self.name}() is missing parameter '{p}'")
            if np.ndim(v) == 0:
                out[p] = float(v)
            else:
                arr = np.asarray(v, dtype=np.float64)
                if n is None or arr.shape != (n,):
                    want = "a scalar" if n is None else f"a scalar or shape ({n},)"
                    raise ValueError(
                        f"{self.name}(): parameter {p} has shape {arr.shape}, expected {want}"
                    )
                out[p] = arr
        missing: np.ndarray | None = None
        if n is not None:
            for v in out.values():
                nan = np.broadcast_to(np.isnan(v), (n,))
                missing = nan if missing is None else missing | nan
            if missing is not None and not missing.any():
                missing = None
        for p, v in out.items():
            self._require(p, np.isfinite(v), "must be a finite number", out, (p,), missing)
        for rule in self._rules():
            vals = [out[n] for n in rule.needs]
            self._require(rule.param, rule.ok(*vals), None, out, rule.needs, missing, rule)
        if missing is not None:
            out = {p: np.where(missing, self._stand_in[p], v) for p, v in out.items()}
        return out, missing

    def _placeholder(self, x: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
        """Overwrite the draws of missing rows with NaN / 0 / False (the caller marks them null)."""
        if missing is not None:
            x[missing] = {"continuous": np.nan, "discrete": 0, "bool": False}[self.kind]
        return x

    def _require(
        self,
        param: str,
        ok: Any,
        expect: str | None,
        values: Mapping[str, ParamValue],
        needs: tuple[str, ...],
        missing: np.ndarray | None,
        rule: _Rule | None = None,
    ) -> None:
        if missing is not None:
            ok = ok | missing
        if np.ndim(ok) == 0:
            if bool(ok):
                return
            row, count = None, 1
        else:
            bad = ~np.asarray(ok, dtype=bool)
            if not bad.any():
                return
            row, count = int(np.flatnonzero(bad)[0]), int(bad.sum())
        if rule is not None:
            expect = rule.expect(*[_at(values[n], row) for n in needs])
        msg = f"{self.name}(): parameter {param} {expect}, got {_fmt(_at(values[param], row))}"
        msg += _rows_text(row, count)
        raise InvalidParameterError(msg, param=param, row=row)

    # ---- public drawing API ----------------------------------------------------------------------

    def sample(
        self, rng: np.random.Generator, n: int, params: Mapping[str, np.ndarray | float]
    ) -> np.ndarray:
        """Draw ``n`` values; per-row parameter arrays give each row its own distribution.

        Raises:
            InvalidParameterError: a parameter value is outside its domain (first bad row named).
        """
        n = _check_n(n)
        p, missing = self._prepare(params, n)
        return self._placeholder(self._draw(rng, n, p), missing)

    def sample_truncated(
        self,
        rng: np.random.Generator,
        n: int,
        params: Mapping[str, np.ndarray | float],
        low: np.ndarray | float | None,
        high: np.ndarray | float | None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
    ) -> np.ndarray:
        """Draw ``n`` values from the distribution conditioned on ``low <op> x <op> high``.

        Exact (inverse CDF, no rejection), so the planner can enforce interval rules by construction
        at a cost independent of how unlikely the interval is. ``None`` leaves a side unbounded;
        bounds and parameters may be per-row arrays. For discrete kinds, ``x > 3`` means ``x >= 4``;
        for continuous kinds strictness has no effect on the distribution, but draws never equal an
        excluded bound.

        Raises:
            EmptyIntervalError: some row's interval has zero probability (message names the bounds).
            InvalidParameterError: a parameter value is outside its domain.
        """
        n = _check_n(n)
        p, missing = self._prepare(params, n)
        lo = _bounds(low, n, -math.inf, "low")
        hi = _bounds(high, n, math.inf, "high")
        if missing is not None:  # any interval is fine for a row whose draw is discarded
            lo = np.where(missing, -math.inf, lo)
            hi = np.where(missing, math.inf, hi)
        x = self._draw_truncated(rng, n, p, lo, hi, bool(low_inclusive), bool(high_inclusive))
        return self._placeholder(x, missing)

    def support(self, params: Mapping[str, float]) -> tuple[float, float]:
        """The smallest closed interval holding every possible value (ends may be infinite)."""
        p, _ = self._prepare(params, None)
        lo, hi = self._support(p)
        return float(lo), float(hi)

    def interval_mass(
        self,
        params: Mapping[str, float],
        low: float | None,
        high: float | None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
    ) -> float:
        """``P(low <op> X <op> high)`` for scalar parameters; the planner judges feasibility by it.

        Tail intervals are computed from the survival function, so small probabilities keep their
        relative precision (e.g. ``normal(0, 1)`` above 8 gives 6.2e-16, not 0).
        """
        p, _ = self._prepare(params, None)
        lo = _bounds(low, 1, -math.inf, "low")
        hi = _bounds(high, 1, math.inf, "high")
        return float(self._interval_mass(p, lo, hi, bool(low_inclusive), bool(high_inclusive)))

    # ---- hooks -----------------------------------------------------------------------------------

    def _support(self, p: Mapping[str, ParamValue]) -> tuple[Any, Any]:
        raise NotImplementedError

    def _draw(self, rng: np.random.Generator, n: int, p: dict[str, ParamValue]) -> np.ndarray:
        raise NotImplementedError

    def _draw_truncated(
        self,
        rng: np.random.Generator,
        n: int,
        p: dict[str, ParamValue],
        low: Any,
        high: Any,
        low_inclusive: bool,
        high_inclusive: bool,
    ) -> np.ndarray:
        raise NotImplementedError

    def _interval_mass(
        self, p: dict[str, ParamValue], low: Any, high: Any, li: bool, hi_inc: bool
    ) -> Any:
        raise NotImplementedError

    # ---- shared helpers --------------------------------------------------------------------------

    def _empty_error(
        self,
        bad: Any,
        p: Mapping[str, ParamValue],
        low: Any,
        high: Any,
        low_inclusive: bool,
        high_inclusive: bool,
        reason: str = "has zero probability in",
    ) -> EmptyIntervalError:
        if np.ndim(bad) == 0:
            row, count = None, 1
        else:
            idx = np.flatnonzero(bad)
            row, count = int(idx[0]), int(idx.size)
        call = ", ".join(f"{k}={_fmt(_at(v, row))}" for k, v in p.items())
        interval = _interval_text(_at(low, row), _at(high, row), low_inclusive, high_inclusive)
        msg = f"{self.name}({call}) {reason} {interval}"
        msg += _rows_text(row, count)
        return EmptyIntervalError(msg, row=row, rows=count)


def _check_n(n: int) -> int:
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"the number of rows must be an integer >= 0, got {n!r}")
    return int(n)


# ==== continuous ==================================================================================


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


# ==== discrete ====================================================================================


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


UNIFORM_INT: Distribution = _UniformInt("uniform", ("low", "high"), MappingProxyType({}))


def _make() -> dict[str, Distribution]:
    def d(cls: type[Distribution], name: str, params: str, **defaults: float) -> Distribution:
        return cls(name, tuple(params.split()), MappingProxyType(defaults))

    items = [
        d(_Uniform, "uniform", "low high"),
        d(_Normal, "normal", "mean sd", mean=0.0, sd=1.0),
        d(_LogNormal, "lognormal", "mu sigma", mu=0.0, sigma=1.0),
        d(_Exponential, "exponential", "mean", mean=1.0),
        d(_Gamma, "gamma", "shape scale", scale=1.0),
        d(_Beta, "beta", "a b"),
        d(_Poisson, "poisson", "lam"),
        d(_Binomial, "binomial", "n p"),
        d(_Geometric, "geometric", "p"),
        d(_Zipf, "zipf", "a"),
        d(_Bernoulli, "bernoulli", "p", p=0.5),
    ]
    return {x.name: x for x in items}


DISTRIBUTIONS: dict[str, Distribution] = _make()


def get(name: str) -> Distribution | None:
    """The distribution called ``name`` in specs, or None (the checker suggests a close name)."""
    return DISTRIBUTIONS.get(name)
