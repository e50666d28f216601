"""The training rows that break a table's rules: counted at fit time, released with noise under DP.

Input: the model's ``rules`` (row rules of the drawing table over the model's columns, as AST JSON),
the training frame typed by the declared columns, the weights, and an epsilon for the counts (None
without DP). Output: per rule the (noisy) number of training rows that break it, for the card. The
rules still hold on every generated row (the model step's tables are shaped by them and the block
loop redraws what fails); this count says how far the real data was from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Ctx, Scope
from synthdsl.expr.datasets import series_values
from synthdsl.syntax.ast_json import from_json
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd

    from synthdsl.plan.model import ModelSpec

_EXPR_TYPES = {"decimal": "float", "enum": "text"}


def _column(series: pd.Series, kind: str) -> tuple[Values, str]:
    import pandas as pd

    typ = _EXPR_TYPES.get(kind, kind)
    if typ in ("date", "datetime"):
        ts = pd.to_datetime(series, errors="coerce")
        null = ts.isna().to_numpy()
        unit = "D" if typ == "date" else "us"
        data = ts.to_numpy(dtype="datetime64[ns]").astype(f"datetime64[{unit}]")
        return Values(data, null if null.any() else None), typ
    if typ == "bool":
        text = series.astype(str).str.lower()
        v = Values(text.isin(["true", "1", "1.0"]).to_numpy(), series.isna().to_numpy())
        return v, typ
    if typ in ("int", "float"):
        num = pd.to_numeric(series, errors="coerce")
        return series_values(num, "float" if typ == "float" or num.isna().any() else typ), typ
    return series_values(series, "text"), "text"


def count_broken(
    spec: ModelSpec, frame: pd.DataFrame, w: np.ndarray | None, epsilon: float | None, noise
) -> list[dict[str, Any]]:
    """Per rule: ``{"rule", "rows", "private"}``, rows rounded (noisy under DP, never below 0)."""
    if not spec.rules:
        return []
    kinds = {c.name: c.dtype.kind for c in spec.columns}
    cols, types = {}, {}
    for name in kinds:
        cols[name], types[name] = _column(frame[name], kinds[name])
    n = len(frame)
    ctx = Ctx(n, cols, np.arange(n), [0])
    out = []
    for rule in spec.rules:
        scope = Scope("", types, {}, {}, "en_US", [])
        compiled = Compiler(scope).compile(from_json(rule["expr"]))
        with np.errstate(all="ignore"):
            held = compiled.fn(ctx)
        broken = ~(np.asarray(held.data, dtype=bool) & ~held.is_null())
        count = float(broken.sum() if w is None else w[broken].sum())
        if epsilon is not None:
            count = max(0.0, count + float(noise.geometric(epsilon / len(spec.rules), 1.0, 1)[0]))
        out.append({"rule": rule["name"], "rows": round(count), "private": epsilon is not None})
    return out
