"""Columns -> the network's discrete states, and states -> values again.

Input: a column's values (and row weights), its declared type and bounds, a share of the privacy budget
and the secure noise source. Output: an encoder holding only released (noisy or declared) facts: the
states, and per numeric state the cells it spans with their noisy counts, so that decoding draws a value
inside its bin with the bin's shape. Nothing here keeps a training value that was not released.

Numeric columns: bounds are the declared ``clamp`` or privately estimated on a log scale (noisy counts of
magnitude classes 2^k); a fine histogram over the bounds (per integer when the range is small, else 128
cells, log-spaced for wide ranges starting at zero or above) is released with geometric noise and
thresholded; the network's bins are quantiles of that noisy histogram, so a value with a large share (the
zero of a mostly-zero column) keeps a bin, and within it a cell, of its own. Categorical columns: the
declared labels (enum, bool), or under DP with delta the labels whose noisy count clears the threshold of
the stability-based histogram; labels rarer than ``other`` share one state, decoded back to one of them by
their noisy counts. A null is a state of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthdsl.values import Values

NULL = "null"
OTHER = "other"
_FINE = 128  # cells of a numeric column's fine histogram (when not one per integer)
_INT_CELLS = 256  # an int range up to this wide gets one cell per value


def as_numbers(series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's values as float64 (dates as days, datetimes as seconds) and its null mask."""
    import pandas as pd

    if kind in ("date", "datetime"):
        ts = pd.to_datetime(series, errors="coerce")
        null = ts.isna().to_numpy()
        ns = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        data = ns / (86_400e9 if kind == "date" else 1e9)
        return np.where(null, 0.0, data), null
    num = pd.to_numeric(series, errors="coerce")
    null = num.isna().to_numpy()
    data = num.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(null, 0.0, data), null


def as_labels(series) -> tuple[np.ndarray, np.ndarray]:
    null = series.isna().to_numpy()
    text = series.astype(object).where(~series.isna(), "").astype(str).to_numpy(dtype=object)
    text = np.where(text == "True", "true", np.where(text == "False", "false", text)).astype(object)
    return text, null


def as_bools(series) -> tuple[np.ndarray, np.ndarray]:
    """A bool column's labels: true/false from booleans, 1/0 or their text (the checker refuses
    anything else)."""
    text, null = as_labels(series)
    low = np.char.lower(text.astype(str))
    out = np.where(np.isin(low, ["true", "1", "1.0"]), "true", "false").astype(object)
    return out, null


def _weighted_counts(codes: np.ndarray, size: int, w: np.ndarray | None) -> np.ndarray:
    return np.bincount(codes, weights=w, minlength=size).astype(np.float64)[:size]


class BoundsUnknown(Exception):
    """Too few rows for the bounds' share of epsilon: no magnitude class clears the threshold."""


@dataclass
class Release:
    """What one preprocessing mechanism may spend, and where its noise comes from (None: no DP)."""

    epsilon: float | None
    delta: float
    noise: Any

    def counts(self, exact: np.ndarray, beta: float = 1.0) -> np.ndarray:
        """Noisy counts (geometric noise, sensitivity 1) with those below a threshold zeroed: an
        empty cell survives with probability about ``beta`` over all cells (``beta`` 1: about
        one spurious cell). Exact counts without DP."""
        if self.epsilon is None:
            return exact
        noisy = exact + self.noise.geometric(self.epsilon, 1.0, exact.shape)
        tau = math.log(max(exact.size, 2) / beta) / self.epsilon
        return np.where(noisy > tau, noisy, 0.0)


