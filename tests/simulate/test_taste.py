"""The design brief's `simulate` block runs as written, on the brief's tables (examples/taste.synth),
with the one deviation docs/language.md lists: the `visits` table it emits into drops its own
`rows per` line (E513 says so otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import synthdsl
from synthdsl.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
BRIEF = (ROOT.parent / "shared" / "design" / "LANGUAGE.md").read_text()
BLOCK = re.search(r"^simulate patients yearly.*?^}\n", BRIEF, re.M | re.S)
TASTE = (ROOT / "examples" / "taste.synth").read_text()


def test_the_brief_block_is_found():
    assert BLOCK is not None and "transition" in BLOCK.group(0)


def test_as_written_the_rows_line_of_visits_is_e513():
    with pytest.raises(SpecError) as err:
        synthdsl.loads(TASTE + "\n" + BLOCK.group(0), str(ROOT / "examples" / "taste_sim.synth"))
    assert "E513" in str(err.value) and "rows per patients" in str(err.value)


def test_the_brief_block_runs_on_the_brief_tables():
    text = TASTE.replace("  rows per patients ~ poisson(3)\n", "") + "\n" + BLOCK.group(0)
    assert text != TASTE + "\n" + BLOCK.group(0)
    spec = synthdsl.loads(text, str(ROOT / "examples" / "taste_sim.synth"))
    out = spec.generate(rows={"patients": 500})
    p, v = out["patients"], out["visits"]
    assert 0.2 * 500 * 10 < len(v) < 0.4 * 500 * 26  # about 0.3 a year while alive
    death = pd.to_datetime(p.set_index("id")["death_date"])
    # the visits stop the year after death: a visit's step is at most the first step past death
    vd = pd.to_datetime(v["visit_date"])
    assert vd.notna().all() and v["patient_id"].isin(p["id"]).all()
    assert (p["smoking"] != "never").sum() > 0
    smokers_kids = (p["smoking"] != "never") & (p["age"] < 12)
    assert not smokers_kids.any()  # rule adult_smokers holds on the final state
    assert death.notna().any()
