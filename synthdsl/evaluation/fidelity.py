"""How faithfully a synthetic table reproduces a real one.

``fidelity(real, synthetic, kinds)`` compares the two tables at three levels and returns a
JSON-ready dict:

* **columns** — each marginal: numeric columns by the Kolmogorov–Smirnov statistic and a unit-free
  Wasserstein distance (divided by the real IQR, or the real std when the IQR is 0); categorical
  columns by the total variation distance, with new and lost categories listed. Each column also
  carries the data of its report plot, so a saved JSON can be re-rendered: a ``histogram`` (numeric;
  shares of non-missing rows in about 30 bins) or ``bars`` (categorical; shares of all rows for the
  15 most frequent real categories, "(other)" and "(missing)").
* **pairs** — the mean absolute difference of the numeric Pearson correlation matrices, the mean
  total variation of pairwise joint distributions (numerics binned into 10 quantile bins of the
  real data), and the matrices themselves for the report: Pearson (numeric) and Cramér's V
  (categorical), for at most 30 columns each.
* **detection** — the ROC AUC of a gradient-boosting classifier that tells real from synthetic rows
  (3-fold stratified cross-validation); 0.5 means indistinguishable.

Plus an RBF-kernel MMD on the standardized numeric columns. The overall ``score`` is the mean of
the mean column score, the pair score and the detection score, each in [0, 1], higher is better.

Missing values are a category of their own for categorical columns (and a bin of their own in
the joint distributions); KS and Wasserstein ignore them. Everything is vectorized with numpy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd

from synthdsl.evaluation._load import json_ready

N_BINS = 10  # quantile bins of the real data for numeric columns in the joint distributions
MAX_PAIRS = 45  # column pairs in the contingency TV
MAX_LISTED = 20  # new / lost categories listed per column
TOP_CATEGORIES = 20  # categories kept (by real frequency) for pairs/detection; the rest are lumped
MAX_CRAMERS_COLUMNS = 30  # categorical columns in the Cramér's V matrices
DEFAULT_MAX_ROWS = 20_000  # rows per table; longer tables are sampled
MMD_ROWS = 2_000  # rows per table in the MMD
MAX_CORRELATION_COLUMNS = 30  # numeric columns in the Pearson matrices
HIST_BINS = 30  # bins of a numeric column's histogram
HIST_TAIL = 0.005  # share cut from each tail (per table) for the histogram's range
BAR_CATEGORIES = 15  # categories with a bar of their own (by real frequency)
OTHER, MISSING = "(other)", "(missing)"


def fidelity(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    kinds: Mapping[str, str],
    *,
    seed: int = 0,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> dict:
    """Compare ``synthetic`` to ``real`` column by column, in pairs and by a detection model.

    ``kinds`` maps every column to ``"numeric"`` or ``"categorical"``. Tables longer than
    ``max_rows`` are sampled (reproducibly, with ``seed``) to ``max_rows`` rows.
    """
    columns = list(kinds)
    for col, kind in kinds.items():
        if kind not in ("numeric", "categorical"):
            raise ValueError(f"kind of '{col}' must be 'numeric' or 'categorical', not {kind!r}")
    real, sampled_r = _sample(real[columns], max_rows, seed)
    synthetic, sampled_s = _sample(synthetic[columns], max_rows, seed)

    # Per-column encodings shared by every metric.
    numeric = {}  # col -> (real float array, synthetic float array)
    cat_codes = {}  # col -> (real codes, synthetic codes, n codes) with rare categories lumped
    col_out: dict[str, dict] = {}
    for col in columns:
        if kinds[col] == "numeric":
            r = pd.to_numeric(real[col], errors="coerce").to_numpy(dtype="float64")
            s = pd.to_numeric(synthetic[col], errors="coerce").to_numpy(dtype="float64")
            numeric[col] = (r, s)
            col_out[col] = _numeric_column(r, s)
        else:
            info, codes = _categorical_column(real[col], synthetic[col], seed)
            cat_codes[col] = codes
            col_out[col] = info

    col_scores = [c["score"] for c in col_out.values()]
    column_score = float(np.mean(col_scores)) if col_scores else None

    pairs = _pairs(columns, kinds, numeric, cat_codes)
    detection = _detection(columns, kinds, numeric, cat_codes, seed)
    mmd = _mmd(numeric, seed)

    parts = [p for p in (column_score, pairs["score"], detection["score"]) if p is not None]
    score = float(np.mean(parts)) if parts else None
    return json_ready(
        {
            "score": score,
            "columns": col_out,
            "pairs": pairs,
            "detection": detection,
            "mmd": mmd,
            "sampled": bool(sampled_r or sampled_s),
        }
    )


# ---------------------------------------------------------------------------- sampling / helpers


def _sample(frame: pd.DataFrame, max_rows: int, seed: int) -> tuple[pd.DataFrame, bool]:
    if len(frame) <= max_rows:
        return frame.reset_index(drop=True), False
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(frame), size=max_rows, replace=False))
    return frame.iloc[idx].reset_index(drop=True), True


def _tv(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Total variation distance between two count vectors over the same support."""
    p_total, q_total = p_counts.sum(), q_counts.sum()
    if p_total == 0 and q_total == 0:
        return 0.0
    if p_total == 0 or q_total == 0:
        return 1.0
    return float(0.5 * np.abs(p_counts / p_total - q_counts / q_total).sum())


