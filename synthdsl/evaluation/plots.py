"""Real-vs-synthetic plots for the HTML report, drawn from the evaluation's JSON alone.

Input: the plot data that ``fidelity()`` stores in its result (a column's ``histogram`` or ``bars``;
the ``correlation_*`` and ``cramers_v_*`` matrices). Output: SVG markup (no XML prolog, no metadata,
no ``<g>`` ids) ready to be inlined in HTML.

Figures are built with the object API (``matplotlib.figure.Figure``, no pyplot, no global figure
state) under an ``rc_context`` that fixes the output: a per-plot ``svg.hashsalt`` (stable ids that
differ between plots sharing one page), text kept as ``<text>`` with a generic sans-serif fallback (no
font files, nothing to fetch), no date, math text off (``$`` in a category is a dollar). The same
input gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

REAL_COLOR = "#0072B2"  # Okabe-Ito blue and orange: tell apart with any colour vision
SYNTHETIC_COLOR = "#E69F00"
MISSING_CELL = "#d9d9d9"
MAX_LABEL = 22  # characters of a category or column name shown on an axis
ANNOTATE_UP_TO = 12  # heatmaps with at most this many columns print their values

_RC = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.frameon": False,
    "svg.image_inline": True,
}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE = re.compile(r"\s*<style[^>]*>.*?</style>", re.S)
_COMMENT = re.compile(r"\s*<!--.*?-->", re.S)
_G_ID = re.compile(r'(<g\b[^>]*?) id="[^"]*"')
_EMPTY_DEFS = re.compile(r"\s*<defs>\s*</defs>")


def column_plot(name: str, info: Mapping, *, key: str = "") -> str:
    """A column's real-vs-synthetic plot: histogram overlay (numeric) or grouped bars."""
    with matplotlib.rc_context(_RC):
        fig = _bars(info["bars"]) if "bars" in info else _histogram(info.get("histogram") or {})
        return _svg(fig, key or f"column:{name}")


def difference_heatmap(
    real: Mapping | None, synthetic: Mapping | None, *, vmax: float, key: str
) -> str | None:
    """Heatmap of ``|real - synthetic|`` for two ``{"columns", "matrix"}`` matrices.

    None when there are fewer than two columns (nothing to compare). A cell that is null on either
    side (a constant column has no correlation) is grey.
    """
    if not real or not synthetic:
        return None
    columns = list(real.get("columns") or [])
    if len(columns) < 2 or list(synthetic.get("columns") or []) != columns:
        return None
    n = len(columns)
    diff = np.array(
        [
            [_abs_diff(real["matrix"][i][j], synthetic["matrix"][i][j]) for j in range(n)]
            for i in range(n)
        ],
        dtype=float,
    )
    # Symmetric with a zero diagonal: only the lower triangle (rows 1.., columns ..n-2) is drawn.
    lower = np.tril(np.ones((n, n), dtype=bool), k=-1)[1:, :-1]
    cells = diff[1:, :-1]
    m = n - 1
    with matplotlib.rc_context(_RC):
        side = min(7.5, 2.4 + 0.24 * m)
        fig = Figure(figsize=(side + 1.1, side), layout="constrained")
        ax = fig.add_subplot()
        undefined = np.ma.masked_where(~(lower & np.isnan(cells)), np.ones_like(cells))
        ax.pcolormesh(undefined, cmap=_flat(MISSING_CELL), edgecolors="white", linewidth=0.5)
        shown = np.ma.masked_where(~lower | np.isnan(cells), cells)
        cmap = matplotlib.colormaps["Reds"]
        mesh = ax.pcolormesh(
            shown, cmap=cmap, vmin=0.0, vmax=vmax, edgecolors="white", linewidth=0.5
        )
        ax.set_xlim(0, m)
        ax.set_ylim(m, 0)
        ax.set_aspect("equal")
        ax.set_xticks([i + 0.5 for i in range(m)], [_label(c) for c in columns[:-1]], rotation=90)
        ax.set_yticks([i + 0.5 for i in range(m)], [_label(c) for c in columns[1:]])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if m <= ANNOTATE_UP_TO:
            for i, j in zip(*np.nonzero(lower)):
                v = float(cells[i, j])
                dark = not math.isnan(v) and v > 0.6 * vmax
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    "n/a" if math.isnan(v) else f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "#222222",
                )
        bar = fig.colorbar(mesh, ax=ax, shrink=0.8, aspect=25)
        bar.outline.set_visible(False)
        return _svg(fig, key)


