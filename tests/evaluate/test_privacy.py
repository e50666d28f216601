"""Privacy metrics on constructed cases with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthdsl.errors import DataError
from synthdsl.evaluation.privacy import privacy

KINDS = {"age": "numeric", "income": "numeric", "city": "categorical", "plan": "categorical"}


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.5, n)
    income[rng.random(n) < 0.05] = np.nan
    city = rng.choice(["A", "B", "C", "D"], n).astype(object)
    city[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(3),
            "income": income,
            "city": city,
            "plan": rng.choice(["free", "pro"], n),
        }
    )


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return _frame(2000, 1)


@pytest.fixture(scope="module")
def holdout() -> pd.DataFrame:
    return _frame(2000, 2)


def test_copy_of_training_rows_leaks(real, holdout):
    out = privacy(real, real.copy(), KINDS, holdout=holdout)
    assert out["exact_match_rate"] == 1.0
    assert out["membership_inference_auc"] > 0.95
    assert out["dcr"]["synthetic_to_real_median"] == 0.0
    assert out["dcr"]["share_closer_than_holdout"] == 1.0
    assert out["score"] < 0.1
    assert "AUC" in out["readings"]["membership_inference_auc"]


def test_independent_sample_is_safe(real, holdout):
    out = privacy(real, _frame(2000, 3), KINDS, holdout=holdout)
    assert out["exact_match_rate"] == 0.0
    assert abs(out["membership_inference_auc"] - 0.5) < 0.05
    assert out["dcr"]["share_closer_than_holdout"] < 0.15
    assert out["score"] > 0.85
    assert "coin flip" in out["readings"]["membership_inference_auc"]
    json.dumps(out)


def test_no_holdout_gives_null_auc(real):
    out = privacy(real, _frame(500, 4), KINDS)
    assert out["membership_inference_auc"] is None
    assert out["dcr"]["holdout_to_real_median"] is None
    assert out["dcr"]["share_closer_than_holdout"] is None
    assert out["identity_disclosure"] is None
    assert 0.0 <= out["score"] <= 1.0
    json.dumps(out)


def test_exact_match_counts_nulls_and_partial_copies(real):
    syn = _frame(1000, 5)
    syn.iloc[:250] = real.iloc[:250].to_numpy()  # includes rows with missing values
    out = privacy(real, syn, KINDS)
    assert out["exact_match_rate"] == pytest.approx(0.25)


def test_identity_disclosure():
    real = pd.DataFrame(
        {"zip": ["1", "1", "2", "3"], "sex": ["f", "f", "m", "f"], "x": [1.0, 2, 3, 4]}
    )
    syn = pd.DataFrame(
        {"zip": ["2", "3", "3", "9"], "sex": ["m", "f", "f", "m"], "x": [5.0, 6, 7, 8]}
    )
    kinds = {"zip": "categorical", "sex": "categorical", "x": "numeric"}
    out = privacy(real, syn, kinds, quasi_identifiers=["zip", "sex"])
    # ("2","m") is unique in both; ("3","f") is not unique in synthetic; ("9","m") is not in real.
    assert out["identity_disclosure"]["share_synthetic_unique_matching_real_unique"] == 0.25
    assert out["identity_disclosure"]["quasi_identifiers"] == ["zip", "sex"]


def test_sampling_is_deterministic_and_reported(real, holdout):
    syn = _frame(2000, 6)
    a = privacy(real, syn, KINDS, holdout=holdout, max_rows=500, seed=7)
    b = privacy(real, syn, KINDS, holdout=holdout, max_rows=500, seed=7)
    assert a == b
    assert a["sampled"] is True
    assert privacy(real, syn, KINDS)["sampled"] is False


def test_bad_quasi_identifier(real):
    with pytest.raises(DataError):
        privacy(real, real, KINDS, quasi_identifiers=["nope"])


def test_hamming_identity_disclosure_against_the_holdout_baseline():
    rng = np.random.default_rng(0)

    def people(n):
        return pd.DataFrame(
            {
                "zip": rng.integers(1000, 1100, n).astype(str),
                "age": rng.integers(18, 90, n),
                "sex": rng.choice(["F", "M"], n),
                "x": rng.normal(size=n),
            }
        )

    real, holdout = people(500), people(500)
    kinds = {"zip": "categorical", "age": "categorical", "sex": "categorical", "x": "numeric"}
    qi = ("zip", "age", "sex")
    copied = privacy(real, real, kinds, holdout=holdout, quasi_identifiers=qi)[
        "identity_disclosure"
    ]
    assert copied["hamming_synthetic"]["share_at_0"] == 1.0
    # 100 zips x 72 ages x 2 sexes: an unseen person rarely matches a real one on all three.
    assert copied["hamming_holdout"]["share_at_0"] < 0.1
    fresh = privacy(real, people(500), kinds, holdout=holdout, quasi_identifiers=qi)
    ham = fresh["identity_disclosure"]["hamming_synthetic"]
    assert ham["share_at_0"] < 0.1 and ham["share_at_0"] <= ham["share_at_most_1"] <= 1.0
    assert "Hamming distance 0" in fresh["readings"]["identity_disclosure"]
    # Every row of the real data with its sex flipped: one quasi-identifier off, so distance 1.
    flipped = real.assign(sex=np.where(real.sex == "F", "M", "F"))
    near = privacy(real, flipped, kinds, holdout=holdout, quasi_identifiers=qi)
    ham = near["identity_disclosure"]["hamming_synthetic"]
    assert ham["share_at_most_1"] == 1.0 and ham["share_at_0"] < 0.1
