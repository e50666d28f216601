"""The privacy section of the HTML report: figures with their readings, and the anonymeter attacks.

Split from ``report.py`` (which assembles the page) to keep each module readable; the view it
returns is what ``templates/report.html.j2`` shows under "Privacy". A figure withheld for too few
rows (``privacy.withheld``) reads ``withheld: <reason>`` instead of a number.
"""

from __future__ import annotations

from synthdsl.evaluation._report_format import _d, _human, num, pct, value, withheld

ATTACK_NAMES = {
    "singling_out": "Singling out",
    "linkability": "Linkability",
    "inference": "Inference",
}


def _privacy(priv: dict) -> dict:
    readings = _d(priv.get("readings"))
    rows = []
    for key, reading in readings.items():
        label, shown = _privacy_figure(key, priv)
        rows.append({"key": key, "label": label, "value": shown, "reading": str(reading)})
    attacks = _d(priv.get("attacks"))
    attack_rows = []
    for key, entry in attacks.items():
        if key == "settings" or not isinstance(entry, dict):
            continue
        name = ATTACK_NAMES.get(key, _human(key))
        if _is_attack(entry):
            attack_rows.append(_attack_row(name, entry))
        elif entry:
            attack_rows.extend(_attack_row(f"{name}: {sub}", _d(res)) for sub, res in entry.items())
        else:
            attack_rows.append(
                _attack_row(name, {"skipped": "no sensitive column given (--sensitive)"})
            )
    att_settings = _d(attacks.get("settings"))
    att_rows = _d(att_settings.get("rows"))
    attack_note = None
    if att_settings:
        attack_note = f"{value(att_settings.get('n_attacks'))} attacks per criterion" + (
            ", on " + ", ".join(f"{value(v)} {k} rows" for k, v in att_rows.items())
            if att_rows
            else ""
        )
    dp = priv.get("differential_privacy")
    return {
        "score": priv.get("score"),
        "rows": rows,
        "attacks": attack_rows,
        "has_attacks": "attacks" in priv and priv.get("attacks") is not None,
        "attack_note": attack_note,
        "dp": _d(dp) if dp else None,
    }


def _privacy_figure(key: str, priv: dict) -> tuple[str, str]:
    x = priv.get(key)
    why = _d(priv.get("withheld"))
    if key == "score":
        return "Privacy score", num(x)
    if key == "exact_match_rate":
        return "Exact-match rate", pct(x)
    if key == "membership_inference_auc":
        if x is None and why.get(key):
            return "Membership-inference ROC AUC", withheld(why[key])
        return "Membership-inference ROC AUC", num(x) if x is not None else "not measured"
    if key == "dcr":
        dcr = _d(x)
        parts = [f"median {num(dcr.get('synthetic_to_real_median'))}"]
        if dcr.get("holdout_to_real_median") is not None:
            parts.append(f"holdout {num(dcr['holdout_to_real_median'])}")
        if dcr.get("share_closer_than_holdout") is not None:
            parts.append(f"{pct(dcr['share_closer_than_holdout'])} closer")
        elif why.get("dcr.share_closer_than_holdout"):
            parts.append(f"holdout comparison {withheld(why['dcr.share_closer_than_holdout'])}")
        return "Distance to closest record", " · ".join(parts)
    if key == "identity_disclosure":
        share = _d(x).get("share_synthetic_unique_matching_real_unique")
        return "Identity disclosure", pct(share) if share is not None else "not measured"
    if key == "differential_privacy":
        dp = _d(x)
        if dp.get("epsilon") is None:
            return "Differential privacy", "none"
        shown = f"ε = {dp['epsilon']:g}"
        if dp.get("delta"):
            shown += f", δ = {dp['delta']:g}"
        return "Differential privacy", shown
    if isinstance(x, int | float) and not isinstance(x, bool):
        return _human(key), num(x)
    risk = priv.get(f"{key}_risk")
    if x is None and isinstance(risk, int | float):
        return f"{ATTACK_NAMES.get(key, _human(key))} risk", pct(risk)
    return _human(key), "—" if x is None else ""


def _is_attack(entry: dict) -> bool:
    return "risk" in entry or "skipped" in entry or "withheld" in entry


def _attack_row(name: str, entry: dict) -> dict:
    if "withheld" in entry:
        return {
            "name": name,
            "skipped": True,
            "cells": [withheld("too few rows")] + ["—"] * 4,
            "reading": f"{withheld(entry['withheld']).capitalize()}.",
        }
    if "skipped" in entry:
        return {
            "name": name,
            "skipped": True,
            "cells": ["—"] * 5,
            "reading": f"Not run: {entry['skipped']}.",
        }
    ci = entry.get("ci") or [None, None]
    ci_text = f"{pct(ci[0])} – {pct(ci[1])}" if len(ci) == 2 and None not in ci else "—"
    return {
        "name": name,
        "skipped": False,
        "cells": [
            pct(entry.get("risk")),
            ci_text,
            pct(entry.get("attack_rate")),
            pct(entry.get("control_rate")),
            pct(entry.get("baseline_rate")),
        ],
        "reading": str(entry.get("reading") or ""),
    }
