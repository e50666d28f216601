"""The peers of bench_simulate.py: examples/cohort.synth's simulation, one patient at a time.

    python benchmarks/_sim_peers.py --peer loop --entities 10000             # any Python 3.11+
    .venv-sim-peers/bin/python benchmarks/_sim_peers.py --entities 10000     # Mesa (the default)

Prints one JSON line: ``seconds`` (drawing the patients plus the 26 yearly steps; the interpreter
start and the imports are outside it), ``entities``, ``steps``, ``patients_rows``, ``visits_rows``,
``history_rows``, ``deaths``, ``digest`` (a sha256 of every row made, to show that the two peers
make the same rows) and ``version``.

Both peers do the spec's work in the spec's order with the standard library's ``random`` (scalar
draws), through the same two functions, ``new_patient`` and ``live_one_year``:

* ``loop``: a plain Python loop, one ``Patient`` object per patient, ``for`` each year ``for`` each
  patient;
* ``mesa``: Mesa 3.5.1 (it needs Python >= 3.12, hence its own venv, ``.venv-sim-peers``, and its
  ``network`` extra: ``import mesa`` imports networkx; benchmarks/sim-peers.txt pins them): one
  ``mesa.Agent`` per patient, whose ``step`` is ``live_one_year``; ``Model.step`` sets the year's
  date and calls ``self.agents.do("step")``; the model is stepped 26 times. Its draws come from
  ``model.random`` (a ``random.Random`` seeded with ``--seed``), the loop's from a
  ``random.Random(seed)``: at the same seed the two peers make exactly the same rows.

The rows are kept in lists of tuples: patients (id, sex, birth_date, age, bmi, smoking, death_date;
no name: the peers draw none), visits (visit_id, patient_id, visit_date, age, smoker, reason) and
history (id, step_date, age, bmi, smoking, death_date). Nothing is written to disk.

Per year, as cohort.synth's ``simulate`` block: a patient who died before the year's first day
stops (``stop when``); otherwise age + 1, bmi + normal(0, 0.4) clamped to [15, 50] and rounded to
1 decimal, the smoking transition (never -> current 0.03 under 25 else 0.004, current -> former
0.08, former -> current 0.02), death with hazard min(1, 0.00002 exp(0.0855 age)) on a uniform day
of the year; then the rules (adult_smokers, dob_before_dod): a patient whose new state breaks one
redraws the year's random updates, up to 100 times, then keeps last year's state; then a visit with
chance 0.2 + 0.005 age (+ 0.15 for a current smoker), on a uniform day of the year before any death,
with a reason (checkup 0.6, acute 0.3, referral 0.1); then the history row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from datetime import date, timedelta

FIRST_YEAR, LAST_YEAR = 2000, 2025
STEPS = LAST_YEAR - FIRST_YEAR + 1
BIRTH_FIRST = date(1925, 1, 1).toordinal()
BIRTH_LAST = date(1998, 12, 31).toordinal()
ENTRY = date(1999, 1, 1)  # the state on entry is the state one year before the first step
SMOKING = ("never", "current", "former")
SMOKING_CUM = (0.55, 0.80, 1.0)
REASONS = ("checkup", "acute", "referral")
REASONS_CUM = (0.6, 0.9, 1.0)
MAX_REDRAWS = 100
YEAR = timedelta(days=364)


class Patient:
    """One patient: the loop's object (Mesa's agents carry the same attributes)."""

    def __init__(self, id, sex, birth_date, age, bmi, smoking):
        self.id, self.sex, self.birth_date = id, sex, birth_date
        self.age, self.bmi, self.smoking, self.death_date = age, bmi, smoking, None


def whole_years(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def new_patient(rnd: random.Random) -> tuple:
    """(sex, birth_date, age, bmi, smoking) drawn as the spec draws them; a patient breaking
    adult_smokers (a smoker under 12) redraws birth_date and smoking, as the spec's rule does."""
    sex = rnd.choice(("F", "M"))
    bmi = round(min(50.0, max(15.0, rnd.lognormvariate(3.2, 0.15))), 1)
    while True:
        birth = date.fromordinal(rnd.randint(BIRTH_FIRST, BIRTH_LAST))
        age = whole_years(birth, ENTRY)
        smoking = rnd.choices(SMOKING, cum_weights=SMOKING_CUM)[0]
        if smoking == "never" or age >= 12:
            return sex, birth, age, bmi, smoking


