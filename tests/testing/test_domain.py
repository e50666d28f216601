"""The strategies reach every value a spec allows, not only the likely ones (issue 10).

A tester asks "does my code handle every value the spec allows?": clamp bounds, rule bounds, a
type's range, every label of a categorical and null must all come up, and a planted bug at the edge
of the domain must be found and shrunk onto it. Each test runs Hypothesis itself (derandomized, so
the outcome is the same on every run) and checks what it drew.
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings

import synthdsl
from synthdsl.hypothesis import frames, rows
from tests.examples import oracles

HOSPITAL = synthdsl.load(oracles.EXAMPLES / "hospital.synth")
RUN = settings(max_examples=200, database=None, derandomize=True, deadline=None)


def _spec(text: str) -> synthdsl.Spec:
    return synthdsl.loads(text, path="t.synth")


def _collect(strategy, n: int = 200) -> list:
    seen = []

    @settings(RUN, max_examples=n)
    @given(strategy)
    def check(x):
        seen.append(x)

    check()
    return seen


def test_a_bug_at_the_clamp_bound_is_found_and_shrinks_to_it():
    """hospital.synth's ``bmi ~ lognormal(3.25, 0.15) clamp(12, 60) round(1)``: the distribution
    almost never passes 52.6, yet the spec allows up to 60, so the bug at 59 must be found."""
    failing: list[float] = []

    @settings(RUN, max_examples=500)
    @given(rows(HOSPITAL, "patients"))
    def bmi_is_handled(patient):
        if patient["bmi"] >= 59:  # the planted bug
            failing.append(patient["bmi"])
            raise AssertionError(f"bmi {patient['bmi']} rejected")

    with pytest.raises(AssertionError, match="rejected"):
        bmi_is_handled()
    assert failing[-1] == 59.0  # Hypothesis runs the shrunk example last


def test_the_whole_clamp_range_comes_up_without_edge_cases():
    """500 examples once never left 12.6..52.6 (the distribution's central range)."""
    bmi = [r["bmi"] for r in _collect(rows(HOSPITAL, "patients"))]
    assert min(bmi) < 12.6 and max(bmi) > 52.6
    assert min(bmi) >= 12.0 and max(bmi) <= 60.0
    assert all(round(x, 1) == x for x in bmi)  # round(1) still holds at the bounds


def test_edge_cases_hit_both_clamp_bounds():
    bmi = [r["bmi"] for r in _collect(rows(HOSPITAL, "patients", edge_cases=True), 100)]
    assert bmi.count(12.0) >= 3 and bmi.count(60.0) >= 3


def test_a_rule_bound_is_reached_and_never_passed():
    spec = _spec(
        "table t {\n rows 10\n bmi float ~ lognormal(3.25, 0.15) clamp(12, 60) round(1)\n"
        " rule not_obese: bmi <= 40\n}\n"
    )
    bmi = [r["bmi"] for r in _collect(rows(spec, "t", edge_cases=True), 100)]
    assert 12.0 in bmi and 40.0 in bmi and max(bmi) == 40.0


def test_an_int_column_with_a_clamp_hits_both_bounds():
    """geometric(0.6) is 1 to 16 in its central range, but clamp(1, 20) allows 20."""
    spec = _spec("table t {\n rows 10\n n int ~ geometric(0.6) clamp(1, 20)\n}\n")
    plain = [r["n"] for r in _collect(rows(spec, "t"))]
    edge = [r["n"] for r in _collect(rows(spec, "t", edge_cases=True), 100)]
    for seen in (plain, edge):
        assert min(seen) == 1 and max(seen) == 20
    assert set(plain) >= set(range(1, 21)) - {17, 18, 19}  # and the values between


def test_an_int_column_stays_in_its_type_range():
    """zipf(1.1)'s far tail is beyond int64: the type's range bounds it, and edge cases reach it."""
    spec = _spec("table t {\n rows 10\n n int ~ zipf(1.1)\n m int = n - 1\n}\n")
    seen = [r["n"] for r in _collect(rows(spec, "t", edge_cases=True), 100)]
    assert min(seen) == 1 and max(seen) > 2**62 and max(seen) < 2**63


def test_a_decimal_open_tail_stops_at_the_type_range():
    """lognormal(1, 0.5)'s far tail (164) passes what decimal(4, 2) holds: 99.99 is its end."""
    spec = _spec("table t {\n rows 10\n x decimal(4, 2) ~ lognormal(1, 0.5)\n}\n")
    seen = [r["x"] for r in _collect(rows(spec, "t", edge_cases=True), 100)]
    assert str(max(seen)) == "99.99" and min(seen) > 0


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("x int ~ normal(1e20, 1)", "beyond the 64-bit integer range"),
        ("x decimal(4, 2) ~ normal(500, 1)", r"decimal\(4,2\), which holds values below 100"),
    ],
)
def test_values_the_type_cannot_hold_fail_as_the_engine_fails(column, message):
    """Where the distribution's common values do not fit the type, the strategy does not quietly
    cap them: the test fails with the engine's message."""
    spec = _spec(f"table t {{\n rows 10\n {column}\n}}\n")
    with pytest.raises(synthdsl.DataError, match=message):
        spec.generate(rows={"t": 100})
    with pytest.raises(synthdsl.DataError, match=message):
        _collect(rows(spec, "t"), 5)


