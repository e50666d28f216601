"""Load the tables an evaluation compares and decide each column's kind.

Input: paths (CSV or Parquet) or DataFrames. Output: aligned DataFrames with the same columns and a
``kinds`` map (``numeric`` or ``categorical``); dates become numeric day numbers so every metric sees
numbers or labels only. A table that cannot be compared raises ``DataError`` naming the column.

Numbers the metrics can use: an infinite value (``inf``, ``-inf``) in a numeric column is a
``DataError`` naming the table, the column and the first such data row (1-based), since no distance,
model or quantile has a meaning for it. A finite value beyond ``MAX_MAGNITUDE`` (``1e308`` say) is
evaluated as ``±MAX_MAGNITUDE`` and said so in a note: scikit-learn's forests compute in float32
(largest 3.4e38) and squared distances overflow float64 past 1e154, so such values would end in
overflow warnings or a traceback; 1e30 is far beyond any measured quantity yet squares safely.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthdsl.errors import DataError

KINDS = ("numeric", "categorical")
ROLES = ("real", "synthetic", "holdout")
MAX_MAGNITUDE = 1e30  # larger finite values are evaluated as +-MAX_MAGNITUDE (see above)
MISSING_LABEL = "\0missing"  # a label no real category can have


def missing_as_label(s: pd.Series) -> pd.Series:
    """Categorical values as strings, with missing as a value of its own (``MISSING_LABEL``).

    The metrics that compare labels (exact matches, models, attacks) treat "unknown" as information:
    a synthetic row that copies a real row's missing value copies it.
    """
    return s.astype(object).where(s.notna(), MISSING_LABEL).astype(str)


def read_table(source: str | Path | pd.DataFrame, role: str) -> pd.DataFrame:
    """A DataFrame from a CSV or Parquet path (or a frame, copied); ``role`` names it in errors."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"the {role} table {path} does not exist")
        try:
            if path.suffix.lower() in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path, na_values=["?"], skipinitialspace=True)
        except pd.errors.EmptyDataError:
            raise DataError(f"the {role} table {path} is empty") from None
        except Exception as exc:  # pandas/pyarrow raise many types for a bad file
            raise DataError(f"the {role} table {path} cannot be read: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"the {role} table has no rows")
    return frame


def infer_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric" if series.nunique(dropna=True) > 10 else "categorical"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "numeric"
    return "categorical"


_ISO_DATE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


def _dates_from_text(frames: list[pd.DataFrame | None], col: str) -> None:
    """ISO dates written as text (CSV) become datetimes, in every frame, when all of them agree.

    A column is converted only when each frame holds datetimes already or text whose every
    non-missing value is an ISO date: so a CSV of dates compares with a Parquet date column, and a
    text column that merely contains a date somewhere stays text.
    """
    present = [f for f in frames if f is not None]
    series = [f[col] for f in present]
    if not any(_is_text(s) for s in series):
        return
    for s in series:
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        ok = s.dropna()
        if not _is_text(s) or ok.empty or not ok.astype(str).str.match(_ISO_DATE).all():
            return
    for f in present:
        if not pd.api.types.is_datetime64_any_dtype(f[col]):
            f[col] = pd.to_datetime(f[col], format="ISO8601")
        f[col] = f[col].dt.tz_localize(None) if f[col].dt.tz is not None else f[col]


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def align(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    kinds: Mapping[str, str] | None = None,
    names: Sequence[str] = ROLES,
    notes: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """Check the tables share a schema and bring them to comparable dtypes.

    Kinds are inferred from all the tables together (a column that is whole numbers in one file
    and decimals in another is still one kind), and categorical numbers get one canonical label
    (``1`` and ``1.0`` are the same category). ``names`` says each table in errors ("the synthetic
    table out/adult.csv"); a note for each column whose values were limited to ``MAX_MAGNITUDE``
    is appended to ``notes``.
    """
    for role, frame in (("synthetic", synthetic), ("holdout", holdout)):
        if frame is None:
            continue
        missing = [c for c in real.columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"the {role} table has no column '{missing[0]}' (the real table has it)",
                column=missing[0],
            )
        extra = [c for c in frame.columns if c not in real.columns]
        if extra and notes is not None:  # generated-only fields (ids, names, e-mails): not compared
            notes.append(
                f"the {role} table's columns that the real table lacks are not compared: "
                + ", ".join(extra)
            )
    for name in kinds or {}:
        if name not in real.columns:
            raise DataError(f"--kind names '{name}', which is not a column", column=name)
    real, synthetic = real.copy(), synthetic[list(real.columns)].copy()
    holdout = holdout[list(real.columns)].copy() if holdout is not None else None
    out_kinds: dict[str, str] = {}
    for col in real.columns:
        _dates_from_text([real, synthetic, holdout], col)
        given = (kinds or {}).get(col)
        if given is not None and given not in KINDS:
            raise DataError(f"kind of '{col}' must be one of {', '.join(KINDS)}", column=col)
        if given is None:
            pooled = _same_family(real[col], synthetic[col])
            seen = (
                pd.concat([real[col], synthetic[col]], ignore_index=True) if pooled else real[col]
            )
            given = infer_kind(seen)
        out_kinds[col] = given
    frames = [
        _coerce(f[list(real.columns)], out_kinds, name, notes) if f is not None else None
        for f, name in zip((real, synthetic, holdout), names, strict=True)
    ]
    return frames[0], frames[1], frames[2], out_kinds


def _coerce(
    frame: pd.DataFrame, kinds: Mapping[str, str], name: str, notes: list[str] | None
) -> pd.DataFrame:
    out = {}
    for col, kind in kinds.items():
        s = frame[col]
        if kind == "numeric":
            if pd.api.types.is_datetime64_any_dtype(s):
                values = s.astype("datetime64[ns]").astype("int64") / 86_400e9
                values = values.where(s.notna())
            else:
                values = pd.to_numeric(s, errors="coerce")
                bad = values.isna() & s.notna()
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise DataError(
                        f"the {name}: column '{col}' is numeric but holds {s.iloc[row]!r}",
                        column=col,
                        row=row + 1,
                    )
            out[col] = _finite(values.astype("float64"), col, name, notes)
        else:
            out[col] = _labels(s)
    return pd.DataFrame(out)


def _finite(values: pd.Series, col: str, name: str, notes: list[str] | None) -> pd.Series:
    """``values`` with infinities refused and huge finite values limited (module docstring)."""
    x = values.to_numpy()
    infinite = np.isinf(x)
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise DataError(
            f"the {name}: column '{col}' holds {x[row]}, which no metric can compare; "
            "remove the row or leave the cell empty (missing)",
            column=col,
            row=row + 1,
        )
    huge = np.abs(np.nan_to_num(x)) > MAX_MAGNITUDE
    if not huge.any():
        return values
    if notes is not None:
        notes.append(
            f"the {name}: column '{col}' has {int(huge.sum()):,} value(s) beyond "
            f"±{MAX_MAGNITUDE:g} (first: data row {int(np.flatnonzero(huge)[0]) + 1}), "
            f"evaluated as ±{MAX_MAGNITUDE:g}"
        )
    return values.clip(-MAX_MAGNITUDE, MAX_MAGNITUDE)


def _same_family(a: pd.Series, b: pd.Series) -> bool:
    """Both numeric, both dates, or both text: then the pooled values decide the kind."""
    num = pd.api.types.is_numeric_dtype
    date = pd.api.types.is_datetime64_any_dtype
    return (num(a) and num(b)) or (date(a) and date(b)) or (_is_text(a) and _is_text(b))


def _labels(s: pd.Series) -> pd.Series:
    """Category labels as text; whole numbers print without a decimal point (1.0 -> "1")."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = pd.to_numeric(s, errors="coerce").astype("float64")
        whole = values.notna() & (values == values.round()) & (values.abs() < 2**53)
        text = values.astype(str)
        text[whole] = values[whole].astype("int64").astype(str)
        return text.astype(object).where(values.notna(), None)
    return s.astype("string").astype(object).where(s.notna(), None)


def json_ready(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN and infinities as null, keys as strings."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