def live_one_year(p, step_date: date, rnd: random.Random, out) -> None:
    """One year of one patient ``p`` (a Patient or a Mesa agent); rows go to ``out.visits`` and
    ``out.history``, visit ids from ``out.next_visit``."""
    death = p.death_date
    if death is not None and step_date > death:  # stop when ...
        return
    for _ in range(MAX_REDRAWS + 1):
        age = p.age + 1
        bmi = round(min(50.0, max(15.0, p.bmi + rnd.gauss(0.0, 0.4))), 1)
        smoking = p.smoking
        u = rnd.random()
        if smoking == "never":
            if u < (0.03 if age < 25 else 0.004):
                smoking = "current"
        elif smoking == "current":
            if u < 0.08:
                smoking = "former"
        elif u < 0.02:
            smoking = "current"
        death = p.death_date
        if death is None and rnd.random() < min(1.0, 0.00002 * math.exp(0.0855 * age)):
            death = step_date + timedelta(days=rnd.randint(0, 364))
        # rules adult_smokers and dob_before_dod on the new state
        if (smoking == "never" or age >= 12) and (death is None or p.birth_date < death):
            p.age, p.bmi, p.smoking, p.death_date = age, bmi, smoking, death
            break
    # else: no redraw met the rules, the patient keeps last year's state
    age, smoking, death = p.age, p.smoking, p.death_date
    current = smoking == "current"
    if rnd.random() < 0.2 + 0.005 * age + (0.15 if current else 0.0):
        last = death if death is not None else step_date + YEAR
        visit_date = step_date + timedelta(days=rnd.randint(0, (last - step_date).days))
        reason = rnd.choices(REASONS, cum_weights=REASONS_CUM)[0]
        out.visits.append((out.next_visit, p.id, visit_date, age, current, reason))
        out.next_visit += 1
    out.history.append((p.id, step_date, age, p.bmi, smoking, death))


class Rows:
    def __init__(self):
        self.visits: list[tuple] = []
        self.history: list[tuple] = []
        self.next_visit = 1


def run_loop(n: int, seed: int) -> tuple[list, Rows]:
    rnd = random.Random(seed)
    patients = [Patient(i + 1, *new_patient(rnd)) for i in range(n)]
    rows = Rows()
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        step_date = date(year, 1, 1)
        for p in patients:
            live_one_year(p, step_date, rnd, rows)
    return patients, rows


def run_mesa(n: int, seed: int) -> tuple[list, Rows]:
    import mesa

    class PatientAgent(mesa.Agent):
        def __init__(self, model, sex, birth_date, age, bmi, smoking):
            super().__init__(model)
            # Mesa numbers its agents from 1 in creation order: the patient id
            self.id, self.sex, self.birth_date = self.unique_id, sex, birth_date
            self.age, self.bmi, self.smoking, self.death_date = age, bmi, smoking, None

        def step(self):
            live_one_year(self, self.model.step_date, self.random, self.model)

    class Cohort(mesa.Model):
        def __init__(self, n: int, seed: int):
            super().__init__(rng=seed)
            self.visits, self.history, self.next_visit = [], [], 1
            self.step_date = None
            for _ in range(n):
                PatientAgent(self, *new_patient(self.random))

        def step(self):
            self.step_date = date(FIRST_YEAR + self.steps - 1, 1, 1)  # steps counts from 1
            self.agents.do("step")

    model = Cohort(n, seed)
    for _ in range(STEPS):
        model.step()
    return list(model.agents), model


def digest(patients: list, rows) -> str:
    h = hashlib.sha256()
    for p in patients:
        h.update(repr((p.id, p.sex, p.birth_date, p.age, p.bmi, p.smoking, p.death_date)).encode())
    h.update(repr(rows.visits).encode())
    h.update(repr(rows.history).encode())
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--peer", choices=("loop", "mesa"), default="mesa")
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    if args.peer == "mesa":
        import mesa  # the import outside the timing

        version = f"mesa {mesa.__version__}"
    else:
        version = f"python {sys.version.split()[0]}"
    run = run_mesa if args.peer == "mesa" else run_loop
    t0 = time.perf_counter()
    patients, rows = run(args.entities, args.seed)
    seconds = time.perf_counter() - t0
    result = {
        "peer": args.peer,
        "version": version,
        "seconds": seconds,
        "entities": args.entities,
        "steps": STEPS,
        "patients_rows": len(patients),
        "visits_rows": len(rows.visits),
        "history_rows": len(rows.history),
        "deaths": sum(p.death_date is not None for p in patients),
        "digest": digest(patients, rows),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
