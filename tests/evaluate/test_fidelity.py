"""fidelity(): constructed real/synthetic pairs whose answers are known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthdsl.evaluation.fidelity import fidelity

KINDS = {"x": "numeric", "y": "numeric", "z": "numeric", "a": "categorical", "b": "categorical"}


def correlated(n: int, seed: int) -> pd.DataFrame:
    """Strongly dependent columns: y and z follow x, a and b follow x's sign and size."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 2 * x + 0.2 * rng.normal(size=n)
    z = -x + 0.3 * rng.normal(size=n)
    a = np.where(x + 0.2 * rng.normal(size=n) > 0, "pos", "neg")
    b = np.array(["low", "mid", "high"])[np.digitize(x, [-0.5, 0.5])]
    return pd.DataFrame({"x": x, "y": y, "z": z, "a": a, "b": b})


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each column permuted independently: marginals kept exactly, dependence broken."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.permutation(len(frame))] for c in frame})


def noise(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.uniform(50, 100, n),
            "y": rng.uniform(-100, -50, n),
            "z": rng.uniform(10, 20, n),
            "a": rng.choice(["u", "v", "w"], n),
            "b": rng.choice(["p", "q"], n),
        }
    )


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return correlated(2000, 1)


@pytest.fixture(scope="module")
def same(real):
    return fidelity(real, real.copy(), KINDS)


@pytest.fixture(scope="module")
def broken(real):
    return fidelity(real, shuffled(real, 2), KINDS)


def test_return_shape_and_json(same):
    assert set(same) == {"score", "columns", "pairs", "detection", "mmd", "sampled"}
    assert set(same["columns"]["x"]) == {
        "kind",
        "missing_real",
        "missing_synthetic",
        "score",
        "ks",
        "wasserstein",
        "min_real",
        "max_real",
        "min_synthetic",
        "max_synthetic",
        "histogram",
    }
    assert set(same["columns"]["a"]) == {
        "kind",
        "missing_real",
        "missing_synthetic",
        "score",
        "tv",
        "tv_sampling_noise",
        "new_categories",
        "lost_categories",
        "bars",
    }
    assert set(same["pairs"]) == {
        "correlation_difference",
        "contingency_tv",
        "cramers_v_real",
        "cramers_v_synthetic",
        "correlation_real",
        "correlation_synthetic",
        "pairs_compared",
        "pairs_total",
        "score",
    }
    assert set(same["detection"]) == {"auc", "score", "rows_used"}
    assert set(same["mmd"]) == {"value", "rows_used"}
    assert same["pairs"]["cramers_v_real"]["columns"] == ["a", "b"]
    json.dumps(same, allow_nan=False)
    assert 0 <= same["score"] <= 1


def test_identical_data(same, real):
    for col in KINDS:
        assert same["columns"][col]["score"] == pytest.approx(1.0)
    assert same["columns"]["x"]["ks"] == pytest.approx(0.0)
    assert same["columns"]["x"]["wasserstein"] == pytest.approx(0.0, abs=1e-12)
    assert same["columns"]["x"]["min_real"] == same["columns"]["x"]["min_synthetic"]
    assert same["columns"]["a"]["tv"] == pytest.approx(0.0)
    assert same["pairs"]["correlation_difference"] == pytest.approx(0.0, abs=1e-12)
    assert same["pairs"]["contingency_tv"] == pytest.approx(0.0)
    assert same["pairs"]["score"] == pytest.approx(1.0)
    assert same["pairs"]["cramers_v_real"] == same["pairs"]["cramers_v_synthetic"]
    assert same["pairs"]["cramers_v_real"]["matrix"][0][1] > 0.5  # a and b are related
    assert abs(same["detection"]["auc"] - 0.5) < 0.1
    assert same["detection"]["score"] > 0.8
    assert same["detection"]["rows_used"] == 2 * len(real)
    assert same["mmd"]["value"] == pytest.approx(0.0, abs=1e-6)
    assert same["score"] > 0.9
    assert same["sampled"] is False


