"""The evaluation as one self-contained HTML page a person can read.

Input: an ``Evaluation`` or its JSON form (``report.json`` loaded back), which carries everything the
page shows, plot data included. Output: HTML with inline CSS and inline SVG plots, nothing to fetch,
so it opens offline and can be mailed or archived as one file; the same input gives the same bytes.

``render_report`` turns the JSON into a view (rows of formatted cells, plots as SVG) and fills
``templates/report.html.j2``; Jinja autoescapes everything but the SVG markup, because column names
and category labels come from the data. ``write_report`` publishes the page atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthdsl.errors import MissingExtraError
from synthdsl.evaluation._report_format import _d, _human, num, pct, value, withheld
from synthdsl.evaluation.report_privacy import _privacy
from synthdsl.sinks._atomic import atomic_write_bytes

MODEL_NAMES = {
    "linear": "Linear model",
    "random_forest": "Random forest",
    "hist_gradient_boosting": "Gradient boosting",
}
METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "f1_macro": "F1 (macro)",
    "accuracy": "Accuracy",
    "r2": "R²",
    "mae": "MAE",
}
SETTING_NAMES = {
    "quasi_identifiers": "Quasi-identifiers",
    "sensitive": "Sensitive columns",
    "subgroups": "Subgroups",
    "test_set": "Utility test set",
    "attacks": "Re-identification attacks",
    "card": "Dataset card",
}
SUBGROUP_FLAG = 0.05  # a subgroup's TSTR-TRTR gap this much worse than overall is highlighted


def render_report(result: Any) -> str:
    """The HTML page for ``result`` (an ``Evaluation`` or its JSON dict)."""
    data = _as_json(result)
    try:
        import jinja2
        from markupsafe import Markup

        from synthdsl.evaluation import plots
    except ImportError as exc:
        raise MissingExtraError("the HTML report", "evaluate", exc.name or "jinja2") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("synthdsl.evaluation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=num, pct=pct, value=value)
    view = _view(data, plots, Markup)
    return env.get_template("report.html.j2").render(**view)


def write_report(path: str | Path, result: Any) -> None:
    """Render ``result`` and write it to ``path`` all-or-nothing."""
    atomic_write_bytes(Path(path), render_report(result).encode("utf-8"))


def _as_json(result: Any) -> dict:
    """A plain JSON dict, whatever came in: rendering from the object or its JSON is the same."""
    if hasattr(result, "to_json"):
        text = result.to_json()
    elif isinstance(result, Mapping):
        text = json.dumps(result, default=str)
    else:
        raise TypeError(f"expected an Evaluation or its JSON dict, got {type(result).__name__}")
    data = json.loads(text)
    for part in ("fidelity", "utility", "privacy", "settings"):
        if not isinstance(data.get(part), dict):
            raise ValueError(f"the evaluation has no '{part}' section")
    return data


# ---------------------------------------------------------------------------- the view


def _view(data: dict, plots: Any, markup: Any) -> dict:
    fid, util, priv, settings = (data[k] for k in ("fidelity", "utility", "privacy", "settings"))
    return {
        "header": _header(settings, util),
        "cards": _cards(fid, util, priv),
        "fidelity": _fidelity(fid, plots, markup),
        "utility": _utility(util),
        "privacy": _privacy(priv),
        "settings": _settings(settings, fid, priv),
    }


def _header(settings: dict, util: dict) -> dict:
    rows = _d(settings.get("rows"))
    facts = [f"{k} {value(rows[k])} rows" for k in ("real", "synthetic", "holdout") if rows.get(k)]
    target = settings.get("target") or util.get("target")
    if target:
        facts.append(f"target {target}")
    version = settings.get("synthdsl_version")
    if version:
        facts.append(f"synthdsl {version}")
    return {"facts": facts}


def _cards(fid: dict, util: dict, priv: dict) -> list[dict]:
    def card(key, title, score, meaning, missing):
        ok = isinstance(score, int | float) and not isinstance(score, bool)
        return {
            "key": key,
            "title": title,
            "score": num(score) if ok else None,
            "width": f"{100 * max(0.0, min(1.0, score)):.1f}" if ok else "0",
            "meaning": meaning,
            "missing": missing,
        }

    return [
        card(
            "fidelity",
            "Fidelity",
            fid.get("score"),
            "How closely the synthetic data reproduces the real columns, pairs of columns and "
            "rows as a whole (1 = indistinguishable).",
            "not measured",
        ),
        card(
            "utility",
            "Utility",
            util.get("score"),
            "How well models trained on synthetic data predict real data, compared with models "
            "trained on real data (1 = just as well).",
            _utility_missing(util),
        ),
        card(
            "privacy",
            "Privacy",
            priv.get("score"),
            "How little the synthetic data gives away about the people in the real data: copies, "
            "membership, re-identification (1 = safe).",
            "not measured",
        ),
    ]


# ---------------------------------------------------------------------------- fidelity


def _fidelity(fid: dict, plots: Any, markup: Any) -> dict:
    columns = _d(fid.get("columns"))
    numeric, categorical, figures = [], [], []
    for i, (name, info) in enumerate(columns.items()):
        info = _d(info)
        if info.get("kind") == "numeric":
            numeric.append({"name": name, **info})
            caption = "Histogram, shares of non-missing rows; values beyond the range shown count in the end bins."
            if plots.point_mass(_d(info.get("histogram"))):
                caption += " Log scale: one bin holds at least half the values."
        else:
            categorical.append(
                {
                    "name": name,
                    **info,
                    "new": ", ".join(info.get("new_categories") or []),
                    "lost": ", ".join(info.get("lost_categories") or []),
                }
            )
            caption = (
                "Shares of rows: the 15 most frequent real categories, then the rest and missing."
            )
        svg = plots.column_plot(name, info, key=f"column-{i}")
        figures.append(
            {"column": name, "kind": info.get("kind"), "svg": markup(svg), "caption": caption}
        )

    pairs = _d(fid.get("pairs"))
    heatmaps = []
    for key, real, syn, title, caption in (
        (
            "correlation",
            "correlation_real",
            "correlation_synthetic",
            "Correlation difference (numeric columns)",
            "|Pearson correlation in real − in synthetic| per pair of numeric columns; "
            "0 = the same, grey = undefined (a constant column).",
        ),
        (
            "cramers-v",
            "cramers_v_real",
            "cramers_v_synthetic",
            "Association difference (categorical columns)",
            "|Cramér's V in real − in synthetic| per pair of categorical columns; 0 = the same.",
        ),
    ):
        svg = plots.difference_heatmap(pairs.get(real), pairs.get(syn), vmax=1.0, key=key)
        if svg is not None:
            heatmaps.append({"key": key, "title": title, "caption": caption, "svg": markup(svg)})

    scores = [
        c.get("score") for c in columns.values() if isinstance(_d(c).get("score"), int | float)
    ]
    detection, mmd = _d(fid.get("detection")), _d(fid.get("mmd"))
    auc = detection.get("auc")
    parts = [
        (
            "Column score",
            num(sum(scores) / len(scores)) if scores else "—",
            "Mean over columns of 1 − KS (numeric) or 1 − total variation (categorical).",
        ),
        (
            "Pair score",
            num(pairs.get("score")),
            "1 − mean total variation of the joint distributions of column pairs "
            "(numbers in 10 quantile bins).",
        ),
        (
            "Detection score",
            num(detection.get("score")),
            "1 − 2 × |detection AUC − 0.5|: 1 when a classifier cannot tell the tables apart.",
        ),
    ]
    joint = [
        (
            "Detection ROC AUC",
            num(auc),
            _detection_reading(auc, detection.get("rows_used")),
        ),
        (
            "MMD (RBF kernel)",
            num(mmd.get("value")),
            "Maximum mean discrepancy on the standardized numeric columns: 0 = same distribution."
            if mmd.get("value") is not None
            else "Not measured: no numeric columns.",
        ),
        (
            "Mean correlation difference",
            num(pairs.get("correlation_difference")),
            "Mean |Pearson correlation in real − in synthetic| over pairs of numeric columns.",
        ),
        (
            "Mean contingency total variation",
            num(pairs.get("contingency_tv")),
            "Mean total variation between the real and synthetic joint distributions of column pairs.",
        ),
    ]
    return {
        "score": fid.get("score"),
        "parts": parts,
        "joint": joint,
        "numeric": numeric,
        "categorical": categorical,
        "figures": figures,
        "heatmaps": heatmaps,
    }


def _detection_reading(auc: Any, rows: Any) -> str:
    if auc is None:
        return "Not measured: too few rows."
    where = f" ({value(rows)} rows, 3-fold cross-validated gradient boosting)" if rows else ""
    if auc < 0.6:
        verdict = "A classifier can hardly tell synthetic rows from real ones"
    elif auc < 0.8:
        verdict = "A classifier tells synthetic rows from real ones better than chance"
    else:
        verdict = "A classifier easily tells synthetic rows from real ones"
    return f"{verdict}{where}; 0.5 = indistinguishable, 1 = always told apart."


# ---------------------------------------------------------------------------- utility


def _utility_missing(util: dict) -> str:
    """What the utility card says instead of a score."""
    why = _d(util.get("withheld")).get("score")
    if why:
        return withheld(why)
    return util.get("note") or "not measured (no --target)"


def _utility(util: dict) -> dict:
    models = _d(util.get("models"))
    why = _d(util.get("withheld")).get("score")
    if why:
        return {"skipped": None, "withheld": withheld(why), "notes": []}
    if util.get("score") is None and not models:
        return {"skipped": util.get("skipped") or "not measured", "withheld": None, "notes": []}
    metrics: list[str] = []
    for res in models.values():
        for side in _d(res).values():
            for m in _d(side):
                if m not in metrics:
                    metrics.append(m)
    main = "roc_auc" if "roc_auc" in metrics else ("r2" if "r2" in metrics else None)

    def cells(res: dict) -> list[str]:
        out = []
        for m in metrics:
            t, r = _d(res.get("tstr")).get(m), _d(res.get("trtr")).get(m)
            gap = t - r if isinstance(t, int | float) and isinstance(r, int | float) else None
            out += [num(t), num(r), num(gap)]
        return out

    def gap(res: dict) -> float | None:
        if main is None:
            return None
        t, r = _d(res.get("tstr")).get(main), _d(res.get("trtr")).get(main)
        return t - r if isinstance(t, int | float) and isinstance(r, int | float) else None

    rows = [
        {"model": MODEL_NAMES.get(k, _human(k)), "cells": cells(_d(v))} for k, v in models.items()
    ]
    overall_gap = {k: gap(_d(v)) for k, v in models.items()}
    subgroups = []
    for col, by_value in _d(util.get("subgroups")).items():
        groups = []
        for val, by_model in _d(by_value).items():
            model_rows = []
            for k, res in _d(by_model).items():
                g, base = gap(_d(res)), overall_gap.get(k)
                flag = g is not None and base is not None and g < base - SUBGROUP_FLAG
                model_rows.append(
                    {"model": MODEL_NAMES.get(k, _human(k)), "cells": cells(_d(res)), "flag": flag}
                )
            groups.append({"value": val, "rows": model_rows})
        subgroups.append({"column": col, "groups": groups})
    agreement = util.get("feature_importance_agreement")
    return {
        "skipped": None,
        "withheld": None,
        "notes": [str(n) for n in util.get("notes") or ()],
        "note": util.get("note"),
        "score": util.get("score"),
        "task": util.get("task"),
        "target": util.get("target"),
        "test_set": util.get("test_set"),
        "metrics": [METRIC_NAMES.get(m, _human(m)) for m in metrics],
        "main": METRIC_NAMES.get(main, main) if main else None,
        "rows": rows,
        "subgroups": subgroups,
        "flag_threshold": num(SUBGROUP_FLAG, 2),
        "agreement": num(agreement),
        "agreement_reading": (
            "Not measured (fewer than two features, or importances all equal)."
            if agreement is None
            else "Spearman correlation of the permutation importances of the random forests trained "
            "on real and on synthetic data: 1 = the same features matter in the same order."
        ),
    }


# ---------------------------------------------------------------------------- settings


def _settings(settings: dict, fid: dict, priv: dict) -> dict:
    rows = _d(settings.get("rows"))
    kinds = _d(settings.get("columns"))
    roles: dict[str, list[str]] = {c: [] for c in kinds}
    if settings.get("target") in roles:
        roles[settings["target"]].append("target")
    for key, role in (
        ("subgroups", "subgroup"),
        ("quasi_identifiers", "quasi-identifier"),
        ("sensitive", "sensitive"),
    ):
        for c in settings.get(key) or []:
            roles.setdefault(c, []).append(role)
    versions = [
        (k.removesuffix("_version").replace("_", " "), str(v))
        for k, v in settings.items()
        if k.endswith("_version")
    ] + [(str(k), str(v)) for k, v in _d(settings.get("versions")).items()]
    shown = {"rows", "columns", "sampling", "versions"} | {
        k for k in settings if k.endswith("_version")
    }
    options = []
    for k, v in settings.items():
        if k in shown:
            continue
        if isinstance(v, list | tuple):
            text = ", ".join(str(x) for x in v) or "none"
        elif isinstance(v, dict):
            text = ", ".join(f"{a}: {b}" for a, b in v.items()) or "none"
        elif v is None:
            text = "none"
        elif isinstance(v, bool):
            text = "yes" if v else "no"
        else:
            text = str(v)
        options.append((SETTING_NAMES.get(k, _human(k)), text))
    return {
        "rows": [(k, value(v) if v is not None else "not given") for k, v in rows.items()],
        "columns": [
            {"name": c, "kind": k, "roles": ", ".join(roles.get(c, []))} for c, k in kinds.items()
        ],
        "versions": versions,
        "options": options,
        "sampling": _sampling(settings, fid, priv),
    }


def _sampling(settings: dict, fid: dict, priv: dict) -> list[str]:
    raw = settings.get("sampling")
    if isinstance(raw, dict):
        notes = [f"{k}: {v}" for k, v in raw.items()]
    elif isinstance(raw, list | tuple):
        notes = [str(x) for x in raw]
    else:
        notes = []
    said = " ".join(notes).lower()
    if fid.get("sampled") and "fidelity" not in said:
        used = _d(fid.get("detection")).get("rows_used")
        notes.append(
            "fidelity: computed on a random sample of each table"
            + (f" ({value(used)} rows in all)" if used else "")
        )
    if priv.get("sampled") and "privacy:" not in said:
        notes.append("privacy: distances to closest records computed for a random sample of rows")
    pairs = _d(fid.get("pairs"))
    total, compared = pairs.get("pairs_total"), pairs.get("pairs_compared")
    if isinstance(total, int) and isinstance(compared, int) and compared < total:
        notes.append(
            f"fidelity: contingency total variation on {compared:,} of {total:,} column pairs, "
            "spread evenly"
        )
    rows = _d(settings.get("rows"))
    mmd_rows = _d(fid.get("mmd")).get("rows_used")
    both = (rows.get("real") or 0) + (rows.get("synthetic") or 0)
    if isinstance(mmd_rows, int) and 0 < mmd_rows < both and "mmd" not in said:
        notes.append(f"fidelity: MMD on a sample of {mmd_rows:,} rows in all")
    return notes


__all__ = ["render_report", "write_report"]
