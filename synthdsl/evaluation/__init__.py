"""Evaluate a synthetic table against the real one: fidelity, utility and privacy.

``evaluate(real, synthetic, holdout=..., target=...)`` returns an ``Evaluation`` whose JSON form is a
contract other tools gate on: ``fidelity.score``, ``utility.score``, ``privacy.score``,
``privacy.exact_match_rate`` and ``privacy.membership_inference_auc`` (null without a holdout), scores
in [0, 1], higher is better (for privacy: safer). Metrics live in ``fidelity.py``, ``utility.py`` and
``privacy.py``; this module loads, aligns and assembles.

Figures computed on too few rows are withheld: ``None``, with the reason under the part's
``withheld`` map (``utility.withheld.score``, ``privacy.withheld.membership_inference_auc``, ...).
Library warnings (scikit-learn, numpy, pandas) never reach the terminal: the evaluation runs with
warnings recorded and numpy's floating-point errors silenced; what a user needs to know is said in
our words (``settings.notes``, ``utility.notes``), and the rest is listed, one line per kind, under
``settings.library_warnings``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from synthdsl import __version__
from synthdsl._optional import import_optional
from synthdsl.errors import DataError, did_you_mean
from synthdsl.evaluation._load import ROLES, align, json_ready, read_table

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
        """Strict JSON: NaN and infinities become null, so every JSON parser reads it."""
        return json.dumps(json_ready(self.model_dump()), indent=2, allow_nan=False) + "\n"


def evaluate(
    real: Source,
    synthetic: Source,
    *,
    holdout: Source | None = None,
    target: str | None = None,
    subgroups: Sequence[str] = (),
    quasi_identifiers: Sequence[str] = (),
    sensitive: Sequence[str] = (),
    kinds: Mapping[str, str] | None = None,
    card: str | Path | None = None,
    attacks: bool = True,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Compare ``synthetic`` with ``real`` (frames or CSV/Parquet paths).

    Args:
        holdout: real rows the generator never saw; the test set for utility and the control
            group for every privacy attack (membership inference and anonymeter's attacks need it).
        target: the column utility predicts; without it utility is skipped.
        subgroups: report utility per value of these columns too.
        quasi_identifiers: the columns an attacker knows (identity disclosure, linkability,
            inference); all columns when empty.
        sensitive: the columns the inference attack tries to guess.
        kinds: overrides of the inferred column kinds (``numeric`` or ``categorical``).
        card: a ``card.json`` whose privacy budget is reported; found beside ``synthetic`` when
            it is a path and this is None.
        attacks: run anonymeter's singling-out, linkability and inference attacks.
        seed: seeds every sample and model, so the same inputs give the same result.
        progress: called with the name of each stage as it starts.
    """
    _check_options(subgroups, quasi_identifiers, sensitive)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        result = _evaluate(
            real,
            synthetic,
            holdout,
            target,
            subgroups,
            quasi_identifiers,
            sensitive,
            kinds,
            card,
            attacks,
            seed,
            progress,
        )
    seen = sorted(
        {
            f"{w.category.__name__}: {str(w.message).strip().splitlines()[0]}"
            for w in caught
            if not issubclass(w.category, FOR_DEVELOPERS) and str(w.message).strip()
        }
    )
    if seen:
        result.settings["library_warnings"] = seen[:MAX_WARNINGS]
    return result


MAX_WARNINGS = 20  # distinct library warnings kept in settings.library_warnings
# About code, not the data (a library's API changing): recorded nowhere, they would only confuse.
FOR_DEVELOPERS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def _evaluate(
    real: Source,
    synthetic: Source,
    holdout: Source | None,
    target: str | None,
    subgroups: Sequence[str],
    quasi_identifiers: Sequence[str],
    sensitive: Sequence[str],
    kinds: Mapping[str, str] | None,
    card: str | Path | None,
    attacks: bool,
    seed: int,
    progress: Callable[[str], None] | None,
) -> Evaluation:
    """``evaluate`` without its warning capture (see there)."""
    import_optional("sklearn", "synthdsl evaluate")
    if attacks:
        from synthdsl.evaluation.attacks import load_anonymeter

        load_anonymeter()
    from synthdsl.evaluation.fidelity import fidelity
    from synthdsl.evaluation.privacy import privacy
    from synthdsl.evaluation.utility import utility

    step = progress or (lambda _name: None)
    step("loading")
    r = read_table(real, "real")
    s = read_table(synthetic, "synthetic")
    h = read_table(holdout, "holdout") if holdout is not None else None
    notes: list[str] = []
    names = [_table_name(role, src) for role, src in zip(ROLES, (real, synthetic, holdout))]
    r, s, h, kind_map = align(r, s, h, kinds, names=names, notes=notes)
    for name, cols in (
        ("--subgroups", subgroups),
        ("--quasi-identifiers", quasi_identifiers),
        ("--sensitive", sensitive),
    ):
        for c in cols:
            if c not in kind_map:
                hint = did_you_mean(c, kind_map, quoted=False)
                raise DataError(
                    f"{name} names '{c}', which is not a column" + (f"; {hint}" if hint else ""),
                    column=c,
                )
    if target is not None and target not in kind_map:
        hint = did_you_mean(target, kind_map, quoted=False)
        raise DataError(
            f"target '{target}' is not a column" + (f"; {hint}" if hint else ""), column=target
        )
    card_path = _find_card(card, synthetic)
    dp = differential_privacy(card_path)
    step("fidelity")
    fid = fidelity(r, s, kind_map, seed=seed)
    step("utility")
    if target is None:
        util: dict[str, Any] = {"score": None, "skipped": "no target given"}
    else:
        util = utility(
            r, s, kind_map, target=target, holdout=h, subgroups=tuple(subgroups), seed=seed
        )
    attack_out = None
    if attacks:
        from synthdsl.evaluation.attacks import attacks as run_attacks

        step("privacy attacks")
        attack_out = run_attacks(
            r,
            s,
            h,
            kind_map,
            quasi_identifiers=tuple(quasi_identifiers),
            sensitive=tuple(sensitive),
            seed=seed,
        )
    step("privacy")
    priv = privacy(
        r,
        s,
        kind_map,
        holdout=h,
        quasi_identifiers=tuple(quasi_identifiers),
        seed=seed,
        attacks=attack_out,
    )
    priv["differential_privacy"] = dp
    priv["readings"]["differential_privacy"] = _dp_reading(dp)
    settings = {
        "synthdsl_version": __version__,
        "rows": {"real": len(r), "synthetic": len(s), "holdout": None if h is None else len(h)},
        "columns": kind_map,
        "target": target,
        "subgroups": list(subgroups),
        "quasi_identifiers": list(quasi_identifiers),
        "sensitive": list(sensitive),
        "attacks": attacks,
        "card": None if card_path is None else str(card_path),
        "test_set": util.get("test_set"),
        "seed": seed,
        "sampling": _sampling_notes(fid, priv),
    }
    if notes:
        settings["notes"] = notes
    return Evaluation(fidelity=fid, utility=util, privacy=priv, settings=settings)


