"""Machine-learning utility of a synthetic table: train on synthetic, test on real (TSTR).

``utility(real, synthetic, kinds, target=...)`` fits three sklearn models (a linear model, a random
forest, histogram gradient boosting; each in a Pipeline with imputation and one-hot encoding) once on
the synthetic data (TSTR) and once on real training data (TRTR), and scores both on the same real test
set: the ``holdout`` when given, else a stratified 30 % split of ``real`` (TRTR then trains on the other
70 %). A categorical target is classification (ROC AUC, macro OvR for multiclass; macro F1; accuracy), a
numeric target is regression (R², MAE). Metrics are also reported per value of each ``subgroups``
column (values with at least 20 test rows), and the permutation importances of the two random forests
are compared by Spearman correlation.

Training sets are capped at ``MAX_TRAIN`` rows (drawn with ``seed``) so 50,000-row tables stay fast.

Minimum sample sizes: a score on a handful of rows is noise that reads like a finding (a one-row
holdout scores 1.000). Below ``MIN_TEST_ROWS`` test rows or ``MIN_TRAIN_ROWS`` rows in either
training set, or with one class in the test set, the score is ``None`` and ``withheld["score"]``
says why; nothing is fitted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from synthdsl.errors import DataError
from synthdsl.evaluation._load import MISSING_LABEL, missing_as_label

MAX_TRAIN = 20_000
MODELS = ("linear", "random_forest", "hist_gradient_boosting")
MIN_SUBGROUP_ROWS = 20
MIN_TEST_ROWS = 20  # real test rows (holdout, or the 30 % split) below which no score is given
MIN_TRAIN_ROWS = 20  # rows per training set (synthetic; real) below which no score is given
TEST_SHARE = 0.3  # without a holdout, the share of real rows split off as the test set
MAX_SUBGROUP_VALUES = 50
IMPORTANCE_ROWS = 2_000
IMPORTANCE_REPEATS = 2


def utility(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str],
    *,
    target: str,
    holdout: pd.DataFrame | None = None,
    subgroups: Sequence[str] = (),
    seed: int = 0,
) -> dict:
    """TSTR against TRTR for ``target``; see the module docstring.

    ``score`` = mean over the three models of ``min(1, TSTR / TRTR)`` on the main metric: ROC AUC
    minus 0.5 (its chance level) for classification (macro F1 when AUC is undefined), R² clipped at 0
    for regression. A model whose TRTR main metric is at chance is left out (nothing to match; listed
    under ``at_chance_on_real``); when all are, the score is None.
    """
    # One native thread: on small shared machines OpenMP oversubscription makes HGB several times slower.
    with threadpool_limits(limits=1):
        return _utility(real, synthetic, kinds, target, holdout, list(subgroups), seed)


def _utility(real, synthetic, kinds, target, holdout, subgroups, seed) -> dict:
    if target not in real.columns or target not in synthetic.columns:
        raise DataError(f"target '{target}' is not a column of the tables", column=target)
    if holdout is not None and target not in holdout.columns:
        raise DataError(f"target '{target}' is not a column of the holdout table", column=target)
    for c in subgroups:
        if c not in real.columns:
            raise DataError("subgroup is not a column of the tables", column=c)
    task = "classification" if kinds.get(target) == "categorical" else "regression"
    features = [c for c in real.columns if c != target]
    num = [c for c in features if kinds.get(c) == "numeric"]
    cat = [c for c in features if c not in num]

    def prep(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        y = frame[target]
        frame = frame[y.notna()]
        x = pd.DataFrame(index=frame.index)
        for c in num:
            x[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
        for c in cat:
            x[c] = missing_as_label(frame[c])
        if task == "classification":
            yv = missing_as_label(frame[target]).to_numpy(dtype=object)
        else:
            yv = pd.to_numeric(frame[target], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
            keep = np.isfinite(yv)
            x, yv = x[keep], yv[keep]
        return x, yv

    rng = np.random.default_rng(seed)
    x_real, y_real = prep(real)
    x_syn, y_syn = prep(synthetic)
    x_hold, y_hold = prep(holdout) if holdout is not None else (None, None)
    # Labels become shared integer codes once, up front: scikit-learn's encoders and metrics are
    # several times slower on object arrays of strings than on integers.
    _encode_labels([x_real, x_syn, x_hold], cat)
    if task == "classification":
        y_real, y_syn, y_hold = _encode_target([y_real, y_syn, y_hold])
    for name, y in (("real table", y_real), ("synthetic table", y_syn), ("holdout", y_hold)):
        if y is not None and len(y) == 0:  # an error, not a figure withheld (docs/evaluate.md)
            raise DataError(f"target '{target}' has no value in the {name}", column=target)
    groups_real = {c: missing_as_label(real.loc[x_real.index, c]) for c in subgroups}
    if holdout is not None:
        x_test, y_test = x_hold, y_hold
        groups_test = {
            c: missing_as_label(holdout.loc[x_test.index, c]).to_numpy() for c in subgroups
        }
        x_tr, y_tr = x_real, y_real
        test_set = "holdout"
    else:
        test_set = "split of real (30%)"
        n_test = math.ceil(TEST_SHARE * len(y_real))  # what train_test_split takes
        if n_test < MIN_TEST_ROWS:
            return _withheld(
                task,
                target,
                test_set,
                f"a 30% test split of {len(y_real)} real rows with a '{target}' value gives "
                f"{n_test}, and a score needs at least {MIN_TEST_ROWS} test rows: give --holdout, "
                "or more rows",
            )
        strat = y_real if task == "classification" and _splittable(y_real) else None
        idx_tr, idx_te = train_test_split(
            np.arange(len(y_real)), test_size=TEST_SHARE, random_state=seed, stratify=strat
        )
        x_tr, y_tr = x_real.iloc[idx_tr], y_real[idx_tr]
        x_test, y_test = x_real.iloc[idx_te], y_real[idx_te]
        groups_test = {c: g.to_numpy()[idx_te] for c, g in groups_real.items()}
    if len(y_test) == 0 or len(y_tr) == 0 or len(y_syn) == 0:
        raise DataError(f"target '{target}' has no usable values", column=target)
    where = "real training data" if holdout is not None else "real training split (70%)"
    for name, y, least in (
        ("test set (" + test_set + ")", y_test, MIN_TEST_ROWS),
        (where, y_tr, MIN_TRAIN_ROWS),
        ("synthetic data", y_syn, MIN_TRAIN_ROWS),
    ):
        if len(y) < least:
            return _withheld(
                task,
                target,
                test_set,
                f"the {name} has {len(y)} row(s) with a '{target}' value, and a score needs "
                f"at least {least}",
            )
    if task == "classification":
        for name, y in ((where, y_tr), ("synthetic data", y_syn)):
            if len(np.unique(y)) < 2:
                raise DataError(f"target '{target}' has one class in the {name}", column=target)
        if len(np.unique(y_test)) < 2:
            return _withheld(
                task,
                target,
                test_set,
                f"the test set ({test_set}) holds one class of '{target}': no model can be "
                "scored against chance on it",
            )

    notes = [
        f"'{c}' has no value in the {name}: the models trained on it cannot use it"
        for name, x in (("synthetic data", x_syn), (where, x_tr))
        for c in num
        if x[c].isna().all()
    ]
    x_tr, y_tr = _cap(x_tr, y_tr, rng)
    x_syn, y_syn = _cap(x_syn, y_syn, rng)

    models: dict[str, dict] = {}
    subgroup_out: dict[str, dict] = {c: {} for c in subgroups}
    fitted: dict[str, dict] = {}
    for name in MODELS:
        models[name] = {}
        for kind, (x, y) in (("tstr", (x_syn, y_syn)), ("trtr", (x_tr, y_tr))):
            model = _model(name, task, num, cat, seed).fit(x, y)
            fitted.setdefault(name, {})[kind] = model
            pred, proba = _predict(model, x_test, task)
            models[name][kind] = _metrics(task, y_test, pred, proba, model)
            for c in subgroups:
                g = groups_test[c]
                values, counts = np.unique(g, return_counts=True)
                order = np.argsort(-counts, kind="stable")[:MAX_SUBGROUP_VALUES]
                for v, n in zip(values[order], counts[order]):
                    if n < MIN_SUBGROUP_ROWS:
                        continue
                    m = g == v
                    sub = _metrics(
                        task, y_test[m], pred[m], None if proba is None else proba[m], model
                    )
                    key = "null" if v == MISSING_LABEL else str(v)
                    subgroup_out[c].setdefault(key, {}).setdefault(name, {})[kind] = sub

    main = "roc_auc" if task == "classification" else "r2"
    ratios: list[float] = []
    at_chance: list[str] = []
    for name, res in models.items():
        t, r = res["tstr"].get(main), res["trtr"].get(main)
        if t is None or r is None:
            t, r = res["tstr"].get("f1_macro"), res["trtr"].get("f1_macro")
        # Chance-corrected: a ROC AUC of 0.5 is a coin flip, so only the excess over 0.5 counts;
        # otherwise useless synthetic data would still score about 0.5.
        floor = 0.5 if main == "roc_auc" and res["tstr"].get(main) is not None else 0.0
        t = max(0.0, (t or 0.0) - floor)
        r = max(0.0, (r or 0.0) - floor)
        if r == 0:  # the real data predicts no better than chance: nothing to match
            at_chance.append(name)
            continue
        ratios.append(min(1.0, t / r))

    agreement = _importance_agreement(fitted["random_forest"], x_test, y_test, task, rng, seed)
    out = {
        "score": float(np.mean(ratios)) if ratios else None,
        "task": task,
        "target": target,
        "test_set": test_set,
        "models": models,
        "subgroups": subgroup_out,
        "feature_importance_agreement": agreement,
    }
    if notes:
        out["notes"] = notes
    if at_chance:
        out["at_chance_on_real"] = at_chance
        out["note"] = (
            f"Trained on real data, {', '.join(m.replace('_', ' ') for m in at_chance)} predict "
            f"'{target}' no better than chance: there is nothing for synthetic data to match, so "
            + ("they are left out of the score." if ratios else "utility cannot be measured.")
        )
    return out


def _withheld(task: str, target: str, test_set: str, reason: str) -> dict:
    """The result when there are too few rows to score: no figures, and why."""
    return {
        "score": None,
        "task": task,
        "target": target,
        "test_set": test_set,
        "models": {},
        "subgroups": {},
        "feature_importance_agreement": None,
        "withheld": {"score": reason},
    }


def _encode_labels(frames: list[pd.DataFrame | None], cat: list[str]) -> None:
    """Replace each categorical feature's labels by integer codes shared across ``frames``."""
    present = [f for f in frames if f is not None]
    for c in cat:
        codes, _ = pd.factorize(pd.concat([f[c] for f in present], ignore_index=True))
        start = 0
        for f in present:
            f[c] = codes[start : start + len(f)]
            start += len(f)


