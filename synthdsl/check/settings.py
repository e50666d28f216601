"""Spec-level settings with more to check than "set once": the ``today`` reference date."""

from __future__ import annotations

from collections.abc import Callable

from synthdsl.expr import clock
from synthdsl.syntax import ast

Fail = Callable[[str, str, ast.Node, str | None], None]


def today_setting(st: ast.Today, previous: str | None, fail: Fail) -> str:
    """The ``today`` value as ``YYYY-MM-DD``: set once (E115), a calendar date in the years the
    clock-reading providers handle (E116). After an error the default stands in, so one mistake
    gives one message."""
    if previous is not None:
        fail("E115", "today is set twice", st, None)
        return previous
    try:
        return clock.parse_today(st.value).isoformat()
    except ValueError as exc:
        fail(
            "E116",
            f"today must be a date YYYY-MM-DD: {exc}",
            st,
            f"write it like `today {clock.DEFAULT_TODAY}` (years {clock.MIN_YEAR} to "
            f"{clock.MAX_YEAR})",
        )
        return clock.DEFAULT_TODAY