def test_fresh_sample_of_same_distribution(real):
    out = fidelity(real, correlated(2000, 7), KINDS)
    assert all(c["score"] > 0.9 for c in out["columns"].values())
    assert out["pairs"]["correlation_difference"] < 0.05
    assert abs(out["detection"]["auc"] - 0.5) < 0.1
    assert out["score"] > 0.85


def test_shuffled_columns_break_pairs_only(same, broken):
    for col in KINDS:  # marginals are exactly the same
        assert broken["columns"][col]["score"] == pytest.approx(1.0)
    assert broken["pairs"]["correlation_difference"] > 0.5
    assert broken["pairs"]["contingency_tv"] > 0.3
    assert broken["pairs"]["score"] < same["pairs"]["score"] - 0.3
    v_real = np.array(broken["pairs"]["cramers_v_real"]["matrix"])
    v_syn = np.array(broken["pairs"]["cramers_v_synthetic"]["matrix"])
    assert v_syn[0, 1] < 0.1 < v_real[0, 1]
    assert broken["detection"]["auc"] > 0.8
    assert broken["score"] < same["score"]


def test_pure_noise_scores_low(real):
    out = fidelity(real, noise(2000, 3), KINDS)
    for col in KINDS:
        assert out["columns"][col]["score"] < 0.1
    assert out["columns"]["x"]["ks"] > 0.9
    assert out["columns"]["x"]["wasserstein"] > 10
    assert out["columns"]["a"]["tv"] == pytest.approx(1.0)
    assert out["detection"]["auc"] > 0.99
    assert out["detection"]["score"] < 0.05
    assert out["pairs"]["contingency_tv"] > 0.9
    assert out["mmd"]["value"] > 0.5
    assert out["score"] < 0.1


def test_new_and_lost_categories():
    real = pd.DataFrame({"c": ["a", "b", "c", "a"] * 10, "n": np.arange(40.0)})
    syn = pd.DataFrame({"c": ["a", "d", "e", "a", "e"] * 8, "n": np.arange(40.0)})
    out = fidelity(real, syn, {"c": "categorical", "n": "numeric"})
    col = out["columns"]["c"]
    assert col["new_categories"] == ["e", "d"]  # most frequent first
    assert col["lost_categories"] == ["b", "c"]
    # real: a .5 b .25 c .25; synthetic: a .4 d .2 e .4 -> TV = (.1 + .25 + .25 + .2 + .4) / 2
    assert col["tv"] == pytest.approx(0.6)
    assert col["score"] == pytest.approx(0.4)


def test_new_categories_capped_at_20():
    real = pd.DataFrame({"c": ["a"] * 50})
    syn = pd.DataFrame({"c": [f"k{i}" for i in range(50)]})
    out = fidelity(real, syn, {"c": "categorical"})
    assert len(out["columns"]["c"]["new_categories"]) == 20
    assert out["columns"]["c"]["lost_categories"] == ["a"]
    assert out["pairs"]["contingency_tv"] is None
    assert out["pairs"]["correlation_difference"] is None
    assert out["mmd"]["value"] is None


def test_missing_rates_and_missing_as_category():
    real = pd.DataFrame({"n": [1.0, np.nan, 3.0, 4.0] * 25, "c": ["a", None, "b", "b"] * 25})
    syn = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0] * 25, "c": ["a", "a", "b", "b"] * 25})
    out = fidelity(real, syn, {"n": "numeric", "c": "categorical"})
    assert out["columns"]["n"]["missing_real"] == pytest.approx(0.25)
    assert out["columns"]["n"]["missing_synthetic"] == 0.0
    assert out["columns"]["c"]["missing_real"] == pytest.approx(0.25)
    assert out["columns"]["c"]["missing_synthetic"] == 0.0
    # missing is a category of its own: real a .25 None .25 b .5 vs synthetic a .5 b .5
    assert out["columns"]["c"]["tv"] == pytest.approx(0.25)
    assert out["columns"]["c"]["new_categories"] == []
    assert out["columns"]["c"]["lost_categories"] == []
    # KS ignores missing numbers: real {1, 3, 4} vs synthetic {1, 2, 3, 4}, largest gap at 2
    assert out["columns"]["n"]["ks"] == pytest.approx(1 / 2 - 1 / 3)
    assert out["columns"]["n"]["min_real"] == 1.0


