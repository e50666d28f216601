"""The plan is data: plan -> JSON -> plan runs to the same bytes as the spec, with no spec at hand.

Every example is planned, written as JSON, read back and run with ``synthdsl generate --plan`` from
another directory (the spec is not there); the files must be byte-identical to ``synthdsl generate
SPEC``, including the card. A dataset changed after planning is refused.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synthdsl
from synthdsl.api import load_plan
from synthdsl.cli import app
from synthdsl.plan.model import Plan
from synthdsl.plan.validate import validate
from tests.conftest import EXAMPLES

runner = CliRunner()
SPECS = sorted(p.stem for p in EXAMPLES.glob("*.synth"))
SMALL = {"hospital": {"patients": 300}, "webshop": {"customers": 200, "products": 30}}


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _rows(name: str) -> list[str]:
    return [arg for t, n in SMALL.get(name, {}).items() for arg in ("--rows", f"{t}={n}")]


@pytest.mark.parametrize("name", SPECS)
def test_plan_json_round_trip_gives_the_same_bytes(name, tmp_path, monkeypatch):
    spec = synthdsl.load(EXAMPLES / f"{name}.synth")
    plan = spec.plan()
    text = plan.model_dump_json(indent=2)
    back = Plan.from_json(text)
    assert back == plan
    validate(back)  # a plan made from a spec is always valid
    assert back.model_dump_json(indent=2) == text  # stable: the printed value is the value
    r = runner.invoke(app, ["plan", str(EXAMPLES / f"{name}.synth"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == json.loads(text)

    (tmp_path / "plan.json").write_text(r.stdout)
    by_spec = runner.invoke(
        app,
        ["generate", str(EXAMPLES / f"{name}.synth"), "--out", str(tmp_path / "a"), *_rows(name)],
    )
    assert by_spec.exit_code == 0, by_spec.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # neither the spec nor its relative paths are here
    by_plan = runner.invoke(app, ["generate", "--plan", "../plan.json", "--out", "b", *_rows(name)])
    assert by_plan.exit_code == 0, by_plan.output
    assert _files(tmp_path / "a") == _files(elsewhere / "b")


def test_plan_runs_in_worker_processes_without_the_spec(tmp_path):
    """Workers get the plan's JSON and the datasets' bytes: a copy of the spec moved away after
    planning, and the dataset read only by the main process, still give the same bytes."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("adult*"))
    spec = synthdsl.load(work / "hospital.synth")
    (tmp_path / "plan.json").write_text(spec.plan().model_dump_json())
    expected = spec.generate(rows={"patients": 40_000})
    (work / "hospital.synth").unlink()
    planned = load_plan(tmp_path / "plan.json")
    got = planned.generate(rows={"patients": 40_000}, workers=2, chunk_size=16_384)
    for table, frame in expected.items():
        assert frame.equals(got[table]), table


def test_generate_plan_refuses_a_changed_dataset(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("adult*"))
    r = runner.invoke(app, ["plan", str(work / "hospital.synth"), "--json"])
    (tmp_path / "plan.json").write_text(r.stdout)
    cities = work / "data" / "be_cities.csv"
    cities.write_text(cities.read_text() + "Xtown,Limburg,5\n")
    r = runner.invoke(
        app, ["generate", "--plan", str(tmp_path / "plan.json"), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 1
    assert "dataset 'cities'" in r.output and "changed since the plan was made" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_generate_plan_reports_bad_plans_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"tables": 3}')
    r = runner.invoke(app, ["generate", "--plan", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "is not a synthdsl plan" in r.output
    r = runner.invoke(app, ["generate", "--plan", str(tmp_path / "none.json"), "--out", "o"])
    assert r.exit_code == 1 and "plan file not found" in r.output
    r = runner.invoke(app, ["generate", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "SPEC" in r.output


def test_plan_json_schema_in_docs_is_current():
    """docs/plan.schema.json is the published JSON schema of the plan (regenerate with
    ``python -m synthdsl.plan.schema > docs/plan.schema.json``)."""
    root = EXAMPLES.parent
    published = json.loads((root / "docs" / "plan.schema.json").read_text())
    assert published == Plan.model_json_schema()
    out = subprocess.run(
        [sys.executable, "-m", "synthdsl.plan.schema"], capture_output=True, text=True, cwd=root
    )
    assert out.returncode == 0 and json.loads(out.stdout) == published


def _edited(tmp_path, edit) -> str:
    plan = json.loads(synthdsl.load(EXAMPLES / "webshop.synth").plan().model_dump_json())
    edit(plan)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(plan))
    r = runner.invoke(app, ["generate", "--plan", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output and not (tmp_path / "o").exists()
    return r.output


def _table(plan, name):
    return next(t for t in plan["tables"] if t["name"] == name)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: p.update(block_rows=7), "block_rows is 7"),
        (lambda p: p.update(seed=-1), "seed"),
        (lambda p: _table(p, "orders")["steps"].reverse(), "before any step fills it"),
        (lambda p: _table(p, "products")["steps"].pop(0), "no step fills column 'id'"),
        (lambda p: p["tables"].reverse(), "not a table listed before it"),
        (
            lambda p: _table(p, "products")["rules"][0].update(redraw=["products.nope"]),
            "redraws step 'products.nope'",
        ),
        (
            lambda p: _table(p, "products")["steps"][1].update(kind="expresion"),
            "unknown kind 'expresion'",
        ),
        (
            lambda p: _table(p, "products")["steps"][1]["params"]["expr"].update(node="Nope"),
            "cannot be built",
        ),
        (
            lambda p: _table(p, "products")["steps"][1]["params"].pop("expr"),
            "step 'products.sku' (kind 'expression') cannot be built: KeyError",
        ),
    ],
)
def test_a_broken_plan_is_an_error_naming_what_is_wrong(tmp_path, edit, message):
    assert message in _edited(tmp_path, edit)
