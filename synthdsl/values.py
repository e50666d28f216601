"""The executor's column value: a numpy array plus an optional null mask.

Why not pandas or Arrow arrays inside the executor: numpy ufuncs on plain arrays are the fastest path for
the vectorized expressions, and an explicit mask keeps ``int`` and ``bool`` columns nullable without
object dtype. ``to_arrow`` converts once per chunk, at the edge, for the sinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.dtypes import DType

if TYPE_CHECKING:
    import pyarrow as pa
else:
    pa = lazy("pyarrow")


@dataclass(slots=True)
class Values:
    """``data[i]`` is row i's value unless ``null`` is given and ``null[i]`` is True."""

    data: np.ndarray
    null: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.data)

    def take(self, idx: np.ndarray) -> Values:
        return Values(self.data[idx], None if self.null is None else self.null[idx])

    def is_null(self) -> np.ndarray:
        if self.null is None:
            return np.zeros(len(self.data), dtype=bool)
        return self.null

    def with_null(self, mask: np.ndarray | None) -> Values:
        """Add ``mask`` to the nulls (union)."""
        if mask is None:
            return self
        if self.null is None:
            return Values(self.data, mask.copy())
        return Values(self.data, self.null | mask)


def concat(parts: list[Values]) -> Values:
    """``parts`` one after another; a null mask only where some row is null."""
    if not parts:
        return Values(np.empty(0))
    data = np.concatenate([p.data for p in parts])
    if all(p.null is None for p in parts):
        return Values(data)
    null = np.concatenate([p.is_null() for p in parts])
    return Values(data, null if null.any() else None)


def scatter(whole: Values, idx: np.ndarray, part: Values) -> Values:
    """``whole`` with the rows at ``idx`` replaced by ``part`` (a redraw's values), as a copy."""
    data = whole.data.copy()
    if data.dtype != part.data.dtype and data.dtype.kind != "O":
        data = data.astype(np.result_type(data.dtype, part.data.dtype))
    data[idx] = part.data
    null = None
    if whole.null is not None or part.null is not None:
        null = whole.is_null().copy()
        null[idx] = part.is_null()
    return Values(data, null)


def to_arrow(values: Values, dtype: DType) -> pa.Array:
    """Convert to the column's Arrow type, honouring the null mask."""
    mask = values.null if values.null is not None and values.null.any() else None
    data = values.data
    if dtype.kind == "decimal":
        scale = dtype.scale or 0
        # Exact decimals: scale to integers first so the float never rounds again in the cast.
        scaled = np.round(np.asarray(data, dtype=np.float64) * (10**scale))
        if mask is not None:
            scaled = np.where(mask, 0, scaled)
        if scaled.size and np.abs(scaled).max() >= 2.0**63 - 1024:
            # Past int64 (wide decimals, e.g. decimal(38,2) holding 1e20): Arrow's float -> decimal
            # cast writes the float's exact value rounded to the scale.
            import pyarrow.compute as pc

            floats = np.asarray(data, dtype=np.float64)
            floats = pa.array(floats if mask is None else np.where(mask, 0.0, floats), mask=mask)
            return pc.cast(floats, pa.decimal128(dtype.precision or 18, scale))
        return _ints_to_decimal(scaled.astype(np.int64), mask, dtype)
    if dtype.kind in ("text", "enum"):
        arr = np.asarray(data, dtype=object)
        if mask is not None:
            arr = arr.copy()
            arr[mask] = None
        return pa.array(arr, type=pa.string())
    if dtype.kind == "bool":
        return pa.array(np.asarray(data, dtype=bool), mask=mask, type=pa.bool_())
    if dtype.kind == "date":
        return pa.array(np.asarray(data, dtype="datetime64[D]"), mask=mask, type=pa.date32())
    if dtype.kind == "datetime":
        return pa.array(
            np.asarray(data, dtype="datetime64[us]"), mask=mask, type=pa.timestamp("us")
        )
    if dtype.kind == "int":
        return pa.array(np.asarray(data, dtype=np.int64), mask=mask, type=pa.int64())
    return pa.array(np.asarray(data, dtype=np.float64), mask=mask, type=pa.float64())


def _ints_to_decimal(unscaled: np.ndarray, mask: np.ndarray | None, dtype: DType) -> pa.Array:
    """decimal128(p, s) values whose unscaled integers are ``unscaled``, built from their bytes.

    Exact at every precision and scale: dividing by 10**s in Arrow asked for a result precision
    past 38 from a scale of about 9 on (decimal(20, 10) failed on every value).
    """
    words = np.empty((len(unscaled), 2), dtype="<i8")  # little-endian 128-bit two's complement
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63
    validity = None if mask is None else pa.array(~mask, type=pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(dtype.precision or 18, dtype.scale or 0),
        len(unscaled),
        [validity, pa.py_buffer(words.tobytes())],
        null_count=-1 if mask is None else int(mask.sum()),
    )