def test_sampling_flag_and_determinism(real):
    small = fidelity(real, real, KINDS, max_rows=5000)
    assert small["sampled"] is False
    a = fidelity(real, shuffled(real, 4), KINDS, max_rows=400, seed=5)
    b = fidelity(real, shuffled(real, 4), KINDS, max_rows=400, seed=5)
    assert a["sampled"] is True
    assert a["detection"]["rows_used"] == 800
    assert a == b
    only_synthetic = fidelity(real.iloc[:300], real, KINDS, max_rows=400)
    assert only_synthetic["sampled"] is True
    assert only_synthetic["detection"]["rows_used"] == 700


def test_many_columns_cap_pairs():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"n{i}": rng.normal(size=300) for i in range(12)})  # 66 pairs
    out = fidelity(frame, frame, dict.fromkeys(frame, "numeric"))
    assert out["pairs"]["contingency_tv"] == pytest.approx(0.0)
    assert out["pairs"]["cramers_v_real"] == {"columns": [], "matrix": []}


def test_constant_and_empty_numeric_columns():
    real = pd.DataFrame({"k": [5.0] * 30, "e": [np.nan] * 30, "v": np.arange(30.0)})
    syn = pd.DataFrame({"k": [5.0] * 30, "e": [1.0] * 30, "v": np.arange(30.0)})
    out = fidelity(real, syn, dict.fromkeys(real, "numeric"))
    assert out["columns"]["k"]["score"] == 1.0
    assert out["columns"]["k"]["wasserstein"] == 0.0
    assert out["columns"]["e"]["ks"] == 1.0
    assert out["columns"]["e"]["wasserstein"] is None
    assert out["columns"]["e"]["missing_real"] == 1.0
    json.dumps(out, allow_nan=False)


def test_identical_tables_sampled_identically(real):
    out = fidelity(real, real.copy(), KINDS, max_rows=500)
    assert out["sampled"] is True
    assert all(c["score"] == pytest.approx(1.0) for c in out["columns"].values())
    assert out["pairs"]["contingency_tv"] == pytest.approx(0.0)
    assert out["mmd"]["value"] == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------- plot data


def test_plot_data_of_identical_tables_is_identical(same):
    for col in ("x", "y", "z"):
        hist = same["columns"][col]["histogram"]
        assert hist["real"] == hist["synthetic"]
        assert len(hist["edges"]) == len(hist["real"]) + 1 == 31
        assert hist["edges"] == sorted(hist["edges"])
        assert sum(hist["real"]) == pytest.approx(1.0)
    bars = same["columns"]["b"]["bars"]
    assert bars["real"] == bars["synthetic"]
    assert set(bars["labels"]) == {"low", "mid", "high"}
    assert sum(bars["real"]) == pytest.approx(1.0)
    assert same["pairs"]["correlation_real"] == same["pairs"]["correlation_synthetic"]
    assert same["pairs"]["correlation_real"]["columns"] == ["x", "y", "z"]
    corr = np.array(same["pairs"]["correlation_real"]["matrix"])
    assert corr.shape == (3, 3) and np.allclose(np.diag(corr), 1.0)
    assert corr[0, 1] > 0.9 and corr[0, 2] < -0.9


def test_plot_data_shows_the_difference(real):
    out = fidelity(real, noise(2000, 3), KINDS)
    hist = out["columns"]["x"]["histogram"]
    # Both tables fall inside the common range: real near 0, synthetic in [50, 100].
    assert hist["edges"][0] <= real["x"].quantile(0.005) and hist["edges"][-1] >= 99
    assert sum(hist["real"]) == pytest.approx(1.0) and sum(hist["synthetic"]) == pytest.approx(1.0)
    edges = np.array(hist["edges"])
    assert np.dot(hist["synthetic"], edges[:-1]) > 40 > np.dot(hist["real"], edges[1:])
    bars = out["columns"]["a"]["bars"]
    assert bars["labels"] == ["neg", "pos", "(other)"] or bars["labels"] == [
        "pos",
        "neg",
        "(other)",
    ]
    assert bars["real"][-1] == 0.0 and bars["synthetic"][-1] == pytest.approx(1.0)
    shuffled_out = fidelity(real, shuffled(real, 2), KINDS)
    corr_s = np.array(shuffled_out["pairs"]["correlation_synthetic"]["matrix"])
    assert abs(corr_s[0, 1]) < 0.1


