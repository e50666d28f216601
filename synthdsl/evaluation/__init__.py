"""Evaluate a synthetic table against the real one: fidelity, utility and privacy.

``evaluate(real, synthetic, holdout=..., target=...)`` returns an ``Evaluation`` whose JSON form is a
contract other tools gate on: ``fidelity.score``, ``utility.score``, ``privacy.score``,
``privacy.exact_match_rate`` and ``privacy.membership_inference_auc`` (null without a holdout), scores
in [0, 1], higher is better (for privacy: safer). Metrics live in ``fidelity.py``, ``utility.py`` and
``privacy.py``; this module loads, aligns and assembles.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from synthdsl import __version__
from synthdsl.errors import DataError
from synthdsl.evaluation._load import align, read_table

Source = str | Path | pd.DataFrame


class Evaluation(BaseModel):
    """The result; ``model_dump()`` is the JSON contract (keys may be added, never removed)."""

    model_config = ConfigDict(extra="allow")

    fidelity: dict[str, Any]
    utility: dict[str, Any]
    privacy: dict[str, Any]
    settings: dict[str, Any]

    @model_validator(mode="after")
    def _contract(self) -> Evaluation:
        for part in ("fidelity", "utility", "privacy"):
            score = getattr(self, part).get("score")
            if score is not None and not 0.0 <= score <= 1.0:
                raise ValueError(f"{part}.score must be in [0, 1], got {score}")
        for key in ("exact_match_rate", "membership_inference_auc"):
            if key not in self.privacy:
                raise ValueError(f"privacy.{key} is missing")
        return self

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), indent=2, default=_jsonable) + "\n"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def evaluate(
    real: Source,
    synthetic: Source,
    *,
    holdout: Source | None = None,
    target: str | None = None,
    subgroups: Sequence[str] = (),
    quasi_identifiers: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Compare ``synthetic`` with ``real`` (frames or CSV/Parquet paths)."""
    from synthdsl.evaluation.fidelity import fidelity
    from synthdsl.evaluation.privacy import privacy
    from synthdsl.evaluation.utility import utility

    step = progress or (lambda _name: None)
    r = read_table(real, "real")
    s = read_table(synthetic, "synthetic")
    h = read_table(holdout, "holdout") if holdout is not None else None
    r, s, h, kind_map = align(r, s, h, kinds)
    for name, cols in (("--subgroups", subgroups), ("--quasi-identifiers", quasi_identifiers)):
        for c in cols:
            if c not in kind_map:
                raise DataError(f"{name} names '{c}', which is not a column", column=c)
    if target is not None and target not in kind_map:
        raise DataError(f"target '{target}' is not a column", column=target)
    step("fidelity")
    fid = fidelity(r, s, kind_map, seed=seed)
    step("utility")
    if target is None:
        util: dict[str, Any] = {"score": None, "skipped": "no target given"}
    else:
        util = utility(
            r, s, kind_map, target=target, holdout=h, subgroups=tuple(subgroups), seed=seed
        )
    step("privacy")
    priv = privacy(r, s, kind_map, holdout=h, quasi_identifiers=tuple(quasi_identifiers), seed=seed)
    settings = {
        "synthdsl_version": __version__,
        "rows": {"real": len(r), "synthetic": len(s), "holdout": None if h is None else len(h)},
        "columns": kind_map,
        "target": target,
        "subgroups": list(subgroups),
        "quasi_identifiers": list(quasi_identifiers),
        "seed": seed,
    }
    return Evaluation(fidelity=fid, utility=util, privacy=priv, settings=settings)


__all__ = ["Evaluation", "evaluate"]
