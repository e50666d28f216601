"""The small real-looking tables the evaluation tests share: a numeric pair, categoricals, a label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

GROUPS: Mapping[str, tuple[Sequence[str], Sequence[float] | None]] = {"g": (("a", "b", "c"), None)}


def frame(
    n: int,
    seed: int,
    categoricals: Mapping[str, tuple[Sequence[str], Sequence[float] | None]] = GROUPS,
) -> pd.DataFrame:
    """``x`` normal, ``y`` = 2x + noise, the given categorical columns, and ``label`` from x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    cols: dict[str, object] = {"x": x, "y": 2 * x + rng.normal(0, 0.5, n)}
    for name, (values, p) in categoricals.items():
        cols[name] = rng.choice(list(values), n, p=p)
    cols["label"] = np.where(x + rng.normal(0, 0.5, n) > 0, "yes", "no")
    return pd.DataFrame(cols)