def test_a_decimal_reaches_its_clamp_to_the_cent():
    spec = _spec(
        "table t {\n rows 10\n cost decimal(8, 2) ~ lognormal(4.5, 0.6) clamp(10, 5000) round(2)\n}\n"
    )
    cost = [r["cost"] for r in _collect(rows(spec, "t", edge_cases=True), 100)]
    assert str(min(cost)) == "10.00" and str(max(cost)) == "5000.00"


def test_every_label_of_a_categorical_comes_up():
    """A label of weight 0.001 is as allowed as one of weight 0.6."""
    spec = _spec(
        "table t {\n rows 10\n"
        ' s text ~ categorical("a": 0.6, "b": 0.3, "c": 0.089, "d": 0.01, "e": 0.001)\n}\n'
    )
    assert {r["s"] for r in _collect(rows(spec, "t"), 100)} == {"a", "b", "c", "d", "e"}


def test_every_city_of_a_dataset_categorical_comes_up():
    with open(oracles.EXAMPLES / "data" / "be_cities.csv", newline="") as f:
        cities = {row["city"] for row in csv.DictReader(f)}
    drawn = _collect(frames(HOSPITAL, "patients", min_rows=5, max_rows=10), 100)
    assert {c for df in drawn for c in df.city} == cities


def test_a_nullable_column_yields_null_and_values():
    spec = _spec(
        "table t {\n rows 10\n w float? ~ normal(75, 15) clamp(2, 250) round(1) nulls 1%\n}\n"
    )
    seen = [r["w"] for r in _collect(rows(spec, "t"), 100)]
    assert None in seen
    values = [x for x in seen if x is not None]
    assert min(values) == 2.0 or max(values) == 250.0 or min(values) < 75 - 4.9 * 15


def test_frames_reach_the_domain_too():
    spec = _spec("table t {\n rows 10\n x float ~ normal(0, 1) clamp(-100, 100)\n}\n")
    # without edge cases the far tails are reached but not necessarily the exact bounds (what
    # Hypothesis draws there also depends on the constants of the modules imported so far)
    xs = [x for df in _collect(frames(spec, "t", max_rows=5), 100) for x in df.x]
    assert min(xs) < -10 and max(xs) > 10 and min(xs) >= -100.0 and max(xs) <= 100.0
    xs = [x for df in _collect(frames(spec, "t", max_rows=5, edge_cases=True), 100) for x in df.x]
    assert min(xs) == -100.0 and max(xs) == 100.0
