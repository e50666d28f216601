"""Golden plans: ``spec.plan().to_text()`` of every example spec, compared with a stored copy.

Input: each ``examples/*.synth``. Output: nothing; the plan text must equal
``tests/golden/plans/<example>.txt`` byte for byte, so a change in how the planner orders steps or
enforces a rule (construction vs rejection) shows up as a reviewable diff.

To regenerate after an intended change to the planner or to an example, run

    SYNTHDSL_REGEN=1 .venv/bin/pytest tests/golden

and review ``git diff tests/golden/plans``. With ``SYNTHDSL_REGEN=1`` the tests write the files and
pass; without it a missing or different golden file fails.

A plan must not depend on where the checkout lives: the text may not contain an absolute path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import synthdsl

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "plans"
REGEN = os.environ.get("SYNTHDSL_REGEN") == "1"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.synth"))


def test_every_example_has_a_golden_plan():
    assert {"taste", "hospital", "webshop", "domain_rules"} <= set(NAMES)
    if not REGEN:
        stored = sorted(p.stem for p in GOLDEN.glob("*.txt"))
        assert stored == NAMES, "golden plans and examples differ: regenerate (see the docstring)"


@pytest.mark.parametrize("name", NAMES)
def test_plan_matches_golden(name):
    text = synthdsl.load(EXAMPLES / f"{name}.synth").plan().to_text() + "\n"
    for absolute in {str(ROOT), str(ROOT.resolve()), str(Path.home())}:
        assert absolute not in text, f"the plan of {name} contains an absolute path ({absolute})"
    golden = GOLDEN / f"{name}.txt"
    if REGEN:
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.is_file(), f"no golden plan {golden.name}: run with SYNTHDSL_REGEN=1"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_plan_does_not_depend_on_the_working_directory(name, tmp_path, monkeypatch):
    here = synthdsl.load(EXAMPLES / f"{name}.synth").plan()
    monkeypatch.chdir(tmp_path)
    relative = os.path.relpath(EXAMPLES / f"{name}.synth", tmp_path)
    there = synthdsl.load(relative).plan()
    assert here.to_text() == there.to_text()
    assert here.model_dump_json() == there.model_dump_json()
