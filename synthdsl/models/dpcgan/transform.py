"""Rows <-> the GAN's matrix: released facts only, so the encoding itself leaks nothing more.

Input: per column the encoder the Bayesian network uses (``bayesnet.encode``): a categorical column's
released labels (declared, or noisy and thresholded), a numeric column's private bounds and noisy fine
histogram cut into quantile bins. Output: a float32 matrix and its spans, and back.

Mode-specific normalization with DP quantile modes: a numeric value becomes the one-hot of its bin (a
"mode": the bins are quantiles of the noisy histogram, so a spike such as the zero of a mostly-zero column
keeps a bin of its own) plus a scalar in (-1, 1), its position inside the bin by the bin's noisy CDF. The
scalar is uniform within each bin, which a ``tanh`` output learns easily, and decoding is the exact
inverse (no randomness): ``x = CDF_bin^-1((alpha + 1) / 2)``. This is CTGAN's idea with a variational
Gaussian mixture replaced by private quantiles (a mixture fitted on the raw values would need a private
fit of its own). A null is a state of the bin softmax; a categorical column is a softmax over its states
(labels, ``other``, null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthdsl.models.bayesnet import encode
from synthdsl.values import Values

_EDGE = 0.999  # the scalar stays inside (-1, 1), where tanh can reach it


@dataclass(frozen=True)
class Span:
    """A slice of the matrix: ``tanh`` (one scalar) or ``softmax`` (a one-hot of ``size``)."""

    column: str
    start: int
    size: int
    act: str


class Layout:
    """The matrix's columns: per model column, its encoder and spans."""

    def __init__(self, encoders: dict[str, Any]):
        self.encoders = encoders
        self.spans: list[Span] = []
        self.state_span: dict[str, Span] = {}  # column -> its softmax (bins or labels)
        self.scalar_span: dict[str, Span] = {}
        at = 0
        for name, enc in encoders.items():
            if isinstance(enc, encode.Numeric):
                s = Span(name, at, 1, "tanh")
                self.spans.append(s)
                self.scalar_span[name] = s
                at += 1
            s = Span(name, at, enc.size, "softmax")
            self.spans.append(s)
            self.state_span[name] = s
            at += enc.size
        self.width = at

    # ---- rows -> matrix (training)
    def encode(self, columns: dict[str, tuple[np.ndarray, Values]], n: int) -> np.ndarray:
        """``columns``: name -> (state codes, values). The matrix, float32."""
        out = np.zeros((n, self.width), dtype=np.float32)
        rows = np.arange(n)
        for name, enc in self.encoders.items():
            codes, values = columns[name]
            s = self.state_span[name]
            out[rows, s.start + codes] = 1.0
            if name in self.scalar_span:
                alpha = _position(enc, codes, values)
                out[:, self.scalar_span[name].start] = alpha
        return out

    # ---- matrix -> rows (sampling)
    def decode(
        self, matrix: np.ndarray, codes: dict[str, np.ndarray], rng: np.random.Generator
    ) -> dict[str, Values]:
        """Values of every column from the chosen states ``codes`` and the scalars."""
        out = {}
        for name, enc in self.encoders.items():
            if name in self.scalar_span:
                alpha = matrix[:, self.scalar_span[name].start].astype(np.float64)
                out[name] = _value(enc, codes[name], alpha)
            else:
                out[name] = enc.decode(codes[name], rng)
        return out


def _cum(enc: encode.Numeric) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.maximum(enc.cell_counts, 0.0))])


def _position(enc: encode.Numeric, codes: np.ndarray, values: Values) -> np.ndarray:
    """Each value's place in its bin in (-1, 1), by the bin's noisy CDF (uniform over the cells
    when the bin's noisy mass is zero)."""
    nbins = len(enc.bins) - 1
    b = np.minimum(codes, nbins - 1)
    data = values.data
    if data.dtype.kind == "M":
        unit = "D" if enc.kind == "date" else "s"
        data = data.astype(f"datetime64[{unit}]").astype(np.int64)
    x = np.clip(np.asarray(data, dtype=np.float64), enc.bounds[0], enc.bounds[1])
    edges, cells = enc.edges, len(enc.edges) - 1
    cell = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, cells - 1)
    lo_c, hi_c = enc.bins[b], enc.bins[b + 1]
    cell = np.clip(cell, lo_c, hi_c - 1)
    a, z = edges[cell], edges[cell + 1]
    width = np.maximum(z - a, 1e-300)
    frac = np.clip((x + (0.5 if enc.integer else 0.0) - a) / width, 0.0, 1.0)
    cum = _cum(enc)
    mass = cum[hi_c] - cum[lo_c]
    counts = np.maximum(enc.cell_counts, 0.0)
    by_mass = (cum[cell] - cum[lo_c] + frac * counts[cell]) / np.where(mass > 0, mass, 1.0)
    by_cells = (cell - lo_c + frac) / (hi_c - lo_c)
    p = np.where(mass > 0, by_mass, by_cells)
    alpha = np.clip(2.0 * p - 1.0, -_EDGE, _EDGE)
    if values.null is not None:
        alpha = np.where(values.null, 0.0, alpha)
    return alpha.astype(np.float32)


def _value(enc: encode.Numeric, codes: np.ndarray, alpha: np.ndarray) -> Values:
    """The inverse of ``_position``: the value at position ``alpha`` of the chosen bin."""
    nbins = len(enc.bins) - 1
    null = codes >= nbins if enc.nullable else None
    b = np.minimum(codes, nbins - 1)
    p = np.clip((np.clip(alpha, -1.0, 1.0) + 1.0) / 2.0, 0.0, 1.0)
    lo_c, hi_c = enc.bins[b], enc.bins[b + 1]
    cum = _cum(enc)
    counts = np.maximum(enc.cell_counts, 0.0)
    mass = cum[hi_c] - cum[lo_c]
    target = cum[lo_c] + p * mass
    cell_m = np.clip(np.searchsorted(cum, target, side="right") - 1, lo_c, hi_c - 1)
    frac_m = np.clip(
        (target - cum[cell_m]) / np.where(counts[cell_m] > 0, counts[cell_m], 1.0), 0, 1
    )
    pos = p * (hi_c - lo_c)
    cell_c = np.clip(lo_c + np.floor(pos).astype(np.int64), lo_c, hi_c - 1)
    frac_c = np.clip(pos - (cell_c - lo_c), 0.0, 1.0)
    flat = mass <= 0
    cell = np.where(flat, cell_c, cell_m)
    frac = np.where(flat, frac_c, frac_m)
    a, z = enc.edges[cell], enc.edges[cell + 1]
    if enc.integer:
        x = a + np.minimum(np.floor(frac * (z - a)), np.maximum(z - a - 1.0, 0.0))
    else:
        x = a + frac * (z - a)
    x = np.clip(x, *enc.bounds)
    if enc.kind == "date":
        return Values(x.astype(np.int64).astype("datetime64[D]"), null)
    if enc.kind == "datetime":
        return Values(x.astype(np.int64).astype("datetime64[s]").astype("datetime64[us]"), null)
    return Values(x, null)
