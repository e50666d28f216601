"""Utility (TSTR vs TRTR) on constructed cases with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthdsl.errors import DataError
from synthdsl.evaluation.utility import utility

KINDS = {"x1": "numeric", "x2": "numeric", "x3": "numeric", "g": "categorical", "y": "categorical"}
MODELS = ("linear", "random_forest", "hist_gradient_boosting")


def _frame(n: int, seed: int, *, reverse_minority: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=(3, n))
    g = np.where(rng.random(n) < 0.2, "min", "maj")
    logit = 3 * x1 + 1.5 * x2
    if reverse_minority:
        logit = np.where(g == "min", -logit, logit)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    x2[rng.random(n) < 0.05] = np.nan  # missing values go through the imputer
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "g": g, "y": y})


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return _frame(3000, 1)


def test_same_process_matches(real):
    out = utility(real, _frame(3000, 2), KINDS, target="y", subgroups=["g"])
    assert out["task"] == "classification"
    assert out["test_set"] == "split of real (30%)"
    for m in MODELS:
        tstr, trtr = out["models"][m]["tstr"], out["models"][m]["trtr"]
        assert set(tstr) == {"roc_auc", "f1_macro", "accuracy"}
        assert trtr["roc_auc"] > 0.85
        assert tstr["roc_auc"] > trtr["roc_auc"] - 0.03
    assert out["score"] > 0.96
    assert set(out["subgroups"]["g"]) == {"maj", "min"}
    assert out["feature_importance_agreement"] is not None
    assert out["feature_importance_agreement"] > 0.5
    json.dumps(out)


def test_shuffled_label_fails(real):
    syn = _frame(3000, 2)
    syn["y"] = np.random.default_rng(0).permutation(syn["y"].to_numpy())
    out = utility(real, syn, KINDS, target="y")
    # The linear model's tiny spurious slope on the strong real feature x1 can land anywhere, so only
    # the tree models are held to chance level.
    for m in ("random_forest", "hist_gradient_boosting"):
        assert abs(out["models"][m]["tstr"]["roc_auc"] - 0.5) < 0.08
    assert out["score"] < 0.65


def test_minority_subgroup_failure_is_visible(real):
    syn = _frame(3000, 2, reverse_minority=True)
    holdout = _frame(2000, 3)
    out = utility(real, syn, KINDS, target="y", holdout=holdout, subgroups=["g"])
    assert out["test_set"] == "holdout"
    sub = out["subgroups"]["g"]
    for m in ("random_forest", "hist_gradient_boosting"):  # models that can learn the interaction
        assert sub["min"][m]["tstr"]["roc_auc"] < sub["min"][m]["trtr"]["roc_auc"] - 0.4
        assert sub["maj"][m]["tstr"]["roc_auc"] > sub["maj"][m]["trtr"]["roc_auc"] - 0.03


def test_regression():
    def make(n, seed):
        rng = np.random.default_rng(seed)
        x1, x2 = rng.normal(size=(2, n))
        c = rng.choice(["a", "b", "c"], n)
        t = 2 * x1 - x2 + np.where(c == "a", 1.0, 0.0) + rng.normal(0, 0.3, n)
        return pd.DataFrame({"x1": x1, "x2": x2, "c": c, "t": t})

    kinds = {"x1": "numeric", "x2": "numeric", "c": "categorical", "t": "numeric"}
    out = utility(make(2000, 1), make(2000, 2), kinds, target="t", subgroups=["c"])
    assert out["task"] == "regression"
    for m in MODELS:
        tstr, trtr = out["models"][m]["tstr"], out["models"][m]["trtr"]
        assert set(tstr) == {"r2", "mae"}
        assert tstr["r2"] > trtr["r2"] - 0.03
    assert out["score"] > 0.95
    assert set(out["subgroups"]["c"]) == {"a", "b", "c"}
    json.dumps(out)


def test_deterministic(real):
    syn = _frame(1000, 5)
    assert utility(real, syn, KINDS, target="y", seed=3) == utility(
        real, syn, KINDS, target="y", seed=3
    )


@pytest.mark.parametrize("where", ["synthetic", "real"])
def test_one_class_target(real, where):
    syn = _frame(500, 2)
    frames = {"real": real.copy(), "synthetic": syn}
    frames[where]["y"] = "yes"
    with pytest.raises(DataError, match=f"one class in the {where}") as exc:
        utility(frames["real"], frames["synthetic"], KINDS, target="y")
    assert exc.value.column == "y"


def test_missing_target(real):
    with pytest.raises(DataError) as exc:
        utility(real, real, KINDS, target="nope")
    assert exc.value.column == "nope"
