"""The evaluate API and CLI: the JSON contract, clear errors, and the shared Adult data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthdsl.cli import app
from synthdsl.errors import DataError
from synthdsl.evaluation import Evaluation, evaluate
from tests.conftest import SHARED
from tests.evaluate.frames import frame

ADULT = SHARED / "data" / "adult" / "adult_train.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def adult():
    data = pd.read_csv(ADULT, na_values=["?"], skipinitialspace=True).sample(4000, random_state=7)
    return data.iloc[:2000].reset_index(drop=True), data.iloc[2000:].reset_index(drop=True)


def test_contract_keys_and_ranges():
    real, holdout = frame(1500, 1), frame(1500, 2)
    result = evaluate(real, frame(1500, 3), holdout=holdout, target="label", seed=0)
    data = json.loads(result.to_json())
    for part in ("fidelity", "utility", "privacy"):
        assert 0.0 <= data[part]["score"] <= 1.0
    assert 0.0 <= data["privacy"]["exact_match_rate"] <= 1.0
    assert 0.0 <= data["privacy"]["membership_inference_auc"] <= 1.0
    assert data["settings"]["rows"] == {"real": 1500, "synthetic": 1500, "holdout": 1500}
    Evaluation.model_validate(data)


def test_no_holdout_means_null_membership_auc_and_no_target_skips_utility():
    result = evaluate(frame(800, 1), frame(800, 3))
    assert result.privacy["membership_inference_auc"] is None
    assert result.utility["score"] is None and "target" in result.utility["skipped"]


def test_a_copy_of_the_training_rows_is_flagged(adult):
    train, holdout = adult
    result = evaluate(train, train, holdout=holdout, target="class", seed=1)
    assert result.privacy["exact_match_rate"] == 1.0
    assert result.privacy["membership_inference_auc"] > 0.9
    assert result.fidelity["score"] > 0.9
    assert result.privacy["singling_out_risk"] > 0.5


def test_independent_noise_is_unfaithful_but_private(adult):
    train, holdout = adult
    rng = np.random.default_rng(0)
    noise = train.copy()
    for col in noise.columns:  # break every column: values drawn from unrelated ranges
        if pd.api.types.is_numeric_dtype(noise[col]):
            noise[col] = rng.uniform(noise[col].min(), noise[col].max(), len(noise)).round()
        else:
            noise[col] = rng.choice(noise[col].dropna().unique(), len(noise))
    result = evaluate(train, noise, holdout=holdout, target="class", seed=1, attacks=False)
    copy = evaluate(train, train, holdout=holdout, target="class", seed=1, attacks=False)
    assert result.fidelity["score"] < copy.fidelity["score"] - 0.2
    assert result.privacy["exact_match_rate"] == 0.0
    assert abs(result.privacy["membership_inference_auc"] - 0.5) < 0.1


def test_schema_mismatch_names_the_column():
    with pytest.raises(DataError) as exc:
        evaluate(frame(100, 1), frame(100, 2).drop(columns=["y"]))
    assert exc.value.column == "y" and "'y'" in str(exc.value)


def test_generated_only_columns_are_noted_not_compared():
    """Identifier fields (ids, names) exist only in the synthetic table: noted, left out."""
    result = evaluate(frame(100, 1), frame(100, 2).assign(extra=1), attacks=False)
    assert any("not compared: extra" in n for n in result.settings["notes"])
    assert "extra" not in result.fidelity["columns"]


def test_bad_inputs_via_cli(tmp_path):
    real = tmp_path / "real.csv"
    frame(300, 1).to_csv(real, index=False)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    r = runner.invoke(app, ["evaluate", "--real", str(real), "--synthetic", str(empty)])
    assert r.exit_code == 1 and "is empty" in r.stderr and "Traceback" not in r.output
    one = tmp_path / "one.csv"
    frame(300, 2).assign(label="yes").to_csv(one, index=False)
    r = runner.invoke(
        app, ["evaluate", "--real", str(real), "--synthetic", str(one), "--target", "label"]
    )
    assert r.exit_code == 1 and "one class" in r.stderr
    r = runner.invoke(
        app, ["evaluate", "--real", str(real), "--synthetic", str(real), "--target", "nope"]
    )
    assert r.exit_code == 1 and "'nope'" in r.stderr


def test_cli_writes_the_json(tmp_path):
    real, syn, hold = (tmp_path / f"{n}.csv" for n in ("real", "syn", "hold"))
    frame(600, 1).to_csv(real, index=False)
    frame(600, 2).to_csv(syn, index=False)
    frame(600, 3).to_parquet(hold.with_suffix(".parquet"))
    out = tmp_path / "report.json"
    r = runner.invoke(
        app,
        [
            "evaluate",
            "--real",
            str(real),
            "--synthetic",
            str(syn),
            "--holdout",
            str(hold.with_suffix(".parquet")),
            "--target",
            "label",
            "--subgroups",
            "g",
            "--json",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["settings"]["subgroups"] == ["g"]
    assert "fidelity" in r.stdout and "membership AUC" in r.stdout


def test_tiny_tables_give_results_or_clear_errors():
    rng = np.random.default_rng(0)

    def tiny(n):
        return pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y"], n)})

    result = evaluate(tiny(3), tiny(3), holdout=tiny(3), target="a", sensitive=["b"])
    assert 0 <= result.fidelity["score"] <= 1
    # Too few rows to score: withheld with the reason, not a figure that reads like a finding.
    assert result.utility["score"] is None and "at least 20" in result.utility["withheld"]["score"]
    assert result.privacy["membership_inference_auc"] is None
    assert "at least 30" in result.privacy["withheld"]["membership_inference_auc"]
    assert "at least 50" in result.privacy["withheld"]["inference_risk"]
    one = evaluate(tiny(1), tiny(1), holdout=tiny(1), target="b", attacks=False)
    assert one.utility["score"] is None and "1 row(s)" in one.utility["withheld"]["score"]


def test_differential_privacy_comes_from_the_card(tmp_path):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"privacy": {"epsilon": 1.0, "delta": 1e-5}}))
    result = evaluate(frame(300, 1), frame(300, 2), card=card, attacks=False)
    dp = result.privacy["differential_privacy"]
    assert dp["epsilon"] == 1.0 and dp["delta"] == 1e-5
    assert "2.72" in result.privacy["readings"]["differential_privacy"]  # e^1
    card.write_text(json.dumps({"privacy": None}))
    result = evaluate(frame(300, 1), frame(300, 2), card=card, attacks=False)
    assert result.privacy["differential_privacy"]["epsilon"] is None
    assert "no privacy budget" in result.privacy["readings"]["differential_privacy"]
    assert (
        evaluate(frame(300, 1), frame(300, 2), attacks=False).privacy["differential_privacy"]
        is None
    )
    with pytest.raises(DataError, match="does not exist"):
        evaluate(frame(300, 1), frame(300, 2), card=tmp_path / "nope.json", attacks=False)


def test_kind_override_and_bad_options(tmp_path):
    real = tmp_path / "real.csv"
    frame(300, 1).assign(n=lambda f: (f.x * 10).round()).to_csv(real, index=False)
    out = tmp_path / "r.json"
    args = ["evaluate", "--real", str(real), "--synthetic", str(real), "--no-attacks"]
    r = runner.invoke(app, [*args, "--kind", "n=categorical", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["settings"]["columns"]["n"] == "categorical"
    r = runner.invoke(app, [*args, "--kind", "n=ordinal"])
    assert r.exit_code == 2 and "COLUMN=numeric" in r.output
    r = runner.invoke(app, [*args, "--sensitive", "lable"])
    assert r.exit_code == 1 and "did you mean 'label'" in r.stderr


def test_evaluating_a_generated_dataset_extends_its_card(tmp_path):
    """Generate the Adult baseline spec, evaluate it, and find the evaluation in its card."""
    from jsonschema import Draft202012Validator

    import synthdsl
    from tests.conftest import ROOT

    out = tmp_path / "adult"
    synthdsl.load(ROOT / "examples" / "adult_marginals.synth").write(
        out, format="csv", rows={"adult": 600}
    )
    data = ROOT / "examples" / "data"
    r = runner.invoke(
        app,
        [
            "evaluate",
            "--real",
            str(data / "adult_real.csv"),
            "--holdout",
            str(data / "adult_holdout.csv"),
            "--synthetic",
            str(out / "adult.csv"),
            "--target",
            "class",
            "--quasi-identifiers",
            "age",
            "--quasi-identifiers",
            "sex",
            "--sensitive",
            "class",
            "--report",
            str(out / "report.html"),
            "--json",
            str(out / "report.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    card = json.loads((out / "card.json").read_text())
    schema = json.loads((ROOT / "docs" / "card.schema.json").read_text())
    Draft202012Validator(schema).validate(card)
    ev = card["evaluation"]
    report = json.loads((out / "report.json").read_text())
    assert ev["fidelity_score"] == report["fidelity"]["score"]
    assert ev["singling_out_risk"] == report["privacy"]["singling_out_risk"]
    assert ev["report"] == "report.html" and ev["rows"]["synthetic"] == 600
    md = (out / "card.md").read_text()
    assert "Fidelity score" in md and "report.html" in md
    # The sex of every husband is male in the synthetic data: the spec's rules held.
    syn = pd.read_csv(out / "adult.csv")
    assert (syn.loc[syn.relationship == "Husband", "sex"] == "Male").all()


def test_an_output_file_in_a_missing_folder_is_an_error_not_a_traceback(tmp_path):
    real = tmp_path / "real.csv"
    frame(300, 1).to_csv(real, index=False)
    args = ["evaluate", "--real", str(real), "--synthetic", str(real), "--no-attacks"]
    for option in ("--json", "--report"):
        r = runner.invoke(app, [*args, option, str(tmp_path / "missing" / "out.x")])
        assert r.exit_code == 1, r.output
        assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)
        assert f"cannot write {option}" in r.stderr and "does not exist" in r.stderr
    r = runner.invoke(app, [*args, "--json", str(tmp_path)])
    assert r.exit_code == 1 and "is a folder" in r.stderr
