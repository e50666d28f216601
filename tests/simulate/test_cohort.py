"""The cohort example (examples/cohort.synth), checked by pandas alone, not by the engine: every
rule of every table, a person's age rising by exactly one a year, nobody with a visit after death,
every visit made at a step when its patient was alive and active, and the final row of a patient
being its state at its last step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthdsl

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "cohort.synth"


@pytest.fixture(scope="module")
def cohort() -> dict[str, pd.DataFrame]:
    spec = synthdsl.load(COHORT)
    return spec.generate(rows={"patients": 3000})


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s)


def test_every_rule_holds_on_every_row(cohort):
    p, v, h = cohort["patients"], cohort["visits"], cohort["patients_history"]
    for frame in (p, h.merge(p[["id", "birth_date"]], on="id")):
        smoker = frame["smoking"] != "never"
        assert (~smoker | (frame["age"] >= 12)).all()  # adult_smokers
        death, birth = _dates(frame["death_date"]), _dates(frame["birth_date"])
        assert (death.isna() | (birth < death)).all()  # dob_before_dod
        assert frame["bmi"].between(15, 50).all()  # clamp(15, 50), at every step too
        assert np.allclose(frame["bmi"], frame["bmi"].round(1))
    dead = v.merge(p[["id", "death_date"]], left_on="patient_id", right_on="id", how="left")
    assert dead["id"].notna().all()  # every visit references a patient
    death = _dates(dead["death_date"])
    assert (death.isna() | (_dates(dead["visit_date"]) <= death)).all()  # not_after_death
    assert v["visit_id"].is_unique and (v["visit_id"] == np.arange(1, len(v) + 1)).all()


def test_age_rises_by_exactly_one_a_year(cohort):
    h = cohort["patients_history"].sort_values(["id", "step_date"], kind="stable")
    steps = _dates(h["step_date"])
    same = h["id"].to_numpy()[1:] == h["id"].to_numpy()[:-1]
    years = steps.dt.year.to_numpy()
    assert (np.diff(years)[same] == 1).all()  # one row per year while alive, no gap
    assert (np.diff(h["age"].to_numpy())[same] == 1).all()
    first = h.groupby("id").first()
    p = cohort["patients"].set_index("id")
    born = _dates(p["birth_date"])
    # on entry the age is the age on 1999-01-01, so at the step of year Y it is the age on Y-01-01
    on_jan1 = first["step_date"].map(lambda d: pd.Timestamp(d))
    expected = on_jan1.dt.year - born.dt.year - 1 + (born.dt.day_of_year == 1).astype(int)
    assert (first["age"] == expected.loc[first.index]).all()


def test_nobody_has_a_visit_after_death_or_acts_after_stopping(cohort):
    p, v, h = cohort["patients"], cohort["visits"], cohort["patients_history"]
    death = _dates(p.set_index("id")["death_date"])
    assert death.notna().sum() > 100  # the hazard does its work
    vd = _dates(v["visit_date"]).to_numpy()
    vdeath = death.reindex(v["patient_id"]).to_numpy()
    assert (pd.isna(vdeath) | (vd <= vdeath)).all()
    # no history row after the step of death: the stop rule ends the entity
    hd = _dates(h["step_date"]).to_numpy()
    dd = death.reindex(h["id"]).to_numpy()
    after = ~pd.isna(dd) & (hd > dd)
    assert not after.any()


def test_visits_come_from_active_steps_and_carry_the_state_of_their_step(cohort):
    v, h = cohort["visits"], cohort["patients_history"]
    v = v.assign(step_date=_dates(v["visit_date"]).dt.to_period("Y").dt.start_time)
    h = h.assign(step_date=_dates(h["step_date"]))
    m = v.merge(h, left_on=["patient_id", "step_date"], right_on=["id", "step_date"], how="left")
    assert m["id"].notna().all()  # the patient was active at the visit's step
    assert (m["age_x"] == m["age_y"]).all()  # the visit sees the age of its step
    assert (m["smoker"] == (m["smoking"] == "current")).all()


def test_the_final_row_is_the_state_at_the_last_step(cohort):
    p = cohort["patients"].set_index("id")
    last = cohort["patients_history"].groupby("id").last()
    for col in ("age", "bmi", "smoking"):
        assert (p.loc[last.index, col] == last[col]).all(), col
    # everyone alive at the start is simulated from 2000 on (no late entry in this example)
    first = _dates(cohort["patients_history"]["step_date"]).groupby(
        cohort["patients_history"]["id"]
    )
    assert (first.min() == pd.Timestamp("2000-01-01")).all()
