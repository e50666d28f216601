"""Datasets: CSV/Parquet files a spec reads (lookup tables, category lists, real data for models).

Input: a ``dataset`` declaration. Output: a ``DatasetInfo`` with the frame and each column's expression
type. Problems name the file, the column and the row (a ``DataError``), never a pandas traceback.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.expr.context import DatasetInfo
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy("pandas")

FORMATS = ("csv", "parquet")


def _expr_type(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind in "iu":
        return "int"
    if kind == "f":
        return "float"
    if kind == "b":
        return "bool"
    if kind == "M":
        return "datetime"
    return "text"


def _plain(v: object) -> object:
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def nested_type(info: DatasetInfo, column: str) -> str | None:
    """The Python type name of a Parquet list/struct/map column's values (arrays or dicts, which
    cannot be labels, values or lookup keys), None for a plain column."""
    values = info.frame[column].dropna()
    if values.dtype == object and len(values):
        first = values.iloc[0]
        if isinstance(first, dict | list | tuple | np.ndarray | bytes):
            return type(first).__name__
    return None


def load(
    name: str, fmt: str, path: Path, options: dict[str, object], data: bytes | None = None
) -> DatasetInfo:
    """Read a dataset (from ``data`` when given: a worker gets the bytes, not the file); raises
    ``ValueError`` with a readable message on a bad file or option."""
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    buf = io.BytesIO(data)
    if fmt == "csv":
        sep = str(options.get("sep", ","))
        na = options.get("na")
        na_values = [str(na)] if na is not None else None
        try:
            frame = pd.read_csv(buf, sep=sep, na_values=na_values, skipinitialspace=True)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path} is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} is not valid CSV: {exc}") from None
    else:
        try:
            frame = pd.read_parquet(buf)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise ValueError(f"{path} is not a readable Parquet file: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    columns = {c: _expr_type(frame[c]) for c in frame.columns}
    return DatasetInfo(name, str(path), columns, frame, fmt, dict(options), sha256)


def series_values(series: pd.Series, typ: str) -> Values:
    """A dataset column as executor ``Values`` (nulls masked, placeholders in the data)."""
    null = series.isna().to_numpy()
    if typ == "int":
        data = series.fillna(0).to_numpy(dtype=np.int64)
    elif typ == "float":
        data = series.fillna(0.0).to_numpy(dtype=np.float64)
    elif typ == "bool":
        data = series.fillna(False).to_numpy(dtype=bool)
    elif typ == "datetime":
        data = series.to_numpy(dtype="datetime64[us]")
        data = np.where(null, np.datetime64(0, "us"), data)
    else:
        data = series.astype(object).where(~series.isna(), "").to_numpy(dtype=object)
        data = np.array([str(x) for x in data], dtype=object) if data.size else data
    return Values(data, null if null.any() else None)


def lookup_table(info: DatasetInfo, key: str, value: str) -> tuple[pd.Index, Values] | str:
    """An index from key to row, or a message when ``key`` does not determine ``value``."""
    frame = info.frame[list(dict.fromkeys([key, value]))].dropna(subset=[key])
    dup = frame.drop_duplicates()
    counts = dup[key].value_counts()
    clash = counts[counts > 1]
    if len(clash):
        k = clash.index[0]
        rows = (np.flatnonzero(info.frame[key].to_numpy() == k)[:2] + 2).tolist()
        return (
            f"'{info.name}.{key}' does not determine '{value}': {k!r} has {clash.iloc[0]} "
            f"different values (file rows {', '.join(map(str, rows))})"
        )
    dup = dup.drop_duplicates(subset=[key])
    keys = series_values(dup[key], info.columns[key]).data
    return pd.Index(keys), series_values(dup[value], info.columns[value])