# ---------------------------------------------------------------------------- columns


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic of sorted arrays."""
    both = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, both, side="right") / len(a)
    cdf_b = np.searchsorted(b, both, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def _wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    """1-Wasserstein distance of sorted arrays (area between the empirical CDFs)."""
    both = np.sort(np.concatenate([a, b]))
    deltas = np.diff(both)
    cdf_a = np.searchsorted(a, both[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, both[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * deltas))


def _numeric_column(r: np.ndarray, s: np.ndarray) -> dict:
    r_ok, s_ok = np.sort(r[~np.isnan(r)]), np.sort(s[~np.isnan(s)])
    out: dict = {
        "kind": "numeric",
        "missing_real": float(np.isnan(r).mean()) if len(r) else 0.0,
        "missing_synthetic": float(np.isnan(s).mean()) if len(s) else 0.0,
    }
    if len(r_ok) and len(s_ok):
        ks = _ks(r_ok, s_ok)
        q1, q3 = np.quantile(r_ok, [0.25, 0.75])
        scale = q3 - q1
        if scale <= 0:
            scale = float(np.std(r_ok))
        if scale <= 0:
            scale = 1.0
        wasserstein = _wasserstein(r_ok, s_ok) / scale
    else:
        ks = 0.0 if len(r_ok) == len(s_ok) == 0 else 1.0
        wasserstein = None
    # A different share of missing values is a difference too, which KS (on the values that are
    # there) cannot see.
    missing_gap = abs(out["missing_real"] - out["missing_synthetic"])
    out.update(
        score=1.0 - max(ks, missing_gap),
        ks=ks,
        wasserstein=wasserstein,
        min_real=float(r_ok[0]) if len(r_ok) else None,
        max_real=float(r_ok[-1]) if len(r_ok) else None,
        min_synthetic=float(s_ok[0]) if len(s_ok) else None,
        max_synthetic=float(s_ok[-1]) if len(s_ok) else None,
        histogram=_histogram(r_ok, s_ok),
    )
    return out


def _histogram(r_ok: np.ndarray, s_ok: np.ndarray) -> dict:
    """Shares of the sorted finite values in common bins over both tables' robust range.

    The range runs from the lower to the upper 0.5 % quantile of either table (widened to the true
    extremes when that adds at most a quarter), so one outlier does not squash the plot; values
    beyond it count in the end bins, so each side's shares sum to 1. Integer data with a span of at
    most ``HIST_BINS`` values gets one bin per integer.
    """
    r_ok, s_ok = r_ok[np.isfinite(r_ok)], s_ok[np.isfinite(s_ok)]
    sides = [v for v in (r_ok, s_ok) if len(v)]
    if not sides:
        return {"edges": [], "real": [], "synthetic": []}
    lo_all, hi_all = min(float(v[0]) for v in sides), max(float(v[-1]) for v in sides)
    integral = all(np.array_equal(v, np.round(v)) for v in sides)
    if integral and hi_all - lo_all < HIST_BINS:
        return _shares(np.arange(lo_all - 0.5, hi_all + 1.0, 1.0), r_ok, s_ok)
    lo = min(float(np.quantile(v, HIST_TAIL)) for v in sides)
    hi = max(float(np.quantile(v, 1 - HIST_TAIL)) for v in sides)
    if (hi_all - lo_all) <= 1.25 * (hi - lo):
        lo, hi = lo_all, hi_all
    edges = np.linspace(lo, hi, HIST_BINS + 1) if hi > lo else np.array([lo - 0.5, lo + 0.5])
    return _shares(edges, r_ok, s_ok)


def _shares(edges: np.ndarray, r_ok: np.ndarray, s_ok: np.ndarray) -> dict:
    def shares(v: np.ndarray) -> list[float]:
        if not len(v):
            return [0.0] * (len(edges) - 1)
        counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
        return (counts / len(v)).tolist()

    return {"edges": edges.tolist(), "real": shares(r_ok), "synthetic": shares(s_ok)}


def _tv_noise(count_r: np.ndarray, n_s: int, seed: int, repeats: int = 5) -> float | None:
    """The TV two samples of these sizes from the *real* distribution show by chance alone.

    With many categories and few rows, even a perfect generator leaves a large TV (sparse counts
    differ); this floor, from a seeded multinomial bootstrap, says how much of a TV is noise.
    """
    n_r = int(count_r.sum())
    if n_r == 0 or n_s == 0:
        return None
    p = count_r / n_r
    rng = np.random.default_rng([seed, 7])
    a = rng.multinomial(n_r, p, size=repeats) / n_r
    b = rng.multinomial(n_s, p, size=repeats) / n_s
    return float(0.5 * np.abs(a - b).sum(axis=1).mean())


def _categorical_column(r: pd.Series, s: pd.Series, seed: int = 0) -> tuple[dict, tuple]:
    n_r = len(r)
    both = pd.concat([r, s], ignore_index=True).astype("string")
    codes, labels = pd.factorize(both, use_na_sentinel=True)
    k = len(labels)
    codes = np.where(codes < 0, k, codes)  # missing is its own category (code k)
    cr, cs = codes[:n_r], codes[n_r:]
    count_r = np.bincount(cr, minlength=k + 1)
    count_s = np.bincount(cs, minlength=k + 1)
    tv = _tv(count_r, count_s)
    noise = _tv_noise(count_r, len(s), seed)
    labels = np.asarray(labels, dtype=object)
    new = np.flatnonzero((count_s[:k] > 0) & (count_r[:k] == 0))
    lost = np.flatnonzero((count_r[:k] > 0) & (count_s[:k] == 0))
    # Most frequent first, then by label, so the lists are deterministic.
    new = sorted(new, key=lambda i: (-count_s[i], str(labels[i])))[:MAX_LISTED]
    lost = sorted(lost, key=lambda i: (-count_r[i], str(labels[i])))[:MAX_LISTED]
    info = {
        "kind": "categorical",
        "missing_real": float(count_r[k] / n_r) if n_r else 0.0,
        "missing_synthetic": float(count_s[k] / len(s)) if len(s) else 0.0,
        "score": 1.0 - tv,
        "tv": tv,
        "tv_sampling_noise": noise,
        "new_categories": [str(labels[i]) for i in new],
        "lost_categories": [str(labels[i]) for i in lost],
        "bars": _bars(count_r, count_s, labels),
    }
    # Lumped codes for pairs and detection: the TOP_CATEGORIES most frequent real categories keep
    # their own code, everything else shares "other", missing keeps its own code.
    top = np.argsort(-count_r[:k], kind="stable")[:TOP_CATEGORIES]
    remap = np.full(k + 1, len(top), dtype=np.int64)  # other
    remap[top] = np.arange(len(top))
    remap[k] = len(top) + 1  # missing
    return info, (remap[cr], remap[cs], len(top) + 2)


def _bars(count_r: np.ndarray, count_s: np.ndarray, labels: np.ndarray) -> dict:
    """Shares of the ``BAR_CATEGORIES`` most frequent real categories, then "(other)", "(missing)".

    ``count_*`` has one count per label plus missing last. Ties in real frequency go to the more
    frequent synthetic category, then by label, so the order does not depend on the row order.
    """
    k = len(labels)
    names = np.asarray([str(x) for x in labels], dtype=object)
    order = np.lexsort((names, -count_s[:k], -count_r[:k]))
    top = order[count_r[:k][order] > 0][:BAR_CATEGORIES]
    rest = np.ones(k, dtype=bool)
    rest[top] = False
    out_labels = [str(names[i]) for i in top]
    rows_r, rows_s = [count_r[top]], [count_s[top]]
    for name, (cr, cs) in (
        (OTHER, (count_r[:k][rest].sum(), count_s[:k][rest].sum())),
        (MISSING, (count_r[k], count_s[k])),
    ):
        if cr or cs:
            out_labels.append(name)
            rows_r.append([cr])
            rows_s.append([cs])
    real, syn = np.concatenate(rows_r), np.concatenate(rows_s)
    n_r, n_s = count_r.sum(), count_s.sum()
    return {
        "labels": out_labels,
        "real": (real / n_r if n_r else np.zeros(len(real))).tolist(),
        "synthetic": (syn / n_s if n_s else np.zeros(len(syn))).tolist(),
    }


# ---------------------------------------------------------------------------- pairs


def _quantile_bins(r: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    ok = r[~np.isnan(r)]
    if len(ok):
        edges = np.unique(np.quantile(ok, np.linspace(0, 1, N_BINS + 1)[1:-1]))
    else:
        edges = np.empty(0)
    missing = len(edges) + 1

    def codes(v: np.ndarray) -> np.ndarray:
        c = np.searchsorted(edges, v, side="right")
        return np.where(np.isnan(v), missing, c)

    return codes(r), codes(s), missing + 1


def _joint_counts(a: np.ndarray, b: np.ndarray, kb: int, n_r: int):
    joint = a.astype(np.int64) * kb + b
    _, inverse = np.unique(joint, return_inverse=True)
    m = int(inverse.max()) + 1 if len(inverse) else 0
    return np.bincount(inverse[:n_r], minlength=m), np.bincount(inverse[n_r:], minlength=m)


def _cramers_v(a: np.ndarray, b: np.ndarray, ka: int, kb: int) -> float | None:
    if len(a) == 0:
        return None
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, c = table.shape
    if min(r, c) < 2:
        return 0.0
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(min(1.0, math.sqrt(chi2 / n / (min(r, c) - 1))))


def _pairs(columns, kinds, numeric, cat_codes) -> dict:
    num_cols = [c for c in columns if kinds[c] == "numeric"]
    corr_diff = None
    cr = cs = np.empty((0, 0))
    if num_cols:
        cr = pd.DataFrame({c: numeric[c][0] for c in num_cols}).corr().to_numpy()
        cs = pd.DataFrame({c: numeric[c][1] for c in num_cols}).corr().to_numpy()
    if len(num_cols) >= 2:
        upper = np.triu_indices(len(num_cols), 1)
        diffs = np.abs(cr[upper] - cs[upper])
        # A constant column has no correlation on one side: count it as fully different (1) when
        # only one side is undefined, and skip it when both are.
        diffs = np.where(np.isnan(cr[upper]) ^ np.isnan(cs[upper]), 1.0, diffs)
        corr_diff = float(np.nanmean(diffs)) if np.isfinite(diffs).any() else None

    binned = {}
    for col in columns:
        if kinds[col] == "numeric":
            binned[col] = _quantile_bins(*numeric[col])
        else:
            binned[col] = cat_codes[col]
    all_pairs = list(combinations(columns, 2))
    pairs_total = len(all_pairs)
    if len(all_pairs) > MAX_PAIRS:  # evenly spread over all pairs, independent of the seed
        keep = np.unique(np.linspace(0, len(all_pairs) - 1, MAX_PAIRS).round().astype(int))
        all_pairs = [all_pairs[i] for i in keep]
    tvs = []
    for a, b in all_pairs:
        ar, as_, _ = binned[a]
        br, bs, kb = binned[b]
        cnt_r, cnt_s = _joint_counts(
            np.concatenate([ar, as_]), np.concatenate([br, bs]), kb, len(ar)
        )
        tvs.append(_tv(cnt_r, cnt_s))
    contingency_tv = float(np.mean(tvs)) if tvs else None

    cat_cols = [c for c in columns if kinds[c] == "categorical"][:MAX_CRAMERS_COLUMNS]
    cramers = {}
    for side in (0, 1):
        m = np.eye(len(cat_cols))
        for i, j in combinations(range(len(cat_cols)), 2):
            ci, cj = cat_codes[cat_cols[i]], cat_codes[cat_cols[j]]
            v = _cramers_v(ci[side], cj[side], ci[2], cj[2])
            m[i, j] = m[j, i] = np.nan if v is None else v
        cramers[side] = {"columns": list(cat_cols), "matrix": m.tolist()}
    shown = num_cols[:MAX_CORRELATION_COLUMNS]
    k = len(shown)
    return {
        "correlation_difference": corr_diff,
        "contingency_tv": contingency_tv,
        "cramers_v_real": cramers[0],
        "cramers_v_synthetic": cramers[1],
        "correlation_real": {"columns": shown, "matrix": cr[:k, :k].tolist()},
        "correlation_synthetic": {"columns": shown, "matrix": cs[:k, :k].tolist()},
        "pairs_compared": len(all_pairs),
        "pairs_total": pairs_total,
        "score": None if contingency_tv is None else 1.0 - contingency_tv,
    }


# ---------------------------------------------------------------------------- detection / MMD


def _detection(columns, kinds, numeric, cat_codes, seed: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    first = columns[0] if columns else None
    n_r = len(numeric[first][0]) if first in numeric else len(cat_codes[first][0]) if first else 0
    n_s = len(numeric[first][1]) if first in numeric else len(cat_codes[first][1]) if first else 0
    n = n_r + n_s
    if min(n_r, n_s) < 3:
        return {"auc": None, "score": None, "rows_used": n}
    features, is_cat = [], []
    for col in columns:
        r, s = numeric[col] if kinds[col] == "numeric" else cat_codes[col][:2]
        features.append(np.concatenate([r, s]).astype(np.float64))
        is_cat.append(kinds[col] == "categorical")
    x = np.column_stack(features)
    y = np.r_[np.zeros(n_r, dtype=np.int8), np.ones(n_s, dtype=np.int8)]
    folds = _folds(x, y, seed)
    proba = np.full(n, 0.5)
    # One OpenMP thread: on a shared machine, HGB's threads spin-wait and slow down 100-fold.
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in range(3):
            train, test = folds != k, folds == k
            # A column with no value in the training rows tells nothing apart, and scikit-learn's
            # binning fails on it ("window shape cannot be larger..."): leave it out of this fold.
            used = ~np.isnan(x[train]).all(axis=0)
            if len(np.unique(y[train])) < 2 or not test.any() or not used.any():
                continue
            cats = np.array(is_cat)[used]
            model = HistGradientBoostingClassifier(
                max_iter=100,
                categorical_features=cats if cats.any() else None,
                early_stopping=bool(train.sum() >= 1_000),  # needs a validation split
                random_state=seed,
            )
            model.fit(x[train][:, used], y[train])
            proba[test] = model.predict_proba(x[test][:, used])[:, 1]
    auc = float(roc_auc_score(y, proba))
    return {"auc": auc, "score": float(np.clip(1 - 2 * abs(auc - 0.5), 0, 1)), "rows_used": n}


def _folds(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """3-fold assignment, stratified by class, that keeps identical rows in the same fold.

    A synthetic row that copies a real row must not be scored by a model trained on its twin with
    the opposite label (that drives the AUC below 0.5 for copies). Identical rows form one group;
    groups go to folds in a seeded random order, per class in proportion, so folds stay stratified.
    """
    groups, _ = pd.factorize(pd.util.hash_pandas_object(pd.DataFrame(x), index=False))
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    rng = np.random.default_rng(seed)
    # A group's class mix: 0 = real only, 1 = synthetic only, 2 = both. Deal each mix round-robin.
    has_r = np.bincount(groups[y == 0], minlength=n_groups) > 0
    has_s = np.bincount(groups[y == 1], minlength=n_groups) > 0
    mix = np.where(has_r & has_s, 2, has_s.astype(int))
    order = rng.permutation(n_groups)
    order = order[np.argsort(mix[order], kind="stable")]
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    fold_of_group[order] = np.arange(n_groups) % 3
    return fold_of_group[groups]


def _sqdist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` and ``b``."""
    sq_a, sq_b = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b)
    return np.maximum(sq_a[:, None] + sq_b[None, :] - 2.0 * (a @ b.T), 0.0)


