"""Faker's ``date_time`` family, vectorized relative to the spec's reference date (``today``).

Input: a provider name (``past_date``, ``date_time_between``, ``date_of_birth``, ...), its literal
arguments and the reference date ``YYYY-MM-DD``. Output: a ``DateSpan`` (uniform microseconds in
``[lo, hi]`` since the epoch, UTC, kept as ``datetime64[us]`` or floored to ``datetime64[D]``), or
``NotVectorizable`` for a provider or argument without a vectorized form (a ``tzinfo``, a date
object argument, ...), which then stays on the generic path.

Why: the generic path calls Faker once per row; these providers are one uniform draw over a range
that depends only on the arguments and "now". Reading the range once turns a block into one numpy
call. The ranges follow Faker's own rules: ``now`` is midnight UTC of the reference date; offset
strings (``-30y``, ``+1w``) go through Faker's own parser (a year is 365.24 days, a month 30.42);
a date offset keeps whole days (``date + timedelta`` drops the fraction); ``date_between``-style
providers draw seconds between midnights and keep the day, so their end day is (almost) never
drawn, as in Faker; ``date_of_birth`` moves its first day to the next one. Not reproduced: Faker's
exact values for a given seed.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthdsl.expr._faker_vec.nodes import NotVectorizable
from synthdsl.expr._faker_vec.unique import feistel_permute

_S = 1_000_000  # microseconds per second
_DAY = 86_400 * _S
_MAX_SPAN = 1 << 62  # feistel_permute's limit; every supported range is far below it


@dataclass(frozen=True)
class DateSpan:
    """Uniform over microseconds ``lo..hi`` (inclusive), as datetimes or as the days they fall on.

    ``bump``: a day (days since the epoch) that is moved to the next day (``date_of_birth``).
    """

    lo: int
    hi: int
    unit: str  # "us" -> datetime64[us], "D" -> datetime64[D]
    bump: int | None = None

    @property
    def result_kind(self) -> str:
        return "date" if self.unit == "D" else "datetime"

    def _first_last(self) -> tuple[int, int]:
        """The values with a chance to be drawn, as ints of the output unit."""
        if self.unit == "us":
            return self.lo, self.hi
        first = self.lo // _DAY
        last = max(first, (self.hi - 1) // _DAY)  # the end day only at the exact end point
        if self.bump is not None and first == self.bump:
            first = min(first + 1, last + 1)
            last = max(last, first)
        return first, last

    @property
    def capacity(self) -> int:
        first, last = self._first_last()
        return last - first + 1

    def _out(self, values: np.ndarray) -> np.ndarray:
        return values.astype(f"datetime64[{self.unit}]")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        us = rng.integers(self.lo, self.hi, size=n, endpoint=True, dtype=np.int64)
        if self.unit == "us":
            return self._out(us)
        days = us // _DAY  # floor: before 1970 too
        if self.bump is not None:
            days = np.where(days == self.bump, days + 1, days)
        return self._out(days)

    def unique(self, key: Sequence[int], start: int, n: int) -> np.ndarray:
        """Rows ``start..start+n-1`` of a keyed permutation of the value space: distinct rows give
        distinct values, and each block computes its rows on its own."""
        first, _ = self._first_last()
        state = np.random.SeedSequence(list(key)).generate_state(8, dtype=np.uint64)
        idx = np.arange(start, start + n, dtype=np.uint64)
        y = feistel_permute(idx, self.capacity, state)
        return self._out(y.astype(np.int64) + np.int64(first))


def _ts(day: _dt.date) -> int:
    """Faker's ``datetime_to_timestamp`` of a date or naive datetime: seconds, as UTC."""
    return calendar.timegm(day.timetuple())


def _offset_seconds(text: str) -> float:
    from faker.providers.date_time import Provider

    return _dt.timedelta(**Provider._parse_date_string(text)).total_seconds()


def _moment(value: Any, now: _dt.datetime) -> int:
    """Faker's ``_parse_date_time``: a timestamp (seconds) for "now", "-30y", an int timestamp."""
    if isinstance(value, bool):
        raise NotVectorizable("a bool is not a date")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value == "now":
            return _ts(now)
        return _ts(now + _dt.timedelta(seconds=_offset_seconds(value)))
    raise NotVectorizable(f"date argument {value!r} is not vectorized")


def _day(value: Any, today: _dt.date) -> _dt.date:
    """Faker's ``_parse_date``: "today"/"now", "-30y" (whole days) or an int number of days."""
    if isinstance(value, bool):
        raise NotVectorizable("a bool is not a date")
    if isinstance(value, int):
        return today + _dt.timedelta(value)
    if isinstance(value, str):
        if value in ("today", "now"):
            return today
        return today + _dt.timedelta(seconds=_offset_seconds(value))
    raise NotVectorizable(f"date argument {value!r} is not vectorized")


