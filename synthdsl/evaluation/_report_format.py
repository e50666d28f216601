"""Formatting shared by the report's sections: metrics, rates and data values as page text.

Why a module of its own: the report is split by section (``report.py``, ``report_privacy.py``) and
every section formats numbers the same way, so a missing value reads "—" everywhere.
"""

from __future__ import annotations

import math
from typing import Any

WITHHELD = "withheld"  # shown instead of a figure computed on too few rows


def num(x: Any, digits: int = 3) -> str:
    """A metric with ``digits`` decimals; an em dash when missing."""
    if x is None or isinstance(x, bool) or not isinstance(x, int | float) or math.isnan(x):
        return "—"
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.000"


def pct(x: Any, digits: int = 1) -> str:
    """A rate in [0, 1] as a percentage."""
    if x is None or isinstance(x, bool) or not isinstance(x, int | float) or math.isnan(x):
        return "—"
    text = f"{100 * x:.{digits}f}"
    return (text[1:] if text.startswith("-") and not text.strip("-0.") else text) + " %"


def value(x: Any) -> str:
    """A data value (min, max): integers whole with thousands separators, else 3 decimals."""
    if x is None or isinstance(x, bool) or not isinstance(x, int | float) or math.isnan(x):
        return "—"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.3f}"


def _d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def _human(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def withheld(reason: Any) -> str:
    """The text shown in place of a withheld figure: ``withheld: <reason>``."""
    return f"{WITHHELD}: {reason}"
