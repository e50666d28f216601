"""The simulation step's semantics: transitions honoured (chi-square), stop and start, emitted rows
at live entities' steps, rules at every step, determinism, calendars and the plan's text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthdsl
from synthdsl.errors import DataError, SpecError
from synthdsl.streams import BLOCK_ROWS


def run(text: str, **kw) -> dict[str, pd.DataFrame]:
    return synthdsl.loads(text, "s.synth").generate(**kw)


def dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s)


MARKOV = """
seed 5
table p {
  rows 20000
  id int = serial() key
  x float ~ uniform(0, 1)
  s enum("a", "b", "c") ~ categorical("a": 1)
}
simulate p yearly from 2000 to 2003 {
  s ~ transition {
    "a" -> "b": if x < 0.5 then 0.1 else 0.4
    "a" -> "c": 0.2
    "b" -> "a": 0.5
  }
  record h every step
}
"""


def test_transition_frequencies_match_their_chances_chi_square():
    """Observed moves out of each state, over all entities and steps, against the stated chances:
    a chi-square goodness-of-fit test at the 0.1% level (a correct engine fails it 1 time in 1000;
    the seed is fixed, so the test is deterministic)."""
    h = run(MARKOV)["h"].sort_values(["id", "step_date"], kind="stable")
    p = run(MARKOV)["p"].set_index("id")
    prev = h.groupby("id")["s"].shift(1).fillna("a")  # the state on entry is "a"
    low = p.loc[h["id"], "x"].to_numpy() < 0.5
    checks = [
        (prev == "a") & low,
        (prev == "a") & ~low,
        prev == "b",
    ]
    expected = [
        {"a": 0.7, "b": 0.1, "c": 0.2},
        {"a": 0.4, "b": 0.4, "c": 0.2},
        {"a": 0.5, "b": 0.5, "c": 0.0},
    ]
    for mask, want in zip(checks, expected):
        got = h.loc[mask.to_numpy(), "s"].value_counts()
        labels = [k for k, v in want.items() if v > 0]
        assert set(got.index) <= set(labels), (got, want)  # a zero chance never happens
        obs = np.array([got.get(k, 0) for k in labels])
        exp = np.array([want[k] for k in labels]) * obs.sum()
        assert obs.sum() > 5000
        assert stats.chisquare(obs, exp).pvalue > 0.001, (obs, exp)
    # "c" has no way out: once there, an entity stays
    after_c = h.loc[(prev == "c").to_numpy(), "s"]
    assert len(after_c) > 1000 and (after_c == "c").all()


def test_stop_ends_entities_and_their_state_stays():
    out = run(
        """
seed 1
table p {
  rows 500
  id int = serial() key
  n int = 0
  limit int ~ uniform(1, 10)
}
simulate p yearly from 2000 to 2019 {
  n = n + 1
  stop when n >= limit
  record h every step
}
"""
    )
    p, h = out["p"].set_index("id"), out["h"]
    assert (p["n"] == p["limit"]).all()  # each stopped at its own limit and acted no more
    assert (h.groupby("id").size() == p["limit"]).all()
    assert (h["n"] <= p.loc[h["id"], "limit"].to_numpy()).all()


def test_entities_start_at_their_date_or_condition():
    out = run(
        """
seed 2
table p {
  rows 400
  id int = serial() key
  enrolled date ~ uniform(date("2000-01-01"), date("2004-12-31"))
  steps int = 0
}
simulate p monthly from 2000 to 2005 {
  steps = steps + 1
  start at enrolled
  record h every step
}
"""
    )
    p, h = out["p"].set_index("id"), out["h"]
    first = dates(h.groupby("id")["step_date"].min())
    enrolled = dates(p["enrolled"]).loc[first.index]
    assert (first >= enrolled).all()  # never before the start date
    assert (first - enrolled < pd.Timedelta(days=31)).all()  # at the first step on or after it
    assert (p["steps"] == h.groupby("id").size()).all()
    out = run(
        """
table p {
  rows 300
  id int = serial() key
  age int ~ uniform(0, 30)
}
simulate p yearly from 2000 to 2010 {
  age = age + 1
  start when age >= 18
  record h every step
}
"""
    )
    h = out["h"]
    assert (h.groupby("id")["age"].min() >= 18).all()
    # before its start an entity does not age: the first active step sees the age on entry + 1
    p = out["p"].set_index("id")
    late = p["age"] - h.groupby("id").size()
    assert (late.loc[h["id"].unique()] >= 17).all()


def test_emitted_rows_reference_live_entities_at_their_step_in_order():
    out = run(
        """
