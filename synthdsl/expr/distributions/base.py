"""``Distribution``: argument binding, validation, and the plain and truncated drawing API.

Subclasses (``continuous``, ``discrete``) implement the hooks ``_support``, ``_draw``,
``_draw_truncated`` and ``_interval_mass``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from synthdsl.errors import did_you_mean
from synthdsl.expr.distributions._common import (
    EmptyIntervalError,
    InvalidParameterError,
    Kind,
    ParamValue,
    _at,
    _bounds,
    _fmt,
    _interval_text,
    _rows_text,
    _Rule,
)


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