def _mmd(numeric, seed: int) -> dict:
    """``{"value": MMD or None, "rows_used": rows of both tables in the kernel matrix}``."""
    if not numeric:
        return {"value": None, "rows_used": 0}
    r = np.column_stack([v[0] for v in numeric.values()])
    s = np.column_stack([v[1] for v in numeric.values()])
    if len(r) == 0 or len(s) == 0:
        return {"value": None, "rows_used": 0}
    # The same generator state for both tables, so identical tables give identical samples.
    if len(r) > MMD_ROWS:
        r = r[np.random.default_rng(seed).choice(len(r), MMD_ROWS, replace=False)]
    if len(s) > MMD_ROWS:
        s = s[np.random.default_rng(seed).choice(len(s), MMD_ROWS, replace=False)]
    with warnings.catch_warnings():  # all-missing columns: mean/std are NaN, handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(r, axis=0)
        std = np.nanstd(r, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
    # Standardize by the real data; missing values sit at the real mean (0).
    r = np.nan_to_num((r - mean) / std)
    s = np.nan_to_num((s - mean) / std)
    z = np.vstack([r, s])
    # Bandwidth by the median heuristic on the pooled rows: the median squared distance between
    # distinct rows (sigma^2 = median / 2). Above MMD_ROWS pooled rows the median comes from a
    # seeded sample of them, so no n^2 matrix beyond the kernel blocks themselves is built.
    pool = z
    if len(z) > MMD_ROWS:
        pool = z[np.random.default_rng(seed).choice(len(z), MMD_ROWS, replace=False)]
    d_pool = _sqdist(pool, pool)[np.triu_indices(len(pool), 1)]
    positive = d_pool[d_pool > 0]
    median = float(np.median(positive)) if len(positive) else 1.0
    # The three kernel blocks one at a time (each at most MMD_ROWS^2), never the pooled matrix.
    mmd2 = (
        np.exp(-_sqdist(r, r) / median).mean()
        + np.exp(-_sqdist(s, s) / median).mean()
        - 2 * np.exp(-_sqdist(r, s) / median).mean()
    )
    return {"value": float(math.sqrt(max(mmd2, 0.0))), "rows_used": len(z)}
