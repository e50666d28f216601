"""Finishing: what the block loop does to every column a step fills, whatever the step's kind.

Input: a step's raw values for one column and the column's ``ColumnSpec``. Output: the values brought to
the declared type, rounded, clamped, checked (dates in years 1 to 9999, decimals that fit, no infinity,
no null in a non-nullable column) and with the ``nulls p%`` mask applied. Errors name the table, the
column and the row.
"""

from __future__ import annotations

import math

import numpy as np

from synthdsl.dtypes import DType
from synthdsl.errors import DataError
from synthdsl.expr.context import Ctx
from synthdsl.plan.model import ColumnSpec
from synthdsl.values import Values


def coerce(v: Values, dtype: DType) -> Values:
    """Bring a computed value to the declared column type (float -> int rounds; decimals round)."""
    data = v.data
    k = dtype.kind
    if k == "int" and data.dtype.kind != "i":
        data = np.round(np.nan_to_num(np.asarray(data, dtype=np.float64)))
        beyond = np.abs(data) >= 2.0**63
        if v.null is not None:
            beyond &= ~v.null
        if beyond.any():  # the cast would wrap around silently
            raise ValueError(
                f"a value ({data[np.flatnonzero(beyond)[0]]:.3g}) is beyond the 64-bit integer "
                "range; clamp the column"
            )
        data = data.astype(np.int64)
    elif k == "float" and data.dtype != np.float64:
        data = np.asarray(data, dtype=np.float64)
    elif k == "decimal":
        data = np.round(np.asarray(data, dtype=np.float64), dtype.scale or 0)
    elif k == "datetime" and data.dtype != np.dtype("datetime64[us]"):
        data = data.astype("datetime64[us]")
    elif k == "date" and data.dtype != np.dtype("datetime64[D]"):
        data = data.astype("datetime64[D]")
    elif k == "bool" and data.dtype != np.bool_:
        data = data.astype(bool)
    elif k in ("text", "enum") and data.dtype != object:
        data = data.astype(object)
    null = v.null
    if data.dtype.kind == "M":
        nat = np.isnat(data)
        if nat.any():
            null = nat if null is None else (null | nat)
            data = np.where(nat, np.zeros(1, dtype=data.dtype), data)
    if null is not None and data.dtype.kind == "f":
        null = null | np.isnan(data)
    elif data.dtype.kind == "f":
        nan = np.isnan(data)
        null = nan if nan.any() else None
    if null is not None and not null.any():
        null = None
    return Values(data, null)


def _round_and_clamp(v: Values, info: ColumnSpec) -> Values:
    """Round first, then clamp to bounds moved inward onto the rounding grid, so a clamped value is
    both within the bounds and has at most the declared digits (``clamp(0.05, 0.94) round(1)`` gives
    values in [0.1, 0.9]; an ``int`` column with ``clamp(0.5, 4.5)`` gives 1 to 4)."""
    data = v.data
    digits = info.round
    if digits is None and info.dtype.kind == "decimal":
        digits = info.dtype.scale or 0
    if digits is None and info.dtype.kind == "int":
        digits = 0
    if info.round is not None and data.dtype.kind == "f":
        data = np.round(data, digits) + 0.0  # + 0.0: a value rounded to zero is 0, never -0
    if info.clamp is not None:
        lo, hi = info.clamp
        if digits is not None:
            scale = 10.0**digits
            if math.isfinite(lo * scale):  # a bound too large to scale is on the grid anyway
                lo = math.ceil(lo * scale - 1e-9) / scale
            if math.isfinite(hi * scale):
                hi = math.floor(hi * scale + 1e-9) / scale
        if lo > hi:
            raise DataError(
                f"column '{info.name}': clamp({info.clamp[0]:g}, {info.clamp[1]:g}) holds no value "
                f"with {digits} decimal(s)",
                column=info.name,
            )
        if data.dtype.kind in "iu":
            data = np.clip(data, math.ceil(lo), math.floor(hi))
        else:
            data = np.clip(data, lo, hi)
    return v if data is v.data else Values(data, v.null)