def _table_name(role: str, source: Source | None) -> str:
    """How errors name a table: "synthetic table out/adult.csv", or "synthetic table" for a frame."""
    if isinstance(source, str | Path):
        return f"{role} table {source}"
    return f"{role} table"


def withheld(result: Evaluation) -> list[tuple[str, str]]:
    """``(figure, reason)`` for every figure withheld for too few rows, for a one-line note each."""
    out = []
    for part in ("utility", "privacy"):
        for key, reason in (getattr(result, part).get("withheld") or {}).items():
            out.append((f"{part}.{key}", str(reason)))
    return out


def _check_options(*groups: Sequence[str]) -> None:
    for group in groups:
        if isinstance(group, str):
            raise TypeError(f"expected a sequence of column names, got the string {group!r}")


def _find_card(card: str | Path | None, synthetic: Source) -> Path | None:
    if card is not None:
        path = Path(card)
        if path.is_dir():
            path = path / "card.json"
        if not path.is_file():
            raise DataError(f"the card {path} does not exist")
        return path
    if isinstance(synthetic, str | Path):
        beside = Path(synthetic).parent / "card.json"
        if beside.is_file():
            return beside
    return None


def differential_privacy(card_path: Path | None) -> dict[str, Any] | None:
    """The (epsilon, delta) a card records for models trained on real data, or None."""
    if card_path is None:
        return None
    try:
        data = json.loads(card_path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"the card {card_path} cannot be read: {exc}") from None
    budget = data.get("privacy") if isinstance(data, dict) else None
    if not isinstance(budget, dict) or budget.get("epsilon") is None:
        return {"epsilon": None, "delta": None, "source": str(card_path)}
    return {
        "epsilon": float(budget["epsilon"]),
        "delta": None if budget.get("delta") is None else float(budget["delta"]),
        "source": str(card_path),
    }


def _dp_reading(dp: Mapping[str, Any] | None) -> str:
    if dp is None:
        return "No dataset card was given, so no differential-privacy guarantee is reported."
    if dp["epsilon"] is None:
        return (
            "The card records no model trained on real data: no privacy budget was spent and "
            "no differential-privacy guarantee applies (rules and stated distributions only)."
        )
    eps, delta = dp["epsilon"], dp["delta"]
    bound = math.exp(eps)
    return (
        f"The models were trained with differential privacy at epsilon {eps:g}"
        + (f", delta {delta:g}" if delta else "")
        + f": whatever an attacker concludes about any one person changes its odds by at most "
        f"a factor of {bound:.3g} whether or not that person was in the data"
        + (f" (except with probability {delta:g})." if delta else ".")
    )


def _sampling_notes(fid: Mapping[str, Any], priv: Mapping[str, Any]) -> list[str]:
    from synthdsl.evaluation import attacks, fidelity, privacy

    notes = []
    if fid.get("sampled"):
        notes.append(
            f"fidelity: each table sampled to {fidelity.DEFAULT_MAX_ROWS:,} rows "
            f"(MMD on {fidelity.MMD_ROWS:,})"
        )
    if priv.get("sampled"):
        notes.append(
            f"privacy: distances to closest records from {privacy.DEFAULT_MAX_ROWS:,} query rows "
            "per table"
        )
    att = priv.get("attacks") or {}
    if att.get("settings", {}).get("sampled"):
        notes.append(f"privacy attacks: {attacks.MAX_ROWS:,} rows per table")
    return notes


__all__ = ["Evaluation", "differential_privacy", "evaluate", "withheld"]
