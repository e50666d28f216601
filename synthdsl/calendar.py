"""A simulation's calendar: the dates of its steps, from a start date, a unit and a count.

Input: plain values (ISO start date, unit, every, end date). Output: numpy ``datetime64[D]`` arrays.
The checker counts the steps with it and the simulation step rebuilds the same dates from the plan's
numbers, so both agree by construction. Months step by calendar month and keep the start's day of
the month where the month has it (the 31st becomes the month's last day), as people count them.
"""

from __future__ import annotations

import numpy as np

UNITS = ("day", "week", "month", "year")
MAX_STEPS = (
    100_000  # a simulation of more steps is almost surely a unit mistake (daily for 300 years)
)


def unit_of(word: str) -> str | None:
    """``days``/``day``/``weeks``... -> the unit, or None for a word that is not one."""
    w = word[:-1] if word.endswith("s") else word
    return w if w in UNITS else None


def step_dates(start: str, unit: str, every: int, end: str) -> np.ndarray:
    """Every step's date from ``start`` up to ``end`` (inclusive), ``every`` units apart."""
    a, b = np.datetime64(start, "D"), np.datetime64(end, "D")
    if b < a:
        return np.empty(0, dtype="datetime64[D]")
    if unit in ("day", "week"):
        span = every * (7 if unit == "week" else 1)
        n = int((b - a).astype(np.int64) // span) + 1
        return a + np.arange(min(n, MAX_STEPS + 1), dtype=np.int64) * span
    months = every * (12 if unit == "year" else 1)
    first = a.astype("datetime64[M]")
    total = (b.astype("datetime64[M]") - first).astype(np.int64)
    k = np.arange(min(total // months + 1, MAX_STEPS + 1), dtype=np.int64) * months
    month = first + k
    day = (a - first.astype("datetime64[D]")).astype(np.int64)
    last = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    dates = month.astype("datetime64[D]") + np.minimum(day, last - 1)
    return dates[dates <= b]