def _encode_target(ys: list[np.ndarray | None]) -> list[np.ndarray | None]:
    """Class labels as shared integer codes (missing target rows were dropped by ``prep``)."""
    present = [y for y in ys if y is not None]
    codes, _ = pd.factorize(np.concatenate(present))
    out, start = [], 0
    for y in ys:
        if y is None:
            out.append(None)
            continue
        out.append(codes[start : start + len(y)])
        start += len(y)
    return out


def _splittable(y: np.ndarray) -> bool:
    _, counts = np.unique(y, return_counts=True)
    return len(counts) > 1 and counts.min() >= 2


def _cap(x: pd.DataFrame, y: np.ndarray, rng: np.random.Generator):
    if len(y) <= MAX_TRAIN:
        return x, y
    idx = np.sort(rng.choice(len(y), MAX_TRAIN, replace=False))
    return x.iloc[idx], y[idx]


def _model(name: str, task: str, num: list[str], cat: list[str], seed: int) -> Pipeline:
    scale = name == "linear"
    # keep_empty_features: a column with no value in one training set (all null in the synthetic
    # data, say) stays as a constant instead of being dropped with a scikit-learn warning; the
    # utility result says so in its own words (``notes``).
    num_steps = [SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)]
    if scale:
        num_steps.append(StandardScaler())
    onehot = OneHotEncoder(
        handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False
    )
    pre = ColumnTransformer(
        [("num", make_pipeline(*num_steps), num), ("cat", onehot, cat)], remainder="drop"
    )
    clf = task == "classification"
    if name == "linear":
        est = LogisticRegression(max_iter=300) if clf else Ridge(alpha=1.0)
    elif name == "random_forest":
        kw = dict(
            n_estimators=50,
            min_samples_leaf=3,
            max_depth=16,
            max_features="sqrt",
            n_jobs=1,  # threads sum tree predictions in arbitrary order: results would vary
            random_state=seed,
        )
        est = RandomForestClassifier(**kw) if clf else RandomForestRegressor(**kw)
    else:
        kw = dict(max_iter=150, random_state=seed)
        est = HistGradientBoostingClassifier(**kw) if clf else HistGradientBoostingRegressor(**kw)
    return Pipeline([("prep", pre), ("model", est)])


