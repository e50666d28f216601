"""What the distribution families share: value types, errors, parameter rules, message text, bounds."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

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
