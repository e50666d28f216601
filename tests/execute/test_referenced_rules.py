"""A rule over a referenced row (``age_at >= courses.min_age`` in an enrolment).

A failing row gets another referenced row: the rule's redraw lists the reference step, and a column
computed from the referenced row (``course_min = courses.min_age``) is recomputed with it. Every check
joins the written tables with pandas, never with the engine's own indexes.
"""

from __future__ import annotations

import pandas as pd
import pytest

import synthdsl
from synthdsl.errors import RuleError
from synthdsl.streams import BLOCK_ROWS

ENROL = """
seed 3
table courses {
  rows 50
  id      int = serial() key
  min_age int ~ uniform(18, 70)
}
table students {
  rows 400
  id  int = serial() key
  age int ~ uniform(18, 40)
}
table enrolments {
  rows per students ~ poisson(2)
  id         int = serial() key
  student_id int = ref students.id
  course_id  int = ref courses.id
  age_at     int = students.age
  course_min int = courses.min_age
  rule old_enough: age_at >= courses.min_age
  rule same_min:   course_min <= age_at
}
"""


def _joined(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    e = frames["enrolments"]
    c = frames["courses"].set_index("id")
    s = frames["students"].set_index("id")
    out = e.copy()
    out["real_min"] = c.loc[e["course_id"].to_numpy(), "min_age"].to_numpy()
    out["real_age"] = s.loc[e["student_id"].to_numpy(), "age"].to_numpy()
    return out


def test_a_rule_over_the_referenced_row_redraws_the_reference():
    spec = synthdsl.loads(ENROL, "enrol.synth")
    rule = next(r for t in spec.plan().tables for r in t.rules if r.name == "old_enough")
    assert "enrolments.course_id" in rule.redraw
    j = _joined(spec.generate())
    assert len(j) > 500
    assert (j["real_age"] == j["age_at"]).all()
    assert (j["age_at"] >= j["real_min"]).all()
    # the column read from the referenced row follows the redrawn reference
    assert (j["course_min"] == j["real_min"]).all()
    # the rule was not met by dropping courses: many courses are used, and young students too
    assert j["course_id"].nunique() > 10
    assert j["age_at"].min() < 25


def test_the_same_bytes_for_any_chunk_size_and_worker_count(tmp_path):
    spec = synthdsl.loads(ENROL.replace("rows 400", f"rows {BLOCK_ROWS + 9}"), "enrol.synth")
    out = {}
    for name, kw in {
        "one": {"chunk_size": BLOCK_ROWS},
        "big": {"chunk_size": 4 * BLOCK_ROWS},
        "two": {"chunk_size": BLOCK_ROWS, "workers": 2},
    }.items():
        spec.write(tmp_path / name, format="csv", **kw)
        out[name] = {f.name: f.read_bytes() for f in sorted((tmp_path / name).glob("*.csv"))}
    assert out["one"] == out["big"] == out["two"]
    assert len(out["one"]) == 3


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_an_unmeetable_referenced_rule_is_the_one_named(seed):
    """Every course is too old for every student: the referenced rule is named, whatever the seed,
    not the rule whose columns its redraws keep changing."""
    text = ENROL.replace("uniform(18, 70)", "uniform(60, 70)").replace(
        "  age_at     int = students.age\n",
        "  credits    int ~ poisson(3)\n"
        "  bonus      int ~ poisson(3)\n"
        "  age_at     int = students.age + credits\n",
    )
    text = text.replace(
        "  rule old_enough", "  rule at_least_4: credits + bonus >= 4\n  rule old_enough"
    ).replace("  rule same_min:   course_min <= age_at\n", "")
    spec = synthdsl.loads(text, "enrol.synth")
    with pytest.raises(RuleError) as info:
        spec.generate(seed=seed)
    assert info.value.rule == "old_enough"
    assert "rule 'old_enough'" in str(info.value)
