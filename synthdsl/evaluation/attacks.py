"""The GDPR's three re-identification risks, measured with anonymeter against its baseline attacks.

Input: the aligned real (training), synthetic and holdout (control) frames. Output: a JSON-ready
dict ``{"singling_out": …, "linkability": …, "inference": {column: …}}``. Each attack entry holds the
risk (the attack's success rate in excess of the control attack on unseen holdout rows, the measure
of Giomi et al., "A Unified Framework for Quantifying Privacy Risk in Synthetic Data", PETS 2023),
its 95 % confidence interval, the attack, baseline and control success rates, and a plain-language
reading. An attack that cannot run says why under ``skipped``; with fewer than ``MIN_ATTACK_ROWS``
rows in the real, synthetic or holdout table none runs, and each entry says why under ``withheld``
(a risk from a handful of attacks is a coin flip with a confidence interval as wide as the scale).

Why anonymeter and not our own code: it is the reference implementation of the three criteria of the
Article 29 Working Party's opinion on anonymisation, and regulators' reviewers know it. Its release
pins numpy<1.27; it runs on numpy 2, so it is installed without its pins (see docs/evaluate.md).

Determinism: anonymeter samples its targets with pandas' ``sample()`` (numpy's global generator),
so the attacks run with that generator seeded from ``seed`` and restored afterwards. The
linkability *baseline* draws from an unseeded generator; we report its exact expected success rate
instead. One figure stays irreproducible: the singling-out *baseline* (random queries) picks values
from polars' ``unique()``, whose order is arbitrary, so its ``baseline_rate`` varies by a few points
between runs. It is a sanity check only; no risk or score depends on it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synthdsl.errors import MissingExtraError
from synthdsl.evaluation._load import missing_as_label

N_ATTACKS = 500  # attacks per criterion; anonymeter's default, CI half-width about ±4 points
MAX_ROWS = 5_000  # rows per table the attacks see (sampled with the seed)
N_NEIGHBORS = 1  # linkability: a link counts when both halves point at the same synthetic row
MAX_SECRETS = 10  # inference: sensitive columns attacked
MIN_ATTACK_ROWS = 50  # rows per table below which the attacks' risks are withheld


def load_anonymeter() -> Any:
    """Import anonymeter's evaluators, or say exactly how to install them."""
    try:
        from anonymeter import evaluators
    except ImportError:
        raise MissingExtraError(
            "the singling-out, linkability and inference attacks",
            "evaluate",
            "anonymeter",
            hint="pip install 'synthdsl[evaluate]' && pip install --no-deps anonymeter==1.1.0 "
            "(its release pins numpy<1.27 but runs on numpy 2), or pass --no-attacks",
        ) from None
    return evaluators


def attacks(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    kinds: Mapping[str, str],
    *,
    quasi_identifiers: Sequence[str] = (),
    sensitive: Sequence[str] = (),
    seed: int = 0,
) -> dict[str, Any]:
    """Run singling out, linkability and attribute inference; see the module docstring.

    Linkability splits the quasi-identifiers (all columns when none are given) into two halves, as
    if an attacker held two datasets about the same people. Inference attacks each ``sensitive``
    column from the quasi-identifiers (all other columns when none are given).
    """
    ev = load_anonymeter()
    if holdout is None:
        why = "needs a holdout (--holdout): the risk is the excess over an attack on unseen rows"
        return {"singling_out": {"skipped": why}, "linkability": {"skipped": why}, "inference": {}}
    fewest = min(len(real), len(synthetic), len(holdout))
    if fewest < MIN_ATTACK_ROWS:
        why = {
            "withheld": f"the real, synthetic and holdout tables have {len(real):,}, "
            f"{len(synthetic):,} and {len(holdout):,} rows; the attacks need at least "
            f"{MIN_ATTACK_ROWS} in each"
        }
        return {
            "singling_out": dict(why),
            "linkability": dict(why),
            "inference": {col: dict(why) for col in list(sensitive)[:MAX_SECRETS]},
        }
    rng = np.random.default_rng(seed)
    ori, syn, control = (_prepare(_sample(f, rng), kinds) for f in (real, synthetic, holdout))
    n_attacks = int(min(N_ATTACKS, len(ori), len(control)))
    columns = list(real.columns)
    qi = list(quasi_identifiers) or columns
    out: dict[str, Any] = {}
    with _seeded(seed), warnings.catch_warnings(record=True) as caught, _logs_as_warnings():
        warnings.simplefilter("always")
        out["singling_out"] = _singling_out(ev, ori, syn, control, n_attacks, seed, caught)
        out["linkability"] = _linkability(ev, ori, syn, control, n_attacks, qi, caught)
        out["inference"] = {
            col: _inference(ev, ori, syn, control, n_attacks, qi, col, kinds, caught)
            for col in list(sensitive)[:MAX_SECRETS]
        }
    out["settings"] = {
        "n_attacks": n_attacks,
        "rows": {"real": len(ori), "synthetic": len(syn), "holdout": len(control)},
        "sampled": any(len(f) > MAX_ROWS for f in (real, synthetic, holdout)),
    }
    return out