# ------------------------------------------------------------------ categorical
@dataclass
class Categorical:
    name: str
    labels: list[str]  # every label the column may produce (released or declared)
    states: list[str]  # the network's states: labels, then OTHER and NULL where present
    members: dict[str, list[str]] = field(default_factory=dict)  # OTHER -> labels it stands for
    member_weights: dict[str, list[float]] = field(default_factory=dict)
    kind: str = "text"
    # the released (noisy) count of each label, at fit time only (a GAN's conditional sampler
    # draws from them); not part of the artifact
    released: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return len(self.states)

    def encode(self, values: Values) -> np.ndarray:
        """Labels -> state codes; a label without a state of its own -> OTHER; a label the model
        does not know is a DataError naming it (values drawn ``given`` must be known)."""
        return self._codes(values, strict=True)

    def encode_training(self, values: Values) -> np.ndarray:
        """As ``encode``, with -1 for a label that was not released (the fit maps it)."""
        return self._codes(values, strict=False)

    def _codes(self, values: Values, strict: bool) -> np.ndarray:
        import pandas as pd

        other = self.states.index(OTHER) if OTHER in self.states else -1
        keys = [s for s in self.states if s not in (OTHER, NULL)]
        codes_of = [self.states.index(s) for s in keys]
        members = [m for m in self.members.get(OTHER, []) if m not in keys]  # a state wins
        keys += members
        codes_of += [other] * len(members)
        data = values.data
        text = (
            np.where(data, "true", "false").astype(object)
            if data.dtype.kind == "b"
            else data.astype(str).astype(object)
        )
        at = pd.Index(keys, dtype=object).get_indexer(pd.Index(text, dtype=object))
        lookup = np.asarray([*codes_of, other], dtype=np.int64)
        codes = lookup[np.where(at < 0, len(keys), at)]
        null = values.is_null()
        unknown = (codes < 0) & ~null
        if strict and unknown.any():
            from synthdsl.errors import DataError

            i = int(np.flatnonzero(unknown)[0])
            shown = ", ".join(self.labels[:8]) + (", ..." if len(self.labels) > 8 else "")
            raise DataError(
                f"value '{text[i]}' of column '{self.name}' is not one the model learned ({shown})",
                column=self.name,
                row=i + 1,
            )
        if null.any():
            codes[null] = self.states.index(NULL) if NULL in self.states else -1
        return codes

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> Values:
        labels = np.array([*self.states], dtype=object)
        out = labels[codes]
        if OTHER in self.states and self.members.get(OTHER):  # uniforms only where they are used
            u = rng.random(len(codes))
            at = codes == self.states.index(OTHER)
            w = np.asarray(self.member_weights[OTHER], dtype=np.float64)
            cum = np.cumsum(w / w.sum())
            pick = np.minimum(np.searchsorted(cum, u[at], side="right"), len(cum) - 1)
            out[at] = np.array(self.members[OTHER], dtype=object)[pick]
        null = codes == self.states.index(NULL) if NULL in self.states else None
        if null is not None:
            out = np.where(null, "", out).astype(object)
        if self.kind == "bool":
            return Values(out == "true", null)
        return Values(out, null)

    def to_json(self) -> dict:
        return {
            "type": "categorical",
            "name": self.name,
            "kind": self.kind,
            "labels": self.labels,
            "states": self.states,
            "members": self.members,
            "member_weights": self.member_weights,
        }

    @classmethod
    def from_json(cls, d: dict) -> Categorical:
        return cls(
            d["name"],
            list(d["labels"]),
            list(d["states"]),
            {k: list(v) for k, v in d["members"].items()},
            {k: [float(x) for x in v] for k, v in d["member_weights"].items()},
            d.get("kind", "text"),
        )