_MIN_DATE = np.datetime64("0001-01-01", "us")
_MAX_DATE = np.datetime64("9999-12-31T23:59:59.999999", "us")


def _check_date_range(v: Values, info: ColumnSpec, table: str, rows) -> None:
    """Dates must stay in years 1 to 9999: what every sink and Python's ``datetime`` can hold."""
    data = v.data.astype("datetime64[us]", copy=False)
    bad = (data < _MIN_DATE) | (data > _MAX_DATE)
    if v.null is not None:
        bad &= ~v.null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"table '{table}': column '{info.name}' has a date outside years 1 to 9999",
            column=info.name,
            row=int(rows[i]) + 1,
        )


def _check_decimal_fits(v: Values, info: ColumnSpec, table: str, rows) -> None:
    """A decimal(p,s) value, already rounded to s places, must have at most p digits: a value that
    does not fit is an error, never a wrapped-around number in a sink."""
    p, s = info.dtype.precision or 18, info.dtype.scale or 0
    scaled = np.abs(np.round(np.asarray(v.data, dtype=np.float64) * 10.0**s))
    bad = scaled > 10.0**p - 1
    if v.null is not None:
        bad &= ~v.null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        biggest = "9" * (p - s) + ("." + "9" * s if s else "")
        how = (  # past ~16 digits a float clamp rounds up to the limit: only widening helps
            f"widen the precision or clamp the column, e.g. clamp(-{biggest}, {biggest})"
            if float(biggest) < 10.0 ** (p - s)
            else "widen the precision"
        )
        raise DataError(
            f"table '{table}': column '{info.name}' is {info.dtype.dtype().with_nullable(False)}, which "
            f"holds values below {10 ** (p - s):g}, but a value is {float(v.data[i]):.{s}f} ({how})",
            column=info.name,
            row=int(rows[i]) + 1,
        )


def _check_enum(v: Values, info: ColumnSpec, dtype: DType, table: str, rows) -> None:
    """An enum holds only its labels: the checker catches constants and categoricals, this a
    computed label (``if x > 0 then "a" else "zz"``) or a simulation's update."""
    if not len(v.data):
        return
    import pandas as pd

    bad = pd.Index(list(dtype.values or ())).get_indexer(v.data) < 0
    if v.null is not None:
        bad &= ~v.null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"table '{table}': column '{info.name}' is {dtype} but one of its values is "
            f"{v.data[i]!r}",
            column=info.name,
            row=int(rows[i]) + 1,
        )


def finish(
    raw: Values, col: ColumnSpec, dtype: DType, table: str, ctx: Ctx, *, nulls: bool = True
) -> Values:
    """A column's values as the spec declares them (see the module docstring); ``nulls`` False
    leaves out the column's ``nulls p%`` (a simulation's update keeps a value's nulls as drawn)."""
    rows = ctx.rows
    try:
        v = coerce(raw, dtype)
    except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. a date past year 9999
        raise DataError(
            f"table '{table}': column '{col.name}' could not be computed: {exc}", column=col.name
        ) from None
    v = _round_and_clamp(v, col)
    if v.data.dtype.kind == "f" and np.isinf(v.data).any():
        i = int(np.flatnonzero(np.isinf(v.data))[0])
        raise DataError(
            f"table '{table}': column '{col.name}' overflows to infinity "
            "(check its distribution's parameters, or clamp it)",
            column=col.name,
            row=int(rows[i]) + 1,
        )
    if v.data.dtype.kind == "M":
        _check_date_range(v, col, table, rows)
    if dtype.kind == "decimal":
        _check_decimal_fits(v, col, table, rows)
    if dtype.kind == "enum":
        _check_enum(v, col, dtype, table, rows)
    if col.nulls and nulls:
        v = v.with_null(ctx.source.nulls(col, ctx))
    if v.null is not None and not dtype.nullable:
        bad = int(np.flatnonzero(v.null)[0])
        raise DataError(
            f"table '{table}': column '{col.name}' is not nullable but its value is null "
            f"(declare it {dtype}? or use coalesce())",
            column=col.name,
            row=int(rows[bad]) + 1,
        )
    return v
