"""Inputs a data steward really has: mixed dtypes across files, dates as text, stray nulls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthdsl.errors import DataError
from synthdsl.evaluation import evaluate


def people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "code": rng.integers(1, 5, n),  # few values: categorical
            "income": rng.lognormal(10, 0.5, n).round(2),
            "visit": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "label": rng.choice(["yes", "no"], n),
        }
    )


def test_a_copy_with_whole_numbers_stored_as_floats_is_still_a_copy(tmp_path):
    real = people(600, 1)
    real.to_csv(tmp_path / "real.csv", index=False)
    real.astype({"code": "float64", "age": "float64"}).to_parquet(tmp_path / "copy.parquet")
    result = evaluate(tmp_path / "real.csv", tmp_path / "copy.parquet", attacks=False)
    assert result.privacy["exact_match_rate"] == 1.0
    assert result.fidelity["columns"]["code"]["tv"] == 0.0
    assert result.settings["columns"]["code"] == "categorical"
    assert result.fidelity["columns"]["code"]["new_categories"] == []


def test_dates_written_as_text_compare_with_real_dates(tmp_path):
    real = people(600, 1)
    real.to_parquet(tmp_path / "real.parquet")
    real.assign(visit=real.visit.dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "syn.csv", index=False)
    result = evaluate(tmp_path / "real.parquet", tmp_path / "syn.csv", attacks=False)
    assert result.settings["columns"]["visit"] == "numeric"
    assert result.fidelity["columns"]["visit"]["ks"] == 0.0
    # Both sides as text (two CSV files) are dates too, not 365 categories.
    real.assign(visit=real.visit.dt.strftime("%Y-%m-%d")).to_csv(tmp_path / "r.csv", index=False)
    both_text = evaluate(tmp_path / "r.csv", tmp_path / "syn.csv", attacks=False)
    assert both_text.settings["columns"]["visit"] == "numeric"


def test_missing_values_only_in_the_synthetic_table():
    real, holdout = people(400, 1), people(400, 2)
    syn = people(400, 3)
    syn.loc[syn.index[:40], "income"] = np.nan  # the real table has none
    result = evaluate(real, syn, holdout=holdout, target="label", attacks=False)
    col = result.fidelity["columns"]["income"]
    assert col["missing_synthetic"] == pytest.approx(0.1)
    # 10 % more missing values lowers the column score even though KS ignores them.
    assert col["score"] <= 0.9 + 1e-9
    assert result.privacy["exact_match_rate"] == 0.0


def test_chance_exact_matches_do_not_count_as_copies():
    rng = np.random.default_rng(0)

    def coarse(n):
        return pd.DataFrame({"a": rng.integers(0, 2, n), "b": rng.choice(["x", "y"], n)})

    real, holdout, syn = coarse(500), coarse(500), coarse(500)
    priv = evaluate(real, syn, holdout=holdout, attacks=False).privacy
    # Every row matches some real row: four possible rows in all, so unseen people do too.
    assert priv["exact_match_rate"] == 1.0 and priv["exact_match_rate_holdout"] == 1.0
    assert priv["parts"]["exact_matches"] == 1.0
    assert "chance" in priv["readings"]["exact_match_rate"]


def test_privacy_score_is_the_weakest_part():
    real, holdout = people(500, 1), people(500, 2)
    leaky = evaluate(real, real, holdout=holdout, attacks=False).privacy
    assert leaky["score"] == min(leaky["parts"].values())
    assert leaky["score"] == 0.0  # every row copied
    assert "exact matches" in leaky["readings"]["score"]


def test_utility_at_chance_on_real_data_is_not_measurable():
    rng = np.random.default_rng(0)

    def noise(n):
        return pd.DataFrame({"x": rng.normal(size=n), "y": rng.choice(["a", "b"], n)})

    util = evaluate(noise(600), noise(600), holdout=noise(600), target="y", attacks=False).utility
    # Real data cannot predict a coin flip either; no model may claim "just as well".
    assert util["at_chance_on_real"] == ["linear", "random_forest", "hist_gradient_boosting"]
    assert util["score"] is None
    assert "no better than chance" in util["note"] and "cannot be measured" in util["note"]


def test_too_few_rows_to_split_asks_for_a_holdout():
    f = people(5, 1)
    util = evaluate(f, f, target="label", attacks=False).utility
    assert util["score"] is None and "--holdout" in util["withheld"]["score"]


def test_json_is_strict_even_with_undefined_figures():
    import json

    real = people(300, 1).assign(const=1.5, empty=np.nan)
    syn = people(300, 2).assign(const=1.5, empty=np.nan)
    text = evaluate(real, syn, attacks=False).to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_a_column_named_in_the_wrong_case_gets_a_hint():
    f = people(50, 1)
    with pytest.raises(DataError, match="did you mean 'label'"):
        evaluate(f, f, target="Label", attacks=False)