def fit_categorical(
    name: str,
    series,
    w: np.ndarray | None,
    declared: list[str] | None,
    nullable: bool,
    kind: str,
    other_below: float,
    release: Release,
) -> Categorical:
    import pandas as pd

    text, null = as_bools(series) if kind == "bool" else as_labels(series)
    # declared labels, or the data's (released only through the noisy, thresholded counts below)
    candidates = list(declared) if declared is not None else sorted(set(text[~null].tolist()))
    codes = pd.Index(candidates, dtype=object).get_indexer(text).astype(np.int64)
    codes = np.where(codes < 0, len(candidates), codes)
    codes = np.where(null, len(candidates) + 1, codes)
    exact = _weighted_counts(codes, len(candidates) + 2, w)
    dropped = False  # labels of the data that were not released (their rows go to OTHER)
    if declared is not None or release.epsilon is None:
        counts = release.counts(exact[: len(candidates)])
    else:  # stability-based histogram: a label is released when its noisy count clears tau
        eps, delta = release.epsilon, release.delta
        noisy = exact[: len(candidates)] + release.noise.laplace(1.0 / eps, len(candidates))
        tau = 1.0 + math.log(1.0 / (2.0 * delta)) / eps
        keep = noisy >= tau
        if not keep.any():
            from synthdsl.errors import SynthError

            raise SynthError(
                f"column '{name}': no label could be released privately (each needs a noisy "
                f"count above {tau:.0f} rows at epsilon {eps:.3g}, its share of the budget); "
                "declare its labels (enum(...): public knowledge costs no budget), or learn "
                "from more rows or with a larger epsilon"
            )
        dropped = not bool(keep.all())
        candidates = [c for c, k in zip(candidates, keep, strict=True) if k]
        counts = noisy[keep]
    total = counts.sum()
    share = counts / total if total > 0 else np.full(len(candidates), 1.0 / max(1, len(candidates)))
    common = [c for c, s in zip(candidates, share, strict=True) if s >= other_below]
    rare = [
        (c, float(k)) for c, s, k in zip(candidates, share, counts, strict=True) if s < other_below
    ]
    states = list(common)
    members: dict[str, list[str]] = {}
    weights: dict[str, list[float]] = {}
    if len(rare) == 1 and not dropped:  # one rare label is its own state: nothing to merge
        states.append(rare[0][0])
        rare = []
    if dropped and not rare:  # rows of unreleased labels: drawn back as released ones
        rare = [(c, float(k)) for c, k in zip(candidates, counts, strict=True)]
    if rare:
        states.append(OTHER)
        members[OTHER] = [c for c, _ in rare]
        weights[OTHER] = [max(k, 1e-9) for _, k in rare]
    if nullable:
        states.append(NULL)
    if not [s for s in states if s != NULL]:  # nothing could be released: every label alike
        states = [*(candidates[:1] or [""]), *([NULL] if nullable else [])]
    released = {c: float(k) for c, k in zip(candidates, counts, strict=True)}
    return Categorical(name, candidates, states, members, weights, kind, released)


# ------------------------------------------------------------------ numeric
@dataclass
class Numeric:
    name: str
    kind: str  # int | float | decimal | date | datetime
    edges: np.ndarray  # cell edges (len cells + 1)
    cell_counts: np.ndarray  # released counts per cell
    bins: np.ndarray  # the network's bins as cell offsets: bin b spans cells [bins[b], bins[b+1])
    nullable: bool = False
    bounds: tuple[float, float] = (0.0, 1.0)

    @property
    def size(self) -> int:
        return len(self.bins) - 1 + (1 if self.nullable else 0)

    @property
    def integer(self) -> bool:
        return self.kind in ("int", "date")

    def encode(self, values: Values) -> np.ndarray:
        data = values.data
        if data.dtype.kind == "M":
            unit = "D" if self.kind == "date" else "s"
            data = data.astype(f"datetime64[{unit}]").astype(np.int64)
        x = np.asarray(data, dtype=np.float64)
        cell = np.clip(np.searchsorted(self.edges, x, side="right") - 1, 0, len(self.edges) - 2)
        codes = np.searchsorted(self.bins, cell, side="right") - 1
        codes = np.clip(codes, 0, len(self.bins) - 2).astype(np.int64)
        if values.null is not None and self.nullable:
            codes[values.null] = len(self.bins) - 1
        return codes

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> Values:
        n = len(codes)
        nbins = len(self.bins) - 1
        null = codes >= nbins if self.nullable else None
        b = np.minimum(codes, nbins - 1)
        # a cell inside the bin, by the cells' released counts (uniform when they are all zero)
        u_cell, u_val = rng.random(n), rng.random(n)
        cum = np.concatenate([[0.0], np.cumsum(np.maximum(self.cell_counts, 0.0))])
        lo_c, hi_c = self.bins[b], self.bins[b + 1]
        mass = cum[hi_c] - cum[lo_c]
        target = cum[lo_c] + u_cell * mass
        cell = np.searchsorted(cum, target, side="right") - 1
        flat = mass <= 0
        cell = np.where(flat, lo_c + np.floor(u_cell * (hi_c - lo_c)).astype(np.int64), cell)
        cell = np.clip(cell, lo_c, hi_c - 1)
        a, z = self.edges[cell], self.edges[cell + 1]
        if self.integer:
            width = np.maximum(z - a, 1.0)
            x = a + np.floor(u_val * width)
        else:
            x = a + u_val * (z - a)
        lo, hi = self.bounds
        x = np.clip(x, lo, hi)
        if self.kind == "date":
            return Values(x.astype(np.int64).astype("datetime64[D]"), null)
        if self.kind == "datetime":
            return Values(x.astype(np.int64).astype("datetime64[s]").astype("datetime64[us]"), null)
        return Values(x, null)

    def to_json(self) -> dict:
        return {
            "type": "numeric",
            "name": self.name,
            "kind": self.kind,
            "nullable": self.nullable,
            "bounds": list(self.bounds),
        }

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}edges": self.edges,
            f"{prefix}cells": self.cell_counts,
            f"{prefix}bins": self.bins.astype(np.int64),
        }

    @classmethod
    def from_json(cls, d: dict, arrays: dict[str, np.ndarray], prefix: str) -> Numeric:
        return cls(
            d["name"],
            d["kind"],
            arrays[f"{prefix}edges"].astype(np.float64),
            arrays[f"{prefix}cells"].astype(np.float64),
            arrays[f"{prefix}bins"].astype(np.int64),
            bool(d["nullable"]),
            (float(d["bounds"][0]), float(d["bounds"][1])),
        )


