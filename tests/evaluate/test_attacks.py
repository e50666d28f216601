"""anonymeter's singling-out, linkability and inference attacks on cases with known answers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from synthdsl.evaluation import evaluate
from synthdsl.evaluation.attacks import attacks, max_risk
from tests.conftest import ROOT, SHARED

ADULT = SHARED / "data" / "adult" / "adult_train.csv"
QI = ["age", "sex", "race", "education", "marital-status"]


@pytest.fixture(scope="module")
def adult():
    data = pd.read_csv(ADULT, na_values=["?"], skipinitialspace=True).sample(3000, random_state=3)
    cols = [*QI, "occupation", "hours-per-week", "class"]
    data = data[cols].reset_index(drop=True)
    kinds = {c: "numeric" if c in ("age", "hours-per-week") else "categorical" for c in cols}
    return data.iloc[:1000], data.iloc[1000:2000], data.iloc[2000:], kinds


@pytest.fixture(scope="module")
def copied(adult):
    train, holdout, _, kinds = adult
    return attacks(train, train, holdout, kinds, quasi_identifiers=QI, sensitive=["class"], seed=0)


@pytest.fixture(scope="module")
def fresh(adult):
    train, holdout, other, kinds = adult
    return attacks(train, other, holdout, kinds, quasi_identifiers=QI, sensitive=["class"], seed=5)


def test_a_copy_is_singled_out_and_its_secrets_inferred(copied):
    out = copied
    so = out["singling_out"]
    # Every query that singles out a synthetic row singles out the real person it copies.
    assert so["attack_rate"] > 0.95 and so["risk"] > 0.8
    assert so["ci"][0] <= so["risk"] <= so["ci"][1]
    inf = out["inference"]["class"]
    assert inf["attack_rate"] > inf["control_rate"] and inf["risk"] > 0.3
    assert "substantial risk" in so["reading"] and "class" in inf["reading"]


def test_an_independent_sample_adds_little_risk(fresh):
    out = fresh
    risks = max_risk(out)
    # Fresh real rows from the same population leak nothing about the training rows: the
    # attacks do as well on the training rows as on the unseen holdout rows.
    assert risks["singling_out"] < 0.1
    assert risks["linkability"] < 0.05
    assert risks["inference"] < 0.15
    assert out["linkability"]["aux_columns"] == [QI[:3], QI[3:]]
    assert 0 < out["linkability"]["baseline_rate"] < 0.01  # one random row out of 1,000


def test_attacks_need_a_holdout(adult):
    train, _, _, kinds = adult
    out = attacks(train, train, None, kinds, sensitive=["class"])
    assert "holdout" in out["singling_out"]["skipped"]
    assert max_risk(out) == {"singling_out": None, "linkability": None, "inference": None}


def test_same_seed_same_risks(adult, fresh):
    train, holdout, other, kinds = adult
    # The attacks leave numpy's global generator as they found it.
    np.random.seed(1)
    expected = np.random.random()
    np.random.seed(1)
    again = attacks(train, other, holdout, kinds, quasi_identifiers=QI, sensitive=["class"], seed=5)
    assert np.random.random() == expected
    assert max_risk(again) == max_risk(fresh)
    assert again["inference"] == fresh["inference"]


@pytest.mark.slow
def test_risks_enter_the_privacy_score_and_contract(adult):
    train, holdout, other, _ = adult
    leaky = evaluate(train, train, holdout=holdout, quasi_identifiers=QI, sensitive=["class"])
    safe = evaluate(train, other, holdout=holdout, quasi_identifiers=QI, sensitive=["class"])
    for result in (leaky, safe):
        data = json.loads(result.to_json())
        for key in ("singling_out_risk", "linkability_risk", "inference_risk"):
            assert data["privacy"][key] is not None and 0 <= data["privacy"][key] <= 1
        assert data["privacy"]["attacks"]["settings"]["n_attacks"] == 500
    assert leaky.privacy["singling_out_risk"] > safe.privacy["singling_out_risk"] + 0.5
    assert leaky.privacy["score"] < safe.privacy["score"] - 0.3
    no_attacks = evaluate(train, other, holdout=holdout, attacks=False)
    assert no_attacks.privacy["attacks"] is None and no_attacks.privacy["inference_risk"] is None


def test_missing_anonymeter_names_the_install_command(tmp_path):
    code = (
        "import sys; sys.modules['anonymeter'] = None\n"
        "import pandas as pd\n"
        "from synthdsl.errors import MissingExtraError\n"
        "from synthdsl.evaluation import evaluate\n"
        "f = pd.DataFrame({'a': list(range(40)), 'b': ['x', 'y'] * 20})\n"
        "try:\n"
        "    evaluate(f, f)\n"
        "except MissingExtraError as e:\n"
        "    print(e)\n"
        "print(evaluate(f, f, attacks=False).privacy['exact_match_rate'])\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stderr
    assert "synthdsl[evaluate]" in r.stdout and "--no-deps anonymeter" in r.stdout
    assert r.stdout.strip().endswith("1.0")