# ---------------------------------------------------------------------------- column plots


def _histogram(hist: Mapping) -> Figure:
    fig = Figure(figsize=(4.2, 2.6), layout="constrained")
    ax = fig.add_subplot()
    edges = list(hist.get("edges") or [])
    if len(edges) < 2:
        return _empty(fig, ax)
    real = [v or 0.0 for v in hist.get("real") or [0.0] * (len(edges) - 1)]
    syn = [v or 0.0 for v in hist.get("synthetic") or [0.0] * (len(edges) - 1)]
    ax.stairs(real, edges, fill=True, color=REAL_COLOR, alpha=0.3)
    ax.stairs(real, edges, color=REAL_COLOR, linewidth=1.2, label="real")
    ax.stairs(syn, edges, color=SYNTHETIC_COLOR, linewidth=1.6, label="synthetic")
    ax.set_xlim(edges[0], edges[-1])
    top = max([*real, *syn, 0.01])
    if point_mass(hist):
        # One bin holds most rows (e.g. capital gain 0 for 92 %): on a linear axis every other bin
        # would be invisible, so the shares go on a log axis.
        ax.set_yscale("log")
        ax.set_ylim(max(1e-4, min(v for v in [*real, *syn] if v > 0) / 2), top * 1.6)
        # Plain percentages: the default log labels are mathtext, which the SVG text mode
        # (fonttype "none") would print as raw "$\mathdefault{10^{-2}}$".
        ax.yaxis.set_major_formatter(FuncFormatter(_log_percent))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("share (log scale)")
    else:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, top * 1.12)
        ax.set_ylabel("share")
    _legend(fig)
    return fig


def _log_percent(value: float, _pos: int) -> str:
    return f"{value * 100:.3g}%"


def point_mass(hist: Mapping) -> bool:
    """Whether one bin holds at least half of the real or synthetic values."""
    shares = [v or 0.0 for v in [*(hist.get("real") or []), *(hist.get("synthetic") or [])]]
    return bool(shares) and max(shares) >= 0.5 and sum(1 for v in shares if v > 0) > 2


def _bars(bars: Mapping) -> Figure:
    labels = [str(x) for x in bars.get("labels") or []]
    n = len(labels)
    fig = Figure(figsize=(4.2, max(1.7, 0.9 + 0.2 * n)), layout="constrained")
    ax = fig.add_subplot()
    if not n:
        return _empty(fig, ax)
    real = [v or 0.0 for v in bars.get("real") or [0.0] * n]
    syn = [v or 0.0 for v in bars.get("synthetic") or [0.0] * n]
    pos = list(range(n))
    ax.barh([p - 0.2 for p in pos], real, height=0.4, color=REAL_COLOR, label="real")
    ax.barh([p + 0.2 for p in pos], syn, height=0.4, color=SYNTHETIC_COLOR, label="synthetic")
    ax.set_yticks(pos, [_label(x) for x in labels])
    ax.set_ylim(n - 0.4, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("share")
    ax.set_xlim(0, max([*real, *syn, 0.01]) * 1.1)
    _legend(fig)
    return fig


def _legend(fig: Figure) -> None:
    fig.legend(loc="outside upper right", ncols=2, fontsize=7, handlelength=1.2)


def _empty(fig: Figure, ax) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, "no values to plot", ha="center", va="center", color="#555555")
    return fig


# ---------------------------------------------------------------------------- helpers


def _flat(color: str):
    from matplotlib.colors import ListedColormap

    return ListedColormap([color])


def _abs_diff(a: float | None, b: float | None) -> float:
    if a is None or b is None:
        return math.nan
    return abs(float(a) - float(b))


def _label(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _svg(fig: Figure, salt: str) -> str:
    """The figure as inline SVG markup (see the module docstring)."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"synthdsl:{salt}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    for pattern in (_PROLOG, _METADATA, _STYLE, _COMMENT, _EMPTY_DEFS):
        text = pattern.sub("", text)
    text = _G_ID.sub(r"\1", text)
    return text.strip()


__all__ = ["column_plot", "difference_heatmap"]
