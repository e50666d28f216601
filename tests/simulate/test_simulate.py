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
