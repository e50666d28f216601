"""How fast the Hypothesis strategies draw examples, against hand-written Hypothesis strategies.

The peer is what a user writes without synthdsl: ``st.fixed_dictionaries`` / ``hypothesis.extra.pandas
.data_frames`` over the same columns (same types and ranges, ``st.sampled_from`` for the categories,
``st.dates`` for the dates) but with no rules, no computed columns, no identifier fields and no lookup.
The ratio is the price of getting records that are valid by the spec. Both run with the same settings
(generate phase only, no database), interleaved, best of ``--repeats``.

    .venv/bin/python benchmarks/bench_testing.py            # 200 examples per case
    .venv/bin/python benchmarks/bench_testing.py --quick    # 30 examples per case (CI smoke test)
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

import synthdsl
from synthdsl.hypothesis import frames, rows, tables

ROOT = Path(__file__).resolve().parents[1]
DIAGNOSES = ["healthy", "hypertension", "diabetes", "asthma", "pregnancy", "preeclampsia"]


def _peer_patient() -> dict:
    """The hospital spec's patient columns, typed and ranged by hand, without its rules."""
    return {
        "id": st.integers(1, 10_000),
        "sex": st.sampled_from(["F", "M"]),
        "first_name": st.text(min_size=1, max_size=12),
        "last_name": st.text(min_size=1, max_size=12),
        "phone": st.none() | st.text(max_size=15),
        "birth_date": st.dates(dt.date(1930, 1, 1), dt.date(2025, 12, 31)),
        "death_date": st.none() | st.dates(dt.date(1930, 1, 2), dt.date(2026, 1, 1)),
        "city": st.sampled_from(["Antwerpen", "Gent", "Hasselt", "Luik", "Namen"]),
        "age": st.integers(0, 96),
        "bmi": st.floats(12, 60),
        "diagnosis": st.sampled_from(DIAGNOSES),
        "child_benefits": st.booleans(),
    }


def _peer_frame():
    cols = [hpd.column(name, elements=s) for name, s in _peer_patient().items()]
    return hpd.data_frames(cols, index=hpd.range_indexes(min_size=0, max_size=10))


def _time(strategy, n: int) -> float:
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(x):
        pass

    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30 examples per case")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = 30 if args.quick else 200
    hospital = synthdsl.load(ROOT / "examples" / "hospital.synth")
    webshop = synthdsl.load(ROOT / "examples" / "webshop.synth")
    cases = [
        (
            "rows(hospital, patients)",
            rows(hospital, "patients"),
            st.fixed_dictionaries(_peer_patient()),
        ),
        ("frames(hospital, patients, <=10 rows)", frames(hospital, "patients"), _peer_frame()),
        ("tables(hospital), <=4 patients", tables(hospital), None),
        ("tables(webshop), <=4 per root", tables(webshop), None),
    ]
    print(f"examples per case: {n}; best of {args.repeats}")
    print(f"| {'case':<40} | {'synthdsl ex/s':>13} | {'hand-written ex/s':>17} | {'ratio':>6} |")
    print(f"|{'-' * 42}|{'-' * 15}|{'-' * 19}|{'-' * 8}|")
    for name, ours, peer in cases:
        _time(ours, 3)  # warm up: the first draw builds the plan and loads datasets
        best_ours = min(_time(ours, n) for _ in range(args.repeats))
        best_peer = min(_time(peer, n) for _ in range(args.repeats)) if peer is not None else None
        ours_rate = n / best_ours
        peer_rate = f"{n / best_peer:,.0f}" if best_peer else "–"
        ratio = f"{best_peer / best_ours:.2f}" if best_peer else "–"
        print(f"| {name:<40} | {ours_rate:>13,.0f} | {peer_rate:>17} | {ratio:>6} |")


if __name__ == "__main__":
    main()