def _predict(model: Pipeline, x: pd.DataFrame, task: str):
    if task == "regression":
        return model.predict(x), None
    proba = model.predict_proba(x)
    return model.classes_[np.argmax(proba, axis=1)], proba


def _metrics(task, y, pred, proba, model) -> dict:
    if task == "regression":
        if len(y) < 2:
            return {"r2": None, "mae": None}
        return {"r2": float(r2_score(y, pred)), "mae": float(mean_absolute_error(y, pred))}
    classes = list(model.classes_)
    aucs = []
    for c in np.unique(y):
        pos = y == c
        if pos.all():
            continue
        score = proba[:, classes.index(c)] if c in classes else np.zeros(len(y))
        aucs.append(roc_auc_score(pos, score))
    return {
        "roc_auc": float(np.mean(aucs)) if aucs else None,
        "f1_macro": float(f1_score(y, pred, average="macro")),
        "accuracy": float(accuracy_score(y, pred)),
    }


def _importance_agreement(rf: dict, x, y, task, rng, seed) -> float | None:
    """Spearman correlation of the two forests' permutation importances (one predict per model)."""
    if x.shape[1] < 2:
        return None
    if len(y) > IMPORTANCE_ROWS:
        idx = np.sort(rng.choice(len(y), IMPORTANCE_ROWS, replace=False))
        x, y = x.iloc[idx], y[idx]
    x = x.reset_index(drop=True)
    n, cols = len(x), list(x.columns)
    perm_rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(IMPORTANCE_REPEATS):
        for c in cols:  # one block per feature with that column shuffled
            block = x.copy()
            block[c] = x[c].to_numpy()[perm_rng.permutation(n)]
            blocks.append(block)
    stacked = pd.concat([x, *blocks], ignore_index=True)
    imps = []
    for k in ("tstr", "trtr"):
        pred = _predict(rf[k], stacked, task)[0].reshape(-1, n)
        if task == "classification":
            scores = (pred == y).mean(axis=1)
        else:
            resid = ((pred - y) ** 2).sum(axis=1)
            scores = 1 - resid / max(float(((y - y.mean()) ** 2).sum()), 1e-12)
        drops = scores[0] - scores[1:].reshape(IMPORTANCE_REPEATS, len(cols))
        imps.append(drops.mean(axis=0))
    if np.ptp(imps[0]) == 0 or np.ptp(imps[1]) == 0:
        return None
    rho = spearmanr(imps[0], imps[1]).statistic
    return None if not np.isfinite(rho) else float(rho)