def test_histogram_range_is_robust_and_shares_cover_all_values():
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(size=999), 1e6]  # one far outlier
    frame = pd.DataFrame({"v": values})
    hist = fidelity(frame, frame, {"v": "numeric"})["columns"]["v"]["histogram"]
    assert hist["edges"][-1] < 10  # the outlier does not set the range...
    assert sum(hist["real"]) == pytest.approx(1.0)  # ...but counts in the last bin
    assert hist["real"][-1] >= 0.001


def test_small_integer_columns_get_one_bin_per_value():
    real = pd.DataFrame({"k": [1, 2, 2, 3, 3, 3] * 10, "m": [np.nan, 1.0, 2.0] * 20})
    syn = pd.DataFrame({"k": [1, 1, 5] * 20, "m": [2.0] * 60})
    out = fidelity(real, syn, {"k": "numeric", "m": "numeric"})
    hist = out["columns"]["k"]["histogram"]
    assert hist["edges"] == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert hist["real"] == pytest.approx([1 / 6, 2 / 6, 3 / 6, 0, 0])
    assert hist["synthetic"] == pytest.approx([2 / 3, 0, 0, 0, 1 / 3])
    # Shares of non-missing rows.
    assert out["columns"]["m"]["histogram"]["real"] == pytest.approx([0.5, 0.5])


def test_bars_keep_the_top_categories_then_other_and_missing():
    cats = [f"c{i:02d}" for i in range(20)]
    real_values = [c for i, c in enumerate(cats) for _ in range(40 - i)] + [None] * 10
    real = pd.DataFrame({"c": real_values})
    syn = pd.DataFrame({"c": ["c00"] * 100 + ["zz"] * 50})
    bars = fidelity(real, syn, {"c": "categorical"})["columns"]["c"]["bars"]
    assert bars["labels"] == [*cats[:15], "(other)", "(missing)"]
    assert sum(bars["real"]) == pytest.approx(1.0) and sum(bars["synthetic"]) == pytest.approx(1.0)
    assert bars["real"][-1] == pytest.approx(10 / len(real))
    assert bars["synthetic"][0] == pytest.approx(100 / 150)
    assert bars["synthetic"][-2] == pytest.approx(50 / 150)  # the new category "zz" is other
    assert bars["synthetic"][-1] == 0.0


def test_correlation_matrices_cap_and_null_for_constant_columns():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"n{i}": rng.normal(size=200) for i in range(33)}).assign(n0=1.0)
    out = fidelity(frame, frame, dict.fromkeys(frame, "numeric"))
    corr = out["pairs"]["correlation_real"]
    assert corr["columns"] == [f"n{i}" for i in range(30)]
    assert len(corr["matrix"]) == 30 and all(len(row) == 30 for row in corr["matrix"])
    assert corr["matrix"][0][1] is None and corr["matrix"][1][1] == pytest.approx(1.0)
    assert out["pairs"]["pairs_total"] == 33 * 32 // 2
    assert out["pairs"]["pairs_compared"] <= 45
    json.dumps(out, allow_nan=False)


def test_tv_noise_floor_separates_sparse_noise_from_a_wrong_distribution():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(1000))

    def draw(probs):
        return pd.DataFrame({"c": rng.choice(1000, 2000, p=probs).astype(str)})

    real = draw(p)
    same = fidelity(real, draw(p), {"c": "categorical"})["columns"]["c"]
    wrong = fidelity(real, draw(None), {"c": "categorical"})["columns"]["c"]
    # 1,000 categories over 2,000 rows: a fresh sample of the same distribution has a large TV,
    # and the noise floor says so; a uniform draw stands well above it.
    assert same["tv"] > 0.2 and same["tv"] < 1.5 * same["tv_sampling_noise"]
    assert wrong["tv"] > 1.5 * wrong["tv_sampling_noise"]
