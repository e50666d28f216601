"""Privacy of a synthetic table against the real table it was trained on.

``privacy(real, synthetic, kinds, holdout=..., quasi_identifiers=...)`` returns a JSON-ready dict:

* ``exact_match_rate``: share of synthetic rows identical to some real row (all columns, exact, nulls
  equal), found by hashing rows with pandas.
* ``dcr``: distances to the closest real record. Rows are encoded into a numeric space (numeric columns
  centred on the real median and divided by the real robust range, IQR, falling back to the standard
  deviation; a missing number becomes the median plus a 0/1 "missing" column; categoricals are one-hot
  over the real data's most frequent values with "missing" and "other" as values of their own, each
  scaled by 1/sqrt(2) so one differing label adds 1 to the squared distance).
* ``membership_inference_auc``: ROC AUC of the attack "a row is a training member when it is close to a
  synthetic row", real (training) rows against holdout rows; 0.5 means the attack learns nothing.
* ``identity_disclosure``: the Hamming distance on the quasi-identifiers from each synthetic (and
  holdout, as the chance baseline) row to its closest real row (shares at distance 0 and at most 1),
  and the share of synthetic rows that are unique on the quasi-identifiers and whose
  quasi-identifier values belong to a row that is unique in the real data.

Minimum sample sizes: the figures that compare with the holdout (membership-inference AUC, the
holdout's distances, its exact-match baseline) need at least ``MIN_HOLDOUT_ROWS`` rows in both the
real and the holdout table; with fewer (a one-row holdout gives an AUC of 0 or 1) they are ``None``,
``withheld`` maps each to the reason, and the rest is computed as without a holdout.

Quadratic parts (nearest-neighbour queries) use at most ``max_rows`` query rows per side, drawn with
``seed``; ``sampled`` says whether that happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from synthdsl.errors import DataError
from synthdsl.evaluation._load import missing_as_label
from synthdsl.evaluation.attacks import max_risk

MAX_CATEGORIES = 20
DEFAULT_MAX_ROWS = 5_000  # query rows per table in the nearest-neighbour parts
MIN_HOLDOUT_ROWS = 30  # rows per side below which holdout comparisons are withheld
HOLDOUT_FIGURES = (
    "membership_inference_auc",
    "exact_match_rate_holdout",
    "dcr.holdout_to_real_median",
    "dcr.share_closer_than_holdout",
)
RISKS = ("singling_out", "linkability", "inference")
_SQRT_HALF = float(np.sqrt(0.5))


def privacy(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str],
    *,
    holdout: pd.DataFrame | None = None,
    quasi_identifiers: Sequence[str] = (),
    seed: int = 0,
    max_rows: int = DEFAULT_MAX_ROWS,
    attacks: Mapping[str, Any] | None = None,
) -> dict:
    """Privacy metrics of ``synthetic`` against ``real`` (optionally with an unseen ``holdout``).

    Score (in [0, 1], higher is safer) is the weakest (minimum) of the available parts, each
    reported under ``parts``:

    * ``1 - excess exact-match rate`` over the holdout's chance rate (the raw rate without a holdout)
    * ``1 - 2 * max(0, membership_inference_auc - 0.5)`` (needs a holdout)
    * ``1 - clip((share_closer_than_holdout - 0.05) / 0.95, 0, 1)`` (needs a holdout): 5 % of synthetic
      rows closer to the real data than the 5th percentile of holdout rows is what an ideal generator
      gives, so only the excess counts; all rows that close gives 0.
    * ``1 - share_synthetic_unique_matching_real_unique`` (needs quasi-identifiers)
    * ``1 - risk`` for each anonymeter attack in ``attacks`` that ran (singling out, linkability,
      the worst inference column; see ``attacks.py``)
    """
    columns = list(real.columns)
    _check(real, synthetic, holdout, kinds, quasi_identifiers)
    rng = np.random.default_rng(seed)
    withheld: dict[str, str] = {}
    if holdout is not None and min(len(real), len(holdout)) < MIN_HOLDOUT_ROWS:
        reason = (
            f"the real table has {len(real):,} rows and the holdout {len(holdout):,}; a "
            f"comparison with the holdout needs at least {MIN_HOLDOUT_ROWS} in each"
        )
        withheld = dict.fromkeys(HOLDOUT_FIGURES, reason)
        holdout = None

    exact = _exact_match_rate(real, synthetic, columns)
    # Unseen people can match a real row exactly by chance (few, coarse columns): their rate is
    # the baseline, and only the excess counts against the synthetic data.
    exact_holdout = _exact_match_rate(real, holdout, columns) if holdout is not None else None

    encode = _encoder(real, kinds)
    sampled = False

    def take(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        nonlocal sampled
        if len(frame) > n:
            sampled = True
            return frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))]
        return frame

    real_x = encode(real)
    syn_q = encode(take(synthetic, max_rows))
    nn_real = NearestNeighbors(n_neighbors=1, algorithm="auto").fit(real_x)
    syn_dcr = nn_real.kneighbors(syn_q)[0][:, 0]

    hold_median = share_closer = auc = None
    if holdout is not None:
        hold_dcr = nn_real.kneighbors(encode(take(holdout, max_rows)))[0][:, 0]
        hold_median = float(np.median(hold_dcr))
        threshold = np.percentile(hold_dcr, 5)
        share_closer = float(np.mean(syn_dcr < threshold))
        n = min(len(real), len(holdout), max_rows)
        members = take(real, n)
        non_members = take(holdout, n)
        nn_syn = NearestNeighbors(n_neighbors=1).fit(encode(synthetic))
        d_mem = nn_syn.kneighbors(encode(members))[0][:, 0]
        d_non = nn_syn.kneighbors(encode(non_members))[0][:, 0]
        labels = np.r_[np.ones(len(d_mem)), np.zeros(len(d_non))]
        auc = float(roc_auc_score(labels, -np.r_[d_mem, d_non]))

    qi = list(quasi_identifiers)
    identity = None
    if qi:
        identity = {
            "quasi_identifiers": qi,
            "share_synthetic_unique_matching_real_unique": _unique_matches(real, synthetic, qi),
            **_hamming_disclosure(
                real,
                take(synthetic, max_rows),
                None if holdout is None else take(holdout, max_rows),
                qi,
            ),
        }

    parts = {"exact_matches": 1.0 - _excess(exact, exact_holdout)}
    if auc is not None:
        parts["membership_inference"] = 1.0 - 2.0 * max(0.0, auc - 0.5)
    if share_closer is not None:
        parts["distance_to_closest"] = 1.0 - float(np.clip((share_closer - 0.05) / 0.95, 0, 1))
    if identity is not None:
        parts["identity_disclosure"] = 1.0 - identity["share_synthetic_unique_matching_real_unique"]
    risks = max_risk(attacks) if attacks is not None else {}
    for name in RISKS:
        entry = (attacks or {}).get(name) or {}
        entries = entry.values() if name == "inference" else [entry]
        why = [e["withheld"] for e in entries if isinstance(e, dict) and "withheld" in e]
        if why and risks.get(name) is None:
            withheld[f"{name}_risk"] = why[0]
    for name, risk in risks.items():
        if risk is not None:
            parts[name] = 1.0 - float(risk)
    # The weakest part, not the mean: an attacker uses whichever attack works best, so one leak
    # must not be averaged away by the figures that look fine.
    score = float(np.clip(min(parts.values()), 0.0, 1.0))

    dcr = {
        "synthetic_to_real_median": float(np.median(syn_dcr)),
        "holdout_to_real_median": hold_median,
        "share_closer_than_holdout": share_closer,
    }
    out = {
        "score": score,
        "exact_match_rate": exact,
        "exact_match_rate_holdout": exact_holdout,
        "parts": parts,
        "dcr": dcr,
        "membership_inference_auc": auc,
        "identity_disclosure": identity,
        "singling_out_risk": risks.get("singling_out"),
        "linkability_risk": risks.get("linkability"),
        "inference_risk": risks.get("inference"),
        "attacks": attacks,
        "readings": _readings(score, exact, exact_holdout, dcr, auc, identity, parts),
        "sampled": sampled,
    }
    if withheld:
        out["withheld"] = withheld
        if "membership_inference_auc" in withheld:
            out["readings"]["membership_inference_auc"] = (
                f"Membership inference was withheld: {withheld['membership_inference_auc']}."
            )
    return out


def _check(real, synthetic, holdout, kinds, qi) -> None:
    columns = list(real.columns)
    for name, frame in (("synthetic", synthetic), ("holdout", holdout)):
        if frame is not None and list(frame.columns) != columns:
            raise DataError(f"the {name} table's columns differ from the real table's")
    for c in columns:
        if kinds.get(c) not in ("numeric", "categorical"):
            raise DataError("column kind must be 'numeric' or 'categorical'", column=c)
    for c in qi:
        if c not in columns:
            raise DataError("quasi-identifier is not a column of the tables", column=c)
    if len(real) == 0 or len(synthetic) == 0:
        raise DataError("privacy needs rows in both the real and the synthetic table")
    if holdout is not None and len(holdout) == 0:
        raise DataError("the holdout table has no rows")


def _row_hashes(frames: list[pd.DataFrame], columns: list[str]) -> list[np.ndarray]:
    """One uint64 per row, comparable across ``frames`` (hashed together so dtypes agree)."""
    both = pd.concat([f[columns] for f in frames], ignore_index=True)
    # Unify dtypes per column (e.g. int vs float, category vs object) before hashing.
    both = both.apply(lambda s: s.astype(object) if s.dtype.kind not in "iufb" else s.astype(float))
    h = pd.util.hash_pandas_object(both, index=False).to_numpy()
    out, start = [], 0
    for f in frames:
        out.append(h[start : start + len(f)])
        start += len(f)
    return out


def _exact_match_rate(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> float:
    h_real, h_syn = _row_hashes([real, synthetic], columns)
    return float(np.isin(h_syn, h_real).mean())


def _unique_matches(real: pd.DataFrame, synthetic: pd.DataFrame, qi: list[str]) -> float:
    h_real, h_syn = _row_hashes([real, synthetic], qi)
    vr, cr = np.unique(h_real, return_counts=True)
    _, inverse, cs = np.unique(h_syn, return_inverse=True, return_counts=True)
    syn_unique = cs[inverse] == 1
    hit = syn_unique & np.isin(h_syn, vr[cr == 1])
    return float(hit.mean())


def _hamming_disclosure(
    real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, qi: list[str]
) -> dict[str, Any]:
    """Hamming distance on the quasi-identifiers from each synthetic row to its closest real row.

    Distance 0 means an attacker who knows a person's quasi-identifiers finds a synthetic row that
    matches them exactly; distance 1, all but one. The holdout rows' distances to the real rows are
    the baseline: how often an unseen person matches that closely by chance. Only the shares at 0
    and at most 1 are reported, because both are exact by hashing (no quadratic search): a row is
    within distance 1 when, for some quasi-identifier, the row with that value masked occurs among
    the real rows masked the same way.
    """
    frames = [real, synthetic] + ([holdout] if holdout is not None else [])
    masks = [qi] + ([[c for c in qi if c != m] for m in qi] if len(qi) > 1 else [])
    keys = [_row_hashes(frames, cols) for cols in masks]  # keys[mask][frame]
    out: dict[str, Any] = {}
    for name, k in (("synthetic", 1), ("holdout", 2)):
        if k >= len(frames):
            out[f"hamming_{name}"] = None
            continue
        hits = [np.isin(by_frame[k], by_frame[0]) for by_frame in keys]
        out[f"hamming_{name}"] = {
            "share_at_0": float(hits[0].mean()),
            "share_at_most_1": float(np.logical_or.reduce(hits).mean()),
        }
    return out


def _encoder(real: pd.DataFrame, kinds: Mapping[str, str]):
    """A function frame -> float matrix, fitted on ``real`` (see the module docstring)."""
    specs = []
    for c in real.columns:
        if kinds[c] == "numeric":
            x = pd.to_numeric(real[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            finite = x[np.isfinite(x)]
            if finite.size:
                med = float(np.median(finite))
                q1, q3 = np.percentile(finite, [25, 75])
                scale = float(q3 - q1) or float(np.std(finite)) or 1.0
            else:
                med, scale = 0.0, 1.0
            specs.append(("n", c, med, scale, bool(np.isnan(x).any())))
        else:
            labels = missing_as_label(real[c])
            top = labels.value_counts(sort=True).index[:MAX_CATEGORIES].tolist()
            specs.append(("c", c, top))

    def encode(frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for spec in specs:
            if spec[0] == "n":
                _, c, med, scale, _had_missing = spec
                x = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                missing = ~np.isfinite(x)
                blocks.append(((np.where(missing, med, x) - med) / scale)[:, None])
                # Always present, so every table encodes to the same width (a column with no
                # missing value in the real data may have some in the synthetic data).
                blocks.append(missing[:, None].astype(float))
            else:
                _, c, top = spec
                labels = missing_as_label(frame[c])
                codes = pd.Index(top).get_indexer(labels)  # -1 = other
                onehot = np.zeros((len(frame), len(top) + 1))
                onehot[np.arange(len(frame)), np.where(codes < 0, len(top), codes)] = _SQRT_HALF
                blocks.append(onehot)
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 1))

    return encode


def _excess(rate: float, baseline: float | None) -> float:
    """The share of ``rate`` above ``baseline``, scaled to [0, 1] (0 when at or below it)."""
    if baseline is None:
        return rate
    if baseline >= 1.0:
        return 0.0
    return float(np.clip((rate - baseline) / (1.0 - baseline), 0.0, 1.0))


def _readings(score, exact, exact_holdout, dcr, auc, identity, parts) -> dict:
    out = {
        "score": f"Overall privacy score {score:.2f} on a 0 (leaky) to 1 (safe) scale: the "
        f"weakest of its parts ({min(parts, key=parts.get).replace('_', ' ')}).",
        "exact_match_rate": (
            f"{exact:.1%} of synthetic rows are exact copies of a real row"
            + (
                f", against {exact_holdout:.1%} of unseen holdout rows that match a real row by "
                "chance"
                + (
                    " (no excess: the matches are what the columns allow)."
                    if exact <= exact_holdout
                    else "."
                )
                if exact_holdout is not None
                else " (no holdout given to tell copies from chance matches)."
            )
            if exact > 0
            else "No synthetic row is an exact copy of a real row."
        ),
        "dcr": f"The typical synthetic row lies at distance {dcr['synthetic_to_real_median']:.3g} "
        "from its closest real row"
        + (
            f", against {dcr['holdout_to_real_median']:.3g} for unseen holdout rows; "
            f"{dcr['share_closer_than_holdout']:.1%} of synthetic rows are closer than the closest "
            "5% of holdout rows (about 5% is expected)."
            if dcr["holdout_to_real_median"] is not None
            else " (no holdout given to compare with)."
        ),
    }
    if auc is None:
        out["membership_inference_auc"] = "Membership inference was not measured: no holdout given."
    elif auc < 0.45:
        out["membership_inference_auc"] = (
            f"Below chance (AUC {auc:.2f}): training rows lie no closer to the synthetic rows than "
            "unseen rows do, so the attack finds no membership signal."
        )
    elif auc < 0.55:
        out["membership_inference_auc"] = (
            "An attacker guessing membership from distances does about as well as a coin flip "
            f"(AUC {auc:.2f})."
        )
    elif auc < 0.7:
        out["membership_inference_auc"] = (
            f"An attacker guessing membership from distances does somewhat better than chance (AUC {auc:.2f})."
        )
    else:
        out["membership_inference_auc"] = (
            f"An attacker can tell training rows from unseen rows by their distance to synthetic rows (AUC {auc:.2f})."
        )
    if identity is not None:
        share = identity["share_synthetic_unique_matching_real_unique"]
        out["identity_disclosure"] = (
            f"{share:.1%} of synthetic rows are unique on {', '.join(identity['quasi_identifiers'])} "
            "and match a real row that is unique on them too."
        )
        ham_s, ham_h = identity.get("hamming_synthetic"), identity.get("hamming_holdout")
        if ham_s is not None:
            qi_text = ", ".join(identity["quasi_identifiers"])
            out["identity_disclosure"] += (
                f" {ham_s['share_at_0']:.1%} of synthetic rows match some real person on all of "
                f"{qi_text} (Hamming distance 0) and {ham_s['share_at_most_1']:.1%} differ in at "
                "most one"
                + (
                    f"; for unseen holdout people the share at distance 0 is "
                    f"{ham_h['share_at_0']:.1%}, the level expected by chance."
                    if ham_h is not None
                    else " (no holdout given for the chance level)."
                )
            )
    return out