# What a column of each kind can hold once drawn: dates in years 1 to 9999 (as days or seconds
# from 1970), integers well inside int64. A spurious noisy class past these would make every
# generated row unwritable, so the classes stop there and the bounds are cut to them.
_LIMITS = {
    "date": (-719_162.0, 2_932_896.0),
    "datetime": (-62_135_596_800.0, 253_402_300_799.0),
    "int": (-(2.0**62), 2.0**62),
}
_TOP = 2.0**63  # floats: the classes as before
_GAP = 3  # empty magnitude classes that isolate a class (a factor of 16 in magnitude)


def private_bounds(
    x: np.ndarray, w: np.ndarray | None, release: Release, kind: str = "float"
) -> tuple[float, float]:
    """Bounds from noisy counts of magnitude classes: 0, and ±[2^k, 2^(k+1)) for k from -8 up to
    what the kind can hold; the outermost classes whose noisy count clears the threshold give the
    bounds (a class's outer edge, cut to the kind's limits)."""
    low, high = _LIMITS.get(kind, (-_TOP, _TOP))
    top = math.ceil(math.log2(max(abs(low), abs(high))))
    ks = np.arange(-8, top)
    mag = np.abs(x)
    k = np.clip(np.floor(np.log2(np.where(mag > 0, mag, 1.0))), -8, ks[-1]).astype(np.int64) - ks[0]
    k = np.where(mag < 2.0**-8, -1, k)  # tiny magnitudes count as zero
    nk = len(ks)
    code = np.where(k < 0, nk, np.where(x > 0, nk + 1 + k, nk - 1 - k))  # neg .. 0 .. pos
    # bounds must not jump to a spurious class far out: about 5% chance of one over all classes
    counts = release.counts(_weighted_counts(code.astype(np.int64), 2 * nk + 1, w), beta=0.05)
    hit = np.flatnonzero(counts > 0)
    if hit.size == 0:
        raise BoundsUnknown()
    if release.epsilon is not None:
        # A spurious class lands anywhere among the hundreds, its noisy count just over the
        # threshold: an outermost class that is isolated (more than _GAP empty classes from the
        # next) and holds under twice the threshold is dropped (its few rows, if real, are
        # clamped). Real data fills neighbouring classes, or an isolated one with many rows.
        tau = math.log(max(counts.size, 2) / 0.05) / release.epsilon
        while hit.size > 1 and hit[1] - hit[0] > _GAP and counts[hit[0]] < 2 * tau:
            hit = hit[1:]
        while hit.size > 1 and hit[-1] - hit[-2] > _GAP and counts[hit[-1]] < 2 * tau:
            hit = hit[:-1]

    def edge(c: int, upper: bool) -> float:
        if c == nk:
            return 0.0
        if c > nk:
            kk = ks[c - nk - 1]
            return float(2.0 ** (kk + 1)) if upper else float(2.0**kk)
        kk = ks[nk - 1 - c]
        return -float(2.0**kk) if upper else -float(2.0 ** (kk + 1))

    lo, hi = edge(int(hit[0]), False), edge(int(hit[-1]), True)
    if hit[0] >= nk:  # nothing negative: start at zero when zero is close
        lo = 0.0 if hit[0] == nk or lo <= 2.0 ** (ks[0] + 1) else lo
    return max(lo, low), min(hi, high)