def max_risk(result: Mapping[str, Any]) -> dict[str, float | None]:
    """The three headline risks (inference: the worst column), None where not measured."""
    inference = [v["risk"] for v in result.get("inference", {}).values() if "risk" in v]
    return {
        "singling_out": result.get("singling_out", {}).get("risk"),
        "linkability": result.get("linkability", {}).get("risk"),
        "inference": max(inference) if inference else None,
    }


# ---------------------------------------------------------------------------- the three attacks


def _singling_out(ev, ori, syn, control, n_attacks, seed, caught) -> dict[str, Any]:
    n_cols = min(3, ori.shape[1])
    start = len(caught)
    try:
        evaluator = ev.SinglingOutEvaluator(
            ori=ori,
            syn=syn,
            control=control,
            n_attacks=n_attacks,
            n_cols=n_cols,
            max_attempts=50_000,
            seed=seed,
        ).evaluate(mode="multivariate" if n_cols > 1 else "univariate")
    except RuntimeError as exc:  # anonymeter: too few queries could be generated
        return {"skipped": f"the attack found too few singling-out queries ({exc})"}
    res = _result(evaluator.results(), evaluator.risk(), caught[start:])
    res["query_columns"] = n_cols
    res["reading"] = _reading(
        res,
        "An attacker who writes predicates (such as 'age 93 and city Hasselt') that match exactly "
        "one synthetic row",
        "isolates a single real person",
    )
    return res


def _linkability(ev, ori, syn, control, n_attacks, qi, caught) -> dict[str, Any]:
    if len(qi) < 2:
        return {"skipped": "needs at least two quasi-identifiers to split between two datasets"}
    half = (len(qi) + 1) // 2
    aux = (qi[:half], qi[half:])
    start = len(caught)
    evaluator = ev.LinkabilityEvaluator(
        ori=ori,
        syn=syn,
        control=control,
        aux_cols=aux,
        n_attacks=n_attacks,
        n_neighbors=N_NEIGHBORS,
    ).evaluate(n_jobs=1)
    results = evaluator.results()
    res = _result(results, evaluator.risk(), caught[start:])
    # The baseline is random links between the two halves; its exact expectation replaces
    # anonymeter's unseeded draw (see the module docstring).
    n_syn, k = len(syn), N_NEIGHBORS
    res["baseline_rate"] = 1.0 - math.comb(n_syn - k, k) / math.comb(n_syn, k)
    # anonymeter's "no better than baseline" warning compared with its own random draw: judge
    # against the exact baseline instead.
    res.pop("warnings", None)
    if res["attack_rate"] <= res["baseline_rate"]:
        res["warnings"] = ["Attack is as good or worse as baseline model."]
    res["aux_columns"] = [list(aux[0]), list(aux[1])]
    res["reading"] = _reading(
        res,
        f"An attacker holding one dataset with {', '.join(aux[0])} and another with "
        f"{', '.join(aux[1])} who links them through their nearest synthetic rows",
        "links records of the same real person",
    )
    return res