seed 3
table p {
  rows 1000
  id int = serial() key
  life int ~ uniform(1, 12)
  k int = 0
}
table e {
  eid int = serial() key
  pid int = ref p.id
  at date = step_date
  k int = p.k
}
simulate p yearly from 2000 to 2014 {
  k = k + 1
  emit e count poisson(1.5) when k % 2 == 1
  stop when k >= life
  record h every step
}
"""
    )
    p, e, h = out["p"].set_index("id"), out["e"], out["h"]
    live = set(zip(h["id"], dates(h["step_date"])))
    assert all((pid, at) in live for pid, at in zip(e["pid"], dates(e["at"])))
    assert (e["k"] % 2 == 1).all()
    assert (e["k"] <= p.loc[e["pid"], "life"].to_numpy()).all()
    # rows in (entity, step) order, numbered in that order
    order = e.sort_values(["pid", "at"], kind="stable")
    assert (order.index == e.index).all() and (e["eid"] == np.arange(1, len(e) + 1)).all()
    per = e.groupby(["pid", "at"]).size()
    assert per.max() > 1 and 1.2 < per.mean() < 2.5  # several rows of one step: count


def test_one_entitys_stop_never_moves_another_entitys_numbers():
    base = """
seed 9
table p {
  rows 300
  id int = serial() key
  w float ~ normal(0, 1)
}
simulate p yearly from 2000 to 2010 {
  w ~ w + normal(0, 1)
  STOP
  record h every step
}
"""
    a = run(base.replace("STOP", ""))["h"]
    b = run(base.replace("STOP", "stop when id % 7 == 0 and w > 0"))["h"]
    keep = a["id"] % 7 != 0
    pd.testing.assert_frame_equal(
        a[keep].reset_index(drop=True), b[b["id"] % 7 != 0].reset_index(drop=True)
    )
    assert len(b) < len(a)


RULED = """
seed 4
table p {
  rows 2000
  id int = serial() key
  bmi float ~ uniform(20, 29) round(1)
  age int ~ uniform(20, 29)
  rule healthy: bmi <= 30
  rule young: age <= 40
}
simulate p yearly from 2000 to 2020 {
  bmi ~ bmi + normal(0, 1)
  age = age + 1
  record h every step
}
"""


def test_an_update_that_breaks_a_rule_is_redrawn_or_the_state_is_kept():
    """docs/simulate.md: a random update is redrawn for the failing entity (bmi stays <= 30 with
    its drift); a deterministic one cannot be redrawn, so the entity keeps its state (age stays
    40) and the card counts it."""
    spec = synthdsl.loads(RULED, "s.synth")
    out = spec.generate()
    h = out["h"]
    assert (h["bmi"] <= 30).all() and (out["p"]["bmi"] <= 30).all()
    assert (h["age"] <= 40).all() and (out["p"]["age"] == 40).all()
    near = h.groupby("id")["bmi"].max()
    assert (near > 29.5).mean() > 0.1  # the rule bites: the drift reaches the bound
    redrawn = spec.last_runtime.stats.redrawn
    assert redrawn[("p", "healthy")] > 0
    kept = spec.last_runtime.stats.kept
    assert kept[("p", "young")] > 0 and ("p", "healthy") not in kept
    # age = age + 1 cannot be redrawn into meeting `young`: its redraws stop once under 1% of
    # 1,000 have helped, and the rest keep their state at once
    assert redrawn[("p", "young")] < 1000 + 2000  # at most one more attempt of every entity
    # the whole state is kept: an entity held at age 40 keeps its bmi of that step too
    held = h[h["age"] == 40].groupby("id")["bmi"].nunique()
    assert (held == 1).all()


def test_same_bytes_for_any_chunk_size(tmp_path):
    spec = synthdsl.loads(MARKOV.replace("rows 20000", f"rows {2 * BLOCK_ROWS + 7}"), "s.synth")
    files = []
    for i, chunk in enumerate((BLOCK_ROWS, 3 * BLOCK_ROWS)):
        spec.write(tmp_path / str(i), format="csv", chunk_size=chunk)
        files.append({f.name: f.read_bytes() for f in (tmp_path / str(i)).glob("*.csv")})
    assert files[0].keys() == {"p.csv", "h.csv"} and files[0] == files[1]


@pytest.mark.slow
def test_same_bytes_for_any_worker_count(tmp_path):
    text = MARKOV.replace("rows 20000", f"rows {BLOCK_ROWS + 7}") + (
        "table other {\n rows 40000\n v float ~ normal(0, 1)\n}\n"
    )
    spec = synthdsl.loads(text, "s.synth")
    files = []
    for i, workers in enumerate((1, 2)):
        spec.write(tmp_path / str(i), format="csv", chunk_size=BLOCK_ROWS, workers=workers)
        files.append({f.name: f.read_bytes() for f in (tmp_path / str(i)).glob("*.csv")})
    assert len(files[0]) == 3 and files[0] == files[1]


def test_transition_chances_over_one_are_a_check_error_with_a_caret():
    text = """table p {
  rows 10
  s enum("a", "b", "c")
}
simulate p yearly from 2000 to 2001 {
  s ~ transition { "a" -> "b": 0.7 ; "a" -> "c": 0.6 }
}
"""
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text, "s.synth")
    shown = str(err.value)
    assert "s.synth:6:50" in shown and "E511" in shown and "add up to 1.3" in shown
    assert "^^^" in shown


def test_transition_chances_from_the_row_over_one_name_the_row():
    text = """table p {
  rows 10
  x float ~ uniform(0, 2)
  s enum("a", "b") ~ categorical("a": 1)
}
simulate p yearly from 2000 to 2001 {
  s ~ transition { "a" -> "b": x }
}
"""
    with pytest.raises(DataError) as err:
        run(text)
    assert "'a' -> 'b'" in str(err.value) and err.value.row is not None


@pytest.mark.parametrize(
    ("every", "first", "last", "n"),
    [
        ("daily", "2000-02-27", "2000-03-02", 5),
        ("every 2 weeks", "2000-02-27", "2000-03-26", 3),
        ("monthly", "2000-01-31", "2000-05-31", 5),
        ("every 3 months", "2000-01-31", "2000-07-31", 3),
        ("yearly", "2000-02-29", "2003-02-28", 4),
    ],
)
def test_calendars(every: str, first: str, last: str, n: int):
    out = run(
        f"""table p {{
  rows 2
  k int = 0
}}
simulate p {every} from "{first}" to "{last}" {{
  k = k + 1
  record h every step
}}
"""
    )
    got = sorted(set(dates(out["h"]["step_date"])))
    assert len(got) == n and got[0] == pd.Timestamp(first) and got[-1] <= pd.Timestamp(last)
    assert (np.diff(got) > pd.Timedelta(0)).all()  # time never runs backwards
    assert (out["p"]["k"] == n).all()
    if every == "monthly":
        assert [d.day for d in got] == [31, 29, 31, 30, 31]


def test_history_without_a_key_numbers_the_entities():
    out = run(
        "table p {\n rows 3\n v int = 0\n}\n"
        "simulate p yearly from 2000 to 2002 {\n v = v + 1\n record h every step\n}\n"
    )
    h = out["h"]
    assert list(h.columns) == ["p_row", "step_date", "v"]
    assert h["p_row"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert h["v"].tolist() == [1, 2, 3] * 3


def test_null_states_stay_null_under_transitions_and_updates_keep_their_type():
    out = run(
        """
