"""The private preprocessing both learned kinds share: which releases a column needs, and its encoder.

Input: the model's columns (declared types, clamps), the training frame, weights, and a function that
gives each release's share of the budget. Output: per column the releases it needs (``units``: the
kinds weigh them into their own split) and its fitted encoder with the training rows' states and
values. ``bayesnet`` turns the states into its network's nodes; ``dpcgan`` into its matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.models.base import Mechanism
from synthdsl.models.bayesnet import encode
from synthdsl.values import Values

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

CATEGORICAL = ("text", "enum", "bool")


def declared_labels(spec: ModelSpec, name: str) -> list[str] | None:
    """The labels a column's type declares (public), or None when they come from the data."""
    d = spec.column(name).dtype
    if d.kind == "enum":
        return list(d.values or ())
    if d.kind == "bool":
        return ["false", "true"]
    return None


def release_units(
    spec: ModelSpec, text_what: str, categories_what: str, histogram_what: str
) -> list[tuple[str, str, float]]:
    """Each preprocessing release, what it releases in words, and its weight: a category count
    0.5, a numeric column's bounds (only without a declared ``clamp``) 1 and its histogram 1."""
    units: list[tuple[str, str, float]] = []
    for c in spec.columns:
        if c.dtype.kind in CATEGORICAL:
            what = text_what if c.dtype.kind == "text" else categories_what
            units.append((f"categories:{c.name}", what, 0.5))
        else:
            if c.clamp is None:
                units.append((f"bounds:{c.name}", "noisy magnitude-class counts", 1.0))
            units.append((f"histogram:{c.name}", histogram_what, 1.0))
    return units


def release_mechanisms(
    spec: ModelSpec, epsilon: float, share: float, text_delta: float, whats: tuple[str, str, str]
) -> list[Mechanism]:
    """The preprocessing releases as mechanisms: ``epsilon * share`` split by weight
    (``release_units``; computed in that order, so plans and cards keep their exact floats),
    ``text_delta`` shared equally by the ``text`` columns (their labels' stability histogram)."""
    units = release_units(spec, *whats)
    total = sum(u for _, _, u in units) or 1.0
    text = {c.name for c in spec.columns if c.dtype.kind == "text"}
    return [
        Mechanism(
            name,
            what,
            epsilon * share * u / total,
            text_delta / len(text) if name.split(":", 1)[1] in text else 0.0,
        )
        for name, what, u in units
    ]


def encode_columns(
    spec: ModelSpec,
    frame,
    w: np.ndarray | None,
    release: Callable[[str], encode.Release],
    n_bins: int,
    other_below: float,
) -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, Values]]]:
    """Every column's encoder, fitted from released facts, and the training rows' states (a label
    that was not released maps to state 0) with their values."""
    encoders: dict[str, Any] = {}
    columns: dict[str, tuple[np.ndarray, Values]] = {}
    for c in spec.columns:
        series = frame[c.name]
        kind = c.dtype.kind
        if kind in CATEGORICAL:
            enc = encode.fit_categorical(
                c.name,
                series,
                w,
                declared_labels(spec, c.name),
                c.dtype.nullable,
                "bool" if kind == "bool" else "text",
                other_below,
                release(f"categories:{c.name}"),
            )
            text, null = encode.as_bools(series) if kind == "bool" else encode.as_labels(series)
            values = Values(text, null)
            codes = enc.encode_training(values)
        else:
            enc = encode.fit_numeric(
                c.name,
                series,
                w,
                kind,
                c.dtype.nullable,
                c.clamp,
                n_bins,
                release(f"bounds:{c.name}") if c.clamp is None else None,
                release(f"histogram:{c.name}"),
            )
            x, null = encode.as_numbers(series, kind)
            values = Values(x, null)
            codes = enc.encode(values)
        encoders[c.name] = enc
        columns[c.name] = (np.where(codes < 0, 0, codes), values)
    return encoders, columns


def encoders_from_meta(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The encoders an artifact's metadata and arrays describe, by column name."""
    out: dict[str, Any] = {}
    for i, d in enumerate(meta["columns"]):
        if d["type"] == "categorical":
            out[d["name"]] = encode.Categorical.from_json(d)
        else:
            out[d["name"]] = encode.Numeric.from_json(d, arrays, f"col{i}_")
    return out


def encoder_arrays(spec: ModelSpec, encoders: dict[str, Any]) -> dict[str, np.ndarray]:
    """The numeric encoders' arrays for the artifact, prefixed by the column's position."""
    arrays: dict[str, np.ndarray] = {}
    for i, c in enumerate(spec.columns):
        if isinstance(encoders[c.name], encode.Numeric):
            arrays |= encoders[c.name].arrays(f"col{i}_")
    return arrays
