"""Simulations at their edges: run and check errors that point at the spec, caps, the Hypothesis
strategies, enum labels, unique identifiers in emitted rows, and bugs a session of breaking found
(each test says which)."""

from __future__ import annotations

import pytest

import synthdsl
from synthdsl.errors import DataError, SpecError


def run(text: str, **kw):
    return synthdsl.loads(text, "s.synth").generate(**kw)


def test_a_rule_over_a_column_computed_from_the_final_state_fails_by_name():
    text = """table p {
  rows 50
  age int ~ uniform(10, 17)
  band text = if age < 18 then "minor" else "adult"
  rule minors: band == "minor"
}
simulate p yearly from 2000 to 2010 {
  age = age + 1
}
"""
    with pytest.raises(synthdsl.errors.RuleError) as err:
        run(text)
    assert "minors" in str(err.value) and "final state" in str(err.value)


def test_an_emission_too_large_for_memory_is_refused_by_name():
    text = """table p {
  rows 20000
  v int = 0
}
table e {
  x int = 1
}
simulate p yearly from 2000 to 2001 {
  emit e count 10000
}
"""
    with pytest.raises(DataError) as err:
        run(text)
    assert "more than 50,000,000 rows of 'e'" in str(err.value)


def test_the_plan_as_json_runs_the_same_simulation(tmp_path):
    """`synthdsl plan --json` then `generate --plan` (no spec) writes the spec's bytes."""
    import subprocess
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "cohort.synth"
    (tmp_path / "p.json").write_text(synthdsl.load(path).plan().model_dump_json())
    for name, args in (("plan", ["--plan", str(tmp_path / "p.json")]), ("spec", [str(path)])):
        out = ["--out", str(tmp_path / name), "--rows", "patients=300"]
        r = subprocess.run(
            [sys.executable, "-m", "synthdsl", "generate", *args, *out],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
    for name in ("patients.csv", "visits.csv", "patients_history.csv"):
        a, b = (tmp_path / "plan" / name), (tmp_path / "spec" / name)
        assert a.read_bytes() == b.read_bytes(), name


def test_hypothesis_strategies_yield_simulated_rows_that_meet_the_rules():
    """synthdsl.hypothesis on a spec with a simulation: a history row and a visit, drawn as a
    tester would, meet the rules of their tables (docs/simulate.md: the draws of the simulation
    come from the example's seed)."""
    from pathlib import Path

    from hypothesis import HealthCheck, given, settings

    from synthdsl.hypothesis import rows

    path = str(Path(__file__).resolve().parents[2] / "examples" / "cohort.synth")
    seen: list[dict] = []

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(rows(path, "patients_history"), rows(path, "visits"))
    def check(history, visit):
        seen.append(history)
        assert history["smoking"] == "never" or history["age"] >= 12
        assert 15 <= history["bmi"] <= 50
        assert visit["smoker"] in (True, False) and visit["age"] >= 1
        assert history["step_date"].year in range(2000, 2026)

    check()
    assert len(seen) == 25 and len({h["id"] for h in seen}) >= 1


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("simulate p every 99999999999999999999 years from 2000 to 2001 {", "E502"),
        ("simulate p every 0 days from 2000 to 2001 {", "E502"),
        ("simulate p yearly from 2000 to 99999999999 {", "E503"),
        ('simulate p yearly from date("2000-13-01") to 2001 {', "E503"),
        ("simulate p yearly from null to 2001 {", "E503"),
        ("simulate p daily from 2000 to 9999 {", "E505"),
        # never the machine's clock, never a date a column cannot hold
        ('simulate p daily from "today" to 2100 {', "E503"),
        ('simulate p daily from 2000 to "now" {', "E503"),
        ('simulate p yearly from 2000 to "NaT" {', "E503"),
        ('simulate p yearly from "10000-01-01" to "10001-01-01" {', "E503"),
        ('simulate p yearly from "-0001-01-01" to 2000 {', "E503"),
    ],
)
def test_bad_calendars_are_check_errors(line: str, code: str):
    with pytest.raises(SpecError) as err:
        synthdsl.loads(f"table p {{\n rows 3\n v int = 0\n}}\n{line}\n v = v + 1\n}}\n", "s.synth")
    assert code in str(err.value) and "s.synth:5:" in str(err.value)


def test_an_enum_keeps_its_labels_through_updates_and_computed_values():
    """A computed label outside the enum was written as is (the checker only saw constants and
    categoricals); now it is a run error naming the column and the row, in a table and in a
    simulation's update."""
    table = 'table t {\n rows 50\n x float ~ normal(0, 1)\n s enum("a", "b") = if x > 0 then "a" else "zz"\n}\n'
    with pytest.raises(DataError) as err:
        run(table)
    assert "'zz'" in str(err.value) and err.value.row is not None and err.value.column == "s"
    sim = (
        'table p {\n rows 50\n x float ~ normal(0, 1)\n s enum("a", "b") ~ categorical("a": 1)\n}\n'
        'simulate p yearly from 2000 to 2001 {\n s = if x > 1 then "c" else s\n}\n'
    )
    with pytest.raises(DataError) as err:
        run(sim)
    assert "'c'" in str(err.value) and err.value.span.line == 7  # the update line
    with pytest.raises(SpecError) as spec_err:
        synthdsl.loads(sim.replace('if x > 1 then "c" else s', '"c"'), "s.synth")
    assert "E162" in str(spec_err.value)