def _cells(lo: float, hi: float, integer: bool) -> np.ndarray:
    if integer and hi - lo + 1 <= _INT_CELLS:
        return np.arange(math.floor(lo), math.floor(hi) + 2, dtype=np.float64)
    if lo >= 0 and hi > 50.0 * (lo + 1.0):  # wide and positive: log-spaced from lo
        edges = lo + np.expm1(np.linspace(0.0, math.log1p(hi - lo), _FINE + 1))
    else:
        edges = np.linspace(lo, hi, _FINE + 1)
    if integer:
        edges = np.unique(np.ceil(edges))
        edges[-1] = max(edges[-1], math.floor(hi) + 1)
    else:
        edges[-1] = np.nextafter(hi, np.inf)
    return np.unique(edges)


def fit_numeric(
    name: str,
    series,
    w: np.ndarray | None,
    kind: str,
    nullable: bool,
    declared: tuple[float, float] | None,
    n_bins: int,
    bounds_release: Release | None,
    hist_release: Release,
) -> Numeric:
    x, null = as_numbers(series, kind)
    integer = kind in ("int", "date")
    wv = None if w is None else w[~null]
    xv = x[~null]
    if declared is not None:
        lo, hi = declared
    elif bounds_release is not None and bounds_release.epsilon is not None:
        try:
            lo, hi = private_bounds(xv, wv, bounds_release, kind)
        except BoundsUnknown:
            from synthdsl.errors import SynthError

            declare = (
                ""
                if kind in ("date", "datetime")
                else "declare the range (`clamp(LOW, HIGH)` on the column: public knowledge "
                "costs no budget), or "
            )
            raise SynthError(
                f"column '{name}': too few rows to estimate its range privately at epsilon "
                f"{bounds_release.epsilon:.3g} (its share of the budget); {declare}learn from "
                "more rows or with a larger epsilon"
            ) from None
    elif xv.size:
        lo, hi = float(xv.min()), float(xv.max())
    else:
        lo, hi = 0.0, 1.0
    if integer:
        lo, hi = math.floor(lo), math.floor(hi)
    if hi <= lo:
        hi = lo + (1.0 if integer else 1e-9 + abs(lo) * 1e-9)
    edges = _cells(lo, hi, integer)
    cells = len(edges) - 1
    cell = np.clip(np.searchsorted(edges, np.clip(xv, lo, hi), side="right") - 1, 0, cells - 1)
    exact = _weighted_counts(cell.astype(np.int64), cells, wv)
    counts = hist_release.counts(exact)
    if counts.sum() <= 0:
        counts = np.ones(cells)
    cum = np.cumsum(counts) / counts.sum()
    cuts = np.searchsorted(cum, np.arange(1, n_bins) / n_bins, side="left") + 1
    bins = np.unique(np.concatenate([[0], cuts, [cells]])).astype(np.int64)
    bins = bins[(bins >= 0) & (bins <= cells)]
    return Numeric(name, kind, edges, counts, bins, nullable, (float(lo), float(hi)))