def _inference(ev, ori, syn, control, n_attacks, qi, secret, kinds, caught) -> dict[str, Any]:
    aux = [c for c in qi if c != secret] or [c for c in ori.columns if c != secret]
    if not aux:
        return {"skipped": "no other column to infer it from"}
    start = len(caught)
    evaluator = ev.InferenceEvaluator(
        ori=ori,
        syn=syn,
        control=control,
        aux_cols=aux,
        secret=secret,
        regression=kinds[secret] == "numeric",
        n_attacks=n_attacks,
    ).evaluate(n_jobs=1)
    res = _result(evaluator.results(), evaluator.risk(), caught[start:])
    res["aux_columns"] = aux
    res["reading"] = _reading(
        res,
        f"An attacker who knows {', '.join(aux[:6])}{' …' if len(aux) > 6 else ''} of a real "
        f"person and looks up the closest synthetic row",
        f"guesses their {secret}",
    )
    return res


# ---------------------------------------------------------------------------- helpers


def _sample(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= MAX_ROWS:
        return frame.reset_index(drop=True)
    idx = np.sort(rng.choice(len(frame), MAX_ROWS, replace=False))
    return frame.iloc[idx].reset_index(drop=True)


def _prepare(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Numbers as float, labels as str with missing as a label (anonymeter's KNN needs both)."""
    out = {}
    for col in frame.columns:
        if kinds[col] == "numeric":
            out[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        else:
            out[col] = missing_as_label(frame[col]).astype(object)
    return pd.DataFrame(out)


class _WarnHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        warnings.warn(record.getMessage(), UserWarning, stacklevel=1)


@contextlib.contextmanager
def _logs_as_warnings() -> Iterator[None]:
    """anonymeter logs its caveats ("could generate only 12 queries"); keep them with the result."""
    logger = logging.getLogger("anonymeter")
    handler, propagate = _WarnHandler(level=logging.WARNING), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _result(results, risk, caught: list[warnings.WarningMessage]) -> dict[str, Any]:
    control = results.control_rate
    out = {
        "risk": float(risk.value),
        "ci": [float(risk.ci[0]), float(risk.ci[1])],
        "attack_rate": float(results.attack_rate.value),
        "baseline_rate": float(results.baseline_rate.value),
        "control_rate": None if control is None else float(control.value),
        "n_attacks": int(results.n_attacks_ori),
    }
    notes = sorted({str(w.message) for w in caught})
    if notes:
        out["warnings"] = notes
    return out


def _reading(res: Mapping[str, Any], who: str, what: str) -> str:
    attack, control, risk = res["attack_rate"], res["control_rate"], res["risk"]
    base = (
        f"{who} {what} in {attack:.1%} of attempts, against {control:.1%} for people who were not "
        f"in the training data (random guessing: {res['baseline_rate']:.1%})."
    )
    if risk < 0.05 and res["ci"][1] >= 0.15:
        verdict = (
            f" The measured excess risk is small ({risk:.1%}), but its 95% confidence interval "
            f"reaches {res['ci'][1]:.1%}: too few attacks succeed to rule a real risk out (a larger "
            "holdout narrows it)."
        )
    elif risk < 0.05:
        verdict = (
            f" The data adds little risk (excess risk {risk:.1%}, 95% CI up to {res['ci'][1]:.1%})."
        )
    elif risk < 0.2:
        verdict = f" The data adds a modest risk (excess risk {risk:.1%})."
    else:
        verdict = (
            f" The data adds a substantial risk (excess risk {risk:.1%}): review before release."
        )
    for note in res.get("warnings", ()):
        if "as good or worse as baseline" in note:
            verdict += (
                " The attack did no better than random guessing, so it found nothing to exploit."
            )
        elif "could generate only" in note:
            verdict += f" Caveat from anonymeter: {note}"
    return base + verdict