def test_unique_identifiers_in_emitted_rows_stay_unique():
    """A keyed permutation needs a table's row count in advance; rows a simulation makes are
    counted as they come, so their `unique` providers are checked and redrawn instead."""
    out = run(
        """
seed 6
table p {
  rows 300
  id int = serial() key
}
table v {
  vid int = serial() key
  pid int = ref p.id
  email text = faker.email() unique
}
simulate p yearly from 2000 to 2009 {
  emit v when bernoulli(0.5)
}
"""
    )
    v = out["v"]
    assert len(v) > 1000 and v["email"].is_unique and v["vid"].is_unique


def test_hypothesis_rows_of_a_simulated_table_hold_its_final_state(tmp_path):
    """The strategies prune the tables a test does not ask for; the simulation stays (it changes
    the table's columns), emitting only into the tables needed. `nulls` applies on entry only."""
    from hypothesis import HealthCheck, given, settings

    from synthdsl.hypothesis import rows

    path = tmp_path / "s.synth"
    path.write_text(
        "table p {\n rows 5\n id int = serial() key\n age int = 0\n f int? = 5 nulls 30%\n}\n"
        "table v {\n pid int = ref p.id\n}\n"
        "simulate p yearly from 2000 to 2009 {\n age = age + 1\n f = f + 1\n emit v\n}\n"
    )
    seen: list[dict] = []

    @settings(
        max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(rows(str(path), "p"))
    def check(row):
        seen.append(row)

    check()
    assert {r["age"] for r in seen} == {10}
    assert {r["f"] for r in seen} <= {15, None}
    out = synthdsl.load(path).generate(rows={"p": 2000})["p"]
    assert 0.2 < out["f"].isna().mean() < 0.4  # 30% on entry, not again on the final row


def test_check_errors_point_at_what_is_wrong():
    base = "table p {\n rows 3\n id int = serial() key\n x int = 0\n"
    cases = [
        # an aggregate of the rows the simulation emits: E520 under its name
        (
            base + "}\ntable v {\n pid int = ref p.id\n}\n"
            "simulate p yearly from 2000 to 2002 {\n x = count(v)\n emit v\n}\n",
            "E520",
            "s.synth:10:6",
        ),
        # a column computed from the state, read by the block: E524 under the read
        (
            base + ' band text = if x < 18 then "minor" else "adult"\n}\n'
            "table v {\n pid int = ref p.id\n}\n"
            'simulate p yearly from 2000 to 2002 {\n x = x + 1\n emit v when band == "minor"\n}\n',
            "E524",
            "s.synth:12:14",
        ),
        # a keyless history's entity column would clash with a column of the table
        (
            "table p {\n rows 3\n p_row int = 1\n}\n"
            "simulate p yearly from 2000 to 2001 {\n p_row = p_row + 1\n record h every step\n}\n",
            "E517",
            "s.synth:7:9",
        ),
    ]
    for text, code, where in cases:
        with pytest.raises(SpecError) as err:
            synthdsl.loads(text, "s.synth")
        assert code in str(err.value) and where in str(err.value), str(err.value)


def test_a_history_table_may_have_any_table_name():
    out = run(
        "table p {\n rows 2\n x int = 0\n}\n"
        "simulate p yearly from 2000 to 2001 {\n x = x + 1\n record `p history` every step\n}\n"
    )
    assert len(out["p history"]) == 4


def test_two_transitions_of_one_column_each_move_their_own_states():
    out = run(
        'table p {\n rows 500\n s enum("a", "b", "c") = "a"\n}\n'
        "simulate p yearly from 2000 to 2000 {\n"
        ' s ~ transition { "a" -> "b": 0.0 }\n s ~ transition { "b" -> "c": 1.0 }\n}\n'
    )
    assert (out["p"]["s"] == "a").all()


def test_inactive_entities_neither_emit_nor_fail_on_their_counts():
    out = run(
        """
seed 1
table p {
  rows 100
  id int = serial() key
  x int ~ categorical(0: 0.5, 10: 0.5)
  y int = 0
}
table v {
  pid int = ref p.id
}
simulate p yearly from 2000 to 2002 {
  y = y + 1
  emit v count x - 5
  start when x > 5
}
"""
    )
    p = out["p"].set_index("id")
    assert set(out["v"]["pid"]) == set(p.index[p["x"] == 10])
    assert (out["v"].groupby("pid").size() == 15).all()


def test_run_errors_of_conditions_point_at_the_condition():
    text = (
        "table p {\n rows 3\n x int = 2\n z int = 0\n}\n"
        "simulate p yearly from 2000 to 2001 {\n z = z + 1\n stop when bernoulli(x)\n}\n"
    )
    with pytest.raises(DataError) as err:
        run(text)
    assert err.value.span.line == 8