seed 8
table p {
  rows 400
  s text? ~ categorical("a": 0.5, "b": 0.5) nulls 50%
  n int ~ uniform(0, 5)
}
simulate p yearly from 2000 to 2004 {
  s ~ transition { "a" -> "b": 0.5 }
  n ~ n + uniform(0, 2)
  record h every step
}
"""
    )
    p = out["p"]
    assert 100 < p["s"].isna().sum() < 300
    h = out["h"]
    assert h.groupby("p_row")["s"].apply(lambda s: s.isna().all() or s.notna().all()).all()
    assert h["n"].dtype.kind in "iu" or str(h["n"].dtype) == "Int64"


def test_the_plan_shows_the_simulation():
    from pathlib import Path

    from synthdsl.plan.text import plan_text

    spec = synthdsl.load(Path(__file__).resolve().parents[2] / "examples" / "cohort.synth")
    text = plan_text(spec.plan())
    for want in (
        "simulate",
        "yearly from 2000-01-01 to 2025-01-01 (26 steps), emits visits, patients_history",
        "state: age, bmi, smoking, death_date",
        'transition smoking: "never" -> "current"',
        "emit visits when bernoulli(",
        "stop when death_date is not null and step_date > death_date",
        "record patients_history",
        "table visits  (rows made by the simulation of patients)",
        "rules checked at every step: adult_smokers, dob_before_dod",
    ):
        assert want in text, want


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
