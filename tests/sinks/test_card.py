"""The dataset card: ``card.json`` and ``card.md`` beside generated data, and the evaluation added later.

Input: ``examples/hospital.synth`` generated with few rows into pytest's ``tmp_path`` (it reads the
lookup dataset ``examples/data/be_cities.csv``), small inline specs, and evaluation results built with
the real ``Evaluation`` type. Output checked: the card validates against the committed JSON schema
before and after ``attach_evaluation``; ``card.md`` has its sections, a JSON-LD block that parses as a
schema.org ``Dataset``, no dataset values, and the same bytes on every run; the reproduce command in it
gives the same data files.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import synthdsl
from synthdsl.card.build import attach_evaluation, file_sha256, summarize_evaluation
from synthdsl.card.markdown import (
    MIME_TYPES,
    NO_BUDGET,
    dataset_jsonld,
    render_card_md,
    reproduce_command,
)
from synthdsl.card.model import (
    Card,
    ColumnReport,
    EvaluationSummary,
    TableReport,
    card_schema_text,
    read_card,
    synthesis_of,
)
from synthdsl.cli import app
from synthdsl.errors import DataError
from synthdsl.evaluation import Evaluation

REPO = Path(__file__).resolve().parents[2]
HOSPITAL = REPO / "examples" / "hospital.synth"
CITIES = REPO / "examples" / "data" / "be_cities.csv"
SCHEMA = REPO / "docs" / "card.schema.json"
ROWS = {"patients": 20}
SECTIONS = [
    "## What it is",
    "## Rules and how they were enforced",
    "## Provenance",
    "## Privacy budget spent",
    "## Evaluation",
    "## How to reproduce",
    "## Machine-readable metadata",
]
JSONLD = re.compile(r'<script type="application/ld\+json">\n(.*?)\n</script>', re.S)


@pytest.fixture(scope="module")
def hospital() -> synthdsl.Spec:
    return synthdsl.load(HOSPITAL)


@pytest.fixture
def out(hospital, tmp_path) -> Path:
    hospital.write(tmp_path / "out", rows=ROWS)
    return tmp_path / "out"


def validate(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def jsonld(md: str) -> dict:
    blocks = JSONLD.findall(md)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def evaluation_result(**privacy) -> dict:
    """An ``Evaluation``'s JSON form, as ``synthdsl evaluate`` returns it."""
    return Evaluation(
        fidelity={"score": 0.91},
        utility={"score": 0.8, "target": "diagnosis"},
        privacy={
            "score": 0.97,
            "exact_match_rate": 0.0,
            "membership_inference_auc": 0.52,
            **privacy,
        },
        settings={
            "rows": {"real": 20, "synthetic": 20, "holdout": 10},
            "target": "diagnosis",
        },
    ).model_dump()


# -- card.json and card.md from a run -------------------------------------------------------------


