"""Faker's date_time family, vectorized relative to the spec's reference date (``_faker_vec.dates``).

The vectorized draws must cover the same range as Faker's own calls (Faker run under the same
reference date with ``clock.frozen``), stay inside the range Faker's documentation gives, be a pure
function of the seed key, and give distinct values for ``unique`` across independent blocks.
"""

from __future__ import annotations

import numpy as np
import pytest

import synthdsl
from synthdsl.expr import clock, providers
from synthdsl.expr._faker_vec.dates import NAMES

TODAY = "2026-03-15"
D = np.datetime64


def _faker_draws(name: str, kwargs: dict, n: int) -> np.ndarray:
    fake = providers._faker("en_US")[0]
    with clock.frozen(TODAY):
        fake.seed_instance(3)
        return np.array([getattr(fake, name)(**kwargs) for _ in range(n)])


@pytest.mark.parametrize("name", NAMES)
def test_every_family_member_is_vectorized_with_faker_s_kind(name: str) -> None:
    p = providers.resolve("faker", (name,), today=TODAY)
    assert p.vectorized
    assert p.result_kind == providers.result_kind(_faker_draws(name, {}, 1)[0])
    a, b = p.generate([1, 2], 500), p.generate([1, 2], 500)
    assert a.dtype.kind == "M" and (a == b).all()  # a pure function of the key


@pytest.mark.parametrize(
    ("name", "kwargs", "lo", "hi"),
    [
        ("past_date", {}, D("2026-02-13"), D("2026-03-14")),
        ("future_date", {}, D("2026-03-16"), D("2026-04-14")),
        ("date_this_month", {}, D("2026-03-01"), D("2026-03-15")),
        (
            "date_this_year",
            {"before_today": False, "after_today": True},
            D("2026-03-15"),
            D("2026-12-31"),
        ),
        ("date_of_birth", {"minimum_age": 30, "maximum_age": 31}, D("1994-03-16"), D("1996-03-15")),
        (
            "date_between",
            {"start_date": "-2M", "end_date": "+5d"},
            D("2026-01-13"),
            D("2026-03-20"),
        ),
        ("date_between", {"start_date": -10, "end_date": 3}, D("2026-03-05"), D("2026-03-18")),
        ("past_datetime", {}, D("2026-02-13T00:00"), D("2026-03-14T23:59:59")),
        ("future_datetime", {"end_date": "+1d"}, D("2026-03-15T00:00:01"), D("2026-03-16T00:00")),
        ("date_time_this_decade", {}, D("2020-01-01T00:00"), D("2026-03-15T00:00")),
        (
            "date_time_between",
            {"start_date": "-1w", "end_date": "+3h"},
            D("2026-03-08T00:00"),
            D("2026-03-15T03:00"),
        ),
    ],
)
def test_ranges_match_faker_s_under_the_same_reference_date(name, kwargs, lo, hi) -> None:
    p = providers.resolve("faker", (name,), kwargs=kwargs, today=TODAY)
    assert p.vectorized
    ours = p.generate([9], 20_000)
    theirs = _faker_draws(name, kwargs, 3_000).astype(ours.dtype)
    for values in (ours, theirs):
        assert lo <= values.min() and values.max() <= hi, (values.min(), values.max())
    # both reach (close to) both ends: same range, not a narrower one
    slack = np.timedelta64(2, "D") if ours.dtype == np.dtype("datetime64[D]") else (hi - lo) / 200
    assert ours.min() - lo <= slack and hi - ours.max() <= slack


def test_the_reference_date_moves_the_range() -> None:
    early = providers.resolve("faker", ("past_date",), today="2001-06-01").generate([4], 1000)
    late = providers.resolve("faker", ("past_date",), today="2031-06-01").generate([4], 1000)
    assert early.max() < D("2001-06-01") and late.min() >= D("2031-05-02")


def test_unique_dates_are_distinct_across_independent_blocks() -> None:
    p = providers.resolve(
        "faker", ("date_this_year",), kwargs={"after_today": True}, today=TODAY
    )  # the whole year: 365 days
    assert p.capacity == 365
    whole = p.generate_unique([5], 0, 365, 365)
    parts = np.concatenate([p.generate_unique([5], s, 100, 365) for s in (0, 100, 200)])
    assert len(set(whole.tolist())) == 365 and (whole[:300] == parts).all()
    assert whole.min() == D("2026-01-01") and whole.max() == D("2026-12-31")
    with pytest.raises(providers.ProviderError, match="only 365 distinct values"):
        p.generate_unique([5], 0, 1, 366)


def test_a_unique_date_column_in_a_spec() -> None:
    frame = synthdsl.loads(
        f"today {TODAY}\ntable t {{\n  rows 300\n"
        '  d date = faker.date_between(start_date="-1y") unique\n}\n'
    ).generate(chunk_size=64)["t"]
    days = frame["d"].astype("datetime64[ns]")
    assert days.is_unique and days.min() >= np.datetime64(
        "2025-03-14"
    )  # -1y is -365.24 days: floor


def test_arguments_without_a_vectorized_form_stay_generic() -> None:
    import datetime as dt

    p = providers.resolve("faker", ("date_time",), kwargs={"tzinfo": dt.UTC}, today=TODAY)
    assert not p.vectorized and p.result_kind == "datetime"
    assert max(v.year for v in p.generate([1], 50)) <= 2026