def _seconds(lo: int, hi: int, unit: str, bump: int | None = None) -> DateSpan:
    if lo > hi:
        raise NotVectorizable("empty range")  # Faker raises; the generic path reports it
    span = DateSpan(lo * _S, hi * _S, unit, bump)
    if span.hi - span.lo >= _MAX_SPAN:
        raise NotVectorizable("range too wide")
    return span


def _this(period: str, today: _dt.date) -> tuple[_dt.date, _dt.date]:
    """The start of the current century/decade/year/month and of the next one."""
    y = today.year
    if period == "century":
        start = _dt.date(y - y % 100, 1, 1)
        return start, _dt.date(min(start.year + 100, _dt.MAXYEAR), 1, 1)
    if period == "decade":
        start = _dt.date(y - y % 10, 1, 1)
        return start, _dt.date(start.year + 10, 1, 1)
    if period == "year":
        return _dt.date(y, 1, 1), _dt.date(y + 1, 1, 1)
    start = today.replace(day=1)
    nxt = (
        start.replace(year=y + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, nxt


def _within(period: str, unit: str, before: bool, after: bool, today: _dt.date) -> DateSpan:
    start, nxt = _this(period, today)
    now = _ts(today)
    lo = _ts(start) if before else now
    hi = _ts(nxt) if after else now
    return _seconds(lo, hi, unit)


def _change_year(day: _dt.date, diff: int) -> _dt.date:
    try:
        return day.replace(year=day.year + diff)
    except ValueError:  # Feb 29 into a common year: Faker rolls forward to Mar 1
        return _dt.date(day.year + diff, 3, 1)


def _no_tz(tzinfo: Any) -> None:
    if tzinfo is not None:
        raise NotVectorizable("tzinfo is not vectorized")


def _build(name: str, a: dict[str, Any], today: _dt.date) -> DateSpan:
    now = _dt.datetime(today.year, today.month, today.day)
    _no_tz(a.get("tzinfo"))

    def between_days(start: Any, end: Any) -> DateSpan:
        return _seconds(_ts(_day(start, today)), _ts(_day(end, today)), "D")

    if name in ("date_time", "date_object"):
        end = _ts(now) if a.get("end_datetime") is None else _moment(a["end_datetime"], now)
        return _seconds(0, end, "us" if name == "date_time" else "D")
    if name == "date_time_ad":
        start = a.get("start_datetime")
        end = _ts(now) if a.get("end_datetime") is None else _moment(a["end_datetime"], now)
        return _seconds(-62135596800 if start is None else _moment(start, now), end, "us")
    if name == "date_time_between":
        return _seconds(_moment(a["start_date"], now), _moment(a["end_date"], now), "us")
    if name == "past_datetime":
        return _seconds(_moment(a["start_date"], now), _moment("-1s", now), "us")
    if name == "future_datetime":
        return _seconds(_moment("+1s", now), _moment(a["end_date"], now), "us")
    if name == "date_between":
        return between_days(a["start_date"], a["end_date"])
    if name == "past_date":
        return between_days(a["start_date"], "-1d")
    if name == "future_date":
        return between_days("+1d", a["end_date"])
    if name.startswith("date_time_this_"):
        return _within(name[15:], "us", a["before_now"], a["after_now"], today)
    if name.startswith("date_this_"):
        return _within(name[10:], "D", a["before_today"], a["after_today"], today)
    if name == "date_of_birth":
        lo_age, hi_age = a["minimum_age"], a["maximum_age"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo_age, hi_age)):
            raise NotVectorizable("ages must be ints")
        start, end = _change_year(today, -(hi_age + 1)), _change_year(today, -lo_age)
        bump = (start - _dt.date(1970, 1, 1)).days
        return _seconds(_ts(start), _ts(end), "D", bump)
    raise NotVectorizable(f"{name} is not a vectorized date provider")


NAMES = (
    "date_time",
    "date_object",
    "date_time_ad",
    "date_time_between",
    "past_datetime",
    "future_datetime",
    "date_between",
    "past_date",
    "future_date",
    "date_of_birth",
    *(f"date_time_this_{p}" for p in ("century", "decade", "year", "month")),
    *(f"date_this_{p}" for p in ("century", "decade", "year", "month")),
)


def date_span(
    method: Callable[..., Any], args: tuple, kwargs: dict[str, Any], today: str
) -> DateSpan:
    """The span of ``faker.<name>(*args, **kwargs)`` for the base ``date_time`` provider's own
    method (a locale's override is left to the generic path); raises NotVectorizable."""
    import inspect

    from faker.providers.date_time import Provider

    name = getattr(method, "__name__", "")
    func = getattr(method, "__func__", None)
    if name not in NAMES or func is None or func is not getattr(Provider, name, None):
        raise NotVectorizable("not the base provider's date method")
    try:
        bound = inspect.signature(method).bind(*args, **kwargs)
    except TypeError as exc:
        raise NotVectorizable(str(exc)) from None
    bound.apply_defaults()
    return _build(name, dict(bound.arguments), _dt.date.fromisoformat(today))