def test_generate_writes_card_md_with_sections_and_jsonld(out):
    assert {p.name for p in out.iterdir()} == {"patients.csv", "visits.csv", "card.json", "card.md"}
    md = (out / "card.md").read_text(encoding="utf-8")
    assert md.startswith("# Synthetic data from hospital.synth\n")
    positions = [md.index(s + "\n") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "**Fully synthetic.**" in md
    assert "### Table `patients`" in md and "drawn per row of `patients`" in md
    assert "| `province` | `text` | lookup |" in md
    assert "`dob_before_dod`" in md and "by construction" in md
    assert NO_BUDGET in md
    assert "Not evaluated yet: run `synthdsl evaluate --real REAL --synthetic" in md

    ld = jsonld(md)
    card = read_card(out / "card.json")
    assert ld == dataset_jsonld(card)
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "Dataset"
    columns = [f"{t.name}.{c.name}" for t in card.tables for c in t.columns]
    assert [v["name"] for v in ld["variableMeasured"]] == columns
    assert all(v["@type"] == "PropertyValue" for v in ld["variableMeasured"])
    assert [d["contentUrl"] for d in ld["distribution"]] == ["patients.csv", "visits.csv"]
    assert {d["encodingFormat"] for d in ld["distribution"]} == {"text/csv"}
    assert "synthetic data" in ld["keywords"]
    # Only properties schema.org defines for a Dataset (a CreativeWork): no creator that is not a
    # Person or Organization, no additionalProperty.
    assert not {"creator", "producer", "additionalProperty"} & set(ld)
    engine = next(b for b in ld["isBasedOn"] if b["@type"] == "SoftwareApplication")
    assert engine["softwareVersion"] == synthdsl.__version__
    based = {b["name"]: b["identifier"]["value"] for b in ld["isBasedOn"] if "identifier" in b}
    assert based["hospital.synth"] == card.spec_sha256
    ids = {p["name"]: p["value"] for p in ld["identifier"]}
    assert ids["seed"] == 2026 and ids["spec_sha256"] == card.spec_sha256
    assert "No privacy budget spent" in ld["description"]
    assert ld["subjectOf"][0]["url"] == "card.md"


def test_card_json_validates_and_records_datasets_by_hash(out):
    data = validate(out / "card.json")
    assert data["synthesis"] == "fully synthetic"
    assert data["evaluation"] is None and data["privacy"] == [] and data["models"] == []
    with open(CITIES, newline="", encoding="utf-8") as f:
        n_rows = sum(1 for _ in csv.reader(f)) - 1
    expected = hashlib.sha256(CITIES.read_bytes()).hexdigest()
    assert data["datasets"] == [
        {
            "name": "cities",
            "path": "data/be_cities.csv",
            "sha256": expected,
            "rows": n_rows,
            "role": "lookup",
        }
    ]
    assert {t["name"]: t["parent"] for t in data["tables"]} == {
        "patients": None,
        "visits": "patients",
    }
    text = (out / "card.json").read_text(encoding="utf-8")
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_cards_hold_no_dataset_values(out):
    with open(CITIES, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    values = {r["city"] for r in rows} | {r["population"] for r in rows}
    for name in ("card.json", "card.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert not [v for v in values if v in text], name


def test_card_md_is_byte_identical_across_runs_and_chunk_sizes(hospital, tmp_path):
    hospital.write(tmp_path / "a", rows=ROWS)
    hospital.write(tmp_path / "b", rows=ROWS, chunk_size=1)
    a = (tmp_path / "a" / "card.md").read_bytes()
    assert a == (tmp_path / "b" / "card.md").read_bytes()
    assert str(tmp_path).encode() not in a


def test_reproduce_command_gives_the_same_files(out, tmp_path, monkeypatch):
    card = read_card(out / "card.json")
    command = reproduce_command(card)
    assert command in (out / "card.md").read_text(encoding="utf-8")
    args = shlex.split(command)
    assert args[:2] == ["synthdsl", "generate"]
    again = tmp_path / "again"
    args = [str(again) if a == "OUT" else a for a in args[1:]]
    monkeypatch.chdir(HOSPITAL.parent)
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    for name in ("patients.csv", "visits.csv", "card.json", "card.md"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


@pytest.mark.parametrize("fmt", sorted(MIME_TYPES))
def test_distribution_names_each_file_with_its_mime_type(fmt, tmp_path):
    spec = synthdsl.loads(
        "table a { rows 2\n x int = serial() }\ntable b { rows 1\n y int = serial() }"
    )
    card = spec.write(tmp_path, format=fmt)
    dist = dataset_jsonld(card)["distribution"]
    expected = ["data.sqlite"] if fmt == "sqlite" else [f"a.{fmt}", f"b.{fmt}"]
    assert [d["contentUrl"] for d in dist] == expected
    assert {d["encodingFormat"] for d in dist} == {MIME_TYPES[fmt]}
    assert card.spec_path is None and "synthdsl generate SPEC.synth" in render_card_md(card)
    assert card.datasets == []


# -- evaluation -----------------------------------------------------------------------------------


def test_attach_evaluation_updates_both_cards_and_still_validates(out):
    before = (out / "card.json").read_text(encoding="utf-8")
    attacks = {
        "singling_out": {"risk": 0.02, "ci": [0.0, 0.05]},
        "linkability": {"skipped": "fewer than two quasi-identifiers"},
        "inference": {"diagnosis": {"risk": 0.1, "ci": [0.0, 0.2]}, "sex": {"risk": 0.3}},
    }
    summary = summarize_evaluation(
        evaluation_result(attacks=attacks, differential_privacy=None),
        report="report.html",
        json_name="report.json",
        real_sha256=file_sha256(out / "patients.csv"),
    )
    assert summary.singling_out_risk == 0.02
    assert summary.linkability_risk is None
    assert summary.inference_risk == 0.3

    card = attach_evaluation(out / "card.json", summary)
    data = validate(out / "card.json")
    assert data["evaluation"]["json"] == "report.json"
    assert data["evaluation"]["fidelity_score"] == 0.91
    assert data["evaluation"]["rows"] == {"real": 20, "synthetic": 20, "holdout": 10}
    assert read_card(out / "card.json") == card
    old = json.loads(before)
    assert {k: v for k, v in data.items() if k != "evaluation"} == {
        k: v for k, v in old.items() if k != "evaluation"
    }

    md = (out / "card.md").read_text(encoding="utf-8")
    assert "Not evaluated yet" not in md
    assert "| Fidelity score | 0.910 |" in md
    assert "| Membership-inference AUC | 0.520 |" in md
    assert "| Linkability risk | not run |" in md
    assert "| Inference risk (worst column) | 0.300 |" in md
    assert "[report.html](report.html)" in md
    ld = jsonld(md)
    assert "fidelity score 0.910" in ld["description"] and "linkability" not in ld["description"]
    report = next(w for w in ld["subjectOf"] if w["url"] == "report.html")
    assert "fidelity score 0.910" in report["description"]
    assert md == render_card_md(card)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]

    # attaching again replaces the summary; a directory names its card.json
    attach_evaluation(out, summarize_evaluation(evaluation_result()))
    data = validate(out / "card.json")
    assert data["evaluation"]["report"] is None and data["evaluation"]["singling_out_risk"] is None


def test_summarize_evaluation_tolerates_missing_optional_parts():
    result = {
        "fidelity": {"score": 0.5},
        "privacy": {"score": 1.0, "exact_match_rate": 0.0},
        "settings": {"rows": {"real": 3, "synthetic": 4}},
    }
    s = summarize_evaluation(result)
    assert s.utility_score is None and s.membership_inference_auc is None
    assert s.inference_risk is None and s.target is None and s.rows.holdout is None
    assert s.model_dump(mode="json")["json"] is None
    with pytest.raises(DataError, match=r"privacy\.exact_match_rate"):
        summarize_evaluation({**result, "privacy": {"score": 1.0}})
    with pytest.raises(DataError, match=r"settings\.rows\.real"):
        summarize_evaluation({**result, "settings": {}})
    with pytest.raises(DataError, match="real_sha256"):
        summarize_evaluation(result, real_sha256="nope")


def test_attach_evaluation_rejects_missing_and_garbage_cards(tmp_path):
    summary = summarize_evaluation(evaluation_result())
    with pytest.raises(DataError, match="card not found"):
        attach_evaluation(tmp_path / "card.json", summary)
    bad = tmp_path / "card.json"
    for text in ("not json at all", '{"seed": 1}', "[]"):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match="is not a valid synthdsl card"):
            attach_evaluation(bad, summary)
        assert bad.read_text(encoding="utf-8") == text
    assert not (tmp_path / "card.md").exists()


# -- the model ------------------------------------------------------------------------------------


def test_committed_schema_is_current_and_has_the_new_fields():
    text = SCHEMA.read_text(encoding="utf-8")
    assert text == card_schema_text()
    props = json.loads(text)["properties"]
    assert {"synthesis", "datasets", "evaluation", "privacy"} <= set(props)
    assert "no budget spent" in props["privacy"]["description"]


def _card(**kw) -> Card:
    base = {
        "synthdsl_version": "0.1.0",
        "spec_sha256": "ab" * 32,
        "spec_path": "s.synth",
        "seed": 1,
        "format": "csv",
        "tables": [
            TableReport(
                name="t",
                rows=2,
                columns=[
                    ColumnReport(name="id", type="int", generator="serial"),
                    ColumnReport(name="income", type="float", generator="real"),
                ],
                files=["t.csv"],
            )
        ],
        "rules": [],
    }
    return Card(**{**base, **kw})


def test_old_cards_still_validate_with_defaults():
    old = _card().model_dump(mode="json")
    for key in ("synthesis", "datasets", "evaluation"):
        old.pop(key)
    for t in old["tables"]:
        t.pop("parent")
    card = Card.model_validate(old)
    assert card.synthesis == "fully synthetic" and card.datasets == [] and card.evaluation is None


def test_synthesis_comes_from_the_generators():
    assert synthesis_of(["serial", "distribution: normal", "faker.name"]) == "fully synthetic"
    assert synthesis_of(["serial", "real"]) == "partially synthetic"
    assert synthesis_of(["copied"]) == "partially synthetic"
    assert synthesis_of([]) == "fully synthetic"
    md = render_card_md(_card(synthesis="partially synthetic"))
    assert "**Partially synthetic.** These columns hold real values: `t.income`" in md


def test_privacy_budget_is_shown_when_spent():
    from synthdsl.card.model import PrivacyReport

    card = _card(
        privacy=[PrivacyReport(dataset="survey", epsilon=1.0, delta=1e-5, models=["labs"])]
    )
    md = render_card_md(card)
    assert "- Dataset `survey`: epsilon 1, delta 1e-05 in total, by `labs`" in md
    assert NO_BUDGET not in md
    ld = dataset_jsonld(card)
    assert "epsilon 1, delta 1e-05 on survey" in ld["description"]
    assert (
        "differentially private models (epsilon 1, delta 1e-05 on survey)"
        in ld["measurementTechnique"]
    )


def test_jsonld_cannot_close_its_script_early():
    card = _card(
        tables=[
            TableReport(
                name="t",
                rows=1,
                columns=[ColumnReport(name="x", type="text", generator="a</script><b>")],
                files=["t.csv"],
            )
        ]
    )
    md = render_card_md(card)
    assert md.count("</script>") == 1
    ld = jsonld(md)
    assert ld["variableMeasured"][0]["measurementTechnique"] == "a</script><b>"


def test_evaluation_summary_json_key_round_trips():
    s = EvaluationSummary.model_validate(
        {
            "fidelity_score": 1.0,
            "privacy_score": 1.0,
            "exact_match_rate": 0.0,
            "rows": {"real": 1, "synthetic": 1},
            "json": "r.json",
        }
    )
    assert s.json_report == "r.json"
    card = _card(evaluation=s)
    assert Card.model_validate_json(card.model_dump_json()) == card
    assert card.model_dump(mode="json")["evaluation"]["json"] == "r.json"
