"""What a provider returns, learnt at check time from a few calls with a fixed seed.

Input: a provider's qualified name (``faker.latlng``) and the values of a few probing calls.
Output: a ``Probe``: the engine-facing kind (``text``, ``int``, ...), whether values must be turned
into text first, and whether the provider returns None; or a ``ProbeError`` that says why no column
type can hold the values and what to use instead.

Why at check time: about one provider in eight returns tuples, lists, dicts or bytes. Found at
generate, that is pyarrow's "Expected bytes, got a 'tuple' object" (or a dump of PNG bytes) for one
column per run; found here, it is one error per column with a caret, all in one ``check`` run.

Values with a natural text form (a UUID, an IP address or network, a time of day, a time zone, a
path) become text with ``str``; a provider whose values mix kinds (``faker.random_digit_or_empty``
returns 0-9 or "") fits no column type and is an error too.
"""

from __future__ import annotations

import collections.abc
import datetime as _dt
import ipaddress
import pathlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Values whose ``str`` is the form people write them in.
TEXT_FORMS: tuple[type, ...] = (
    uuid.UUID,
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    _dt.time,
    _dt.tzinfo,
    pathlib.PurePath,
)

# Providers whose values hold several parts, and the providers that give one part each.
_INSTEAD: dict[str, str] = {
    "faker.latlng": "faker.latitude() and faker.longitude() in two columns",
    "faker.local_latlng": "faker.latitude() and faker.longitude() in two columns",
    "faker.location_on_land": "faker.latitude(), faker.longitude() and faker.city() in columns",
    "faker.color_rgb": "faker.hex_color() or faker.color()",
    "faker.color_rgb_float": "faker.hex_color() or faker.color()",
    "faker.color_hsl": "faker.hex_color() or faker.color()",
    "faker.color_hsv": "faker.hex_color() or faker.color()",
    "faker.currency": "faker.currency_code() or faker.currency_name()",
    "faker.cryptocurrency": "faker.cryptocurrency_code() or faker.cryptocurrency_name()",
    "faker.profile": "one column per field: faker.name(), faker.address(), faker.job(), ...",
    "faker.simple_profile": "one column per field: faker.name(), faker.address(), ...",
    "faker.passport_owner": "faker.first_name() and faker.last_name() in two columns",
    "faker.passport_dates": "date columns, e.g. faker.date_between(...)",
    "faker.pyobject": "faker.pystr(), faker.pyint(), faker.pyfloat() or faker.pybool()",
    "faker.null_boolean": "a `bool?` column",
    "faker.random_digit_or_empty": "faker.random_digit() in an `int?` column with `nulls 50%`",
    "mimesis.address.coordinates": "mimesis.address.latitude() and mimesis.address.longitude()",
    "mimesis.text.rgb_color": "mimesis.text.hex_color()",
    "mimesis.payment.credit_card_owner": "mimesis.payment.credit_card_number() and "
    "mimesis.person.full_name() in two columns",
    "mimesis.numeric.complex_number": "two float columns (mimesis.numeric.float_number())",
}

_KIND_WORDS = {
    "text": "text",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "date": "date",
    "datetime": "datetime",
    "decimal": "decimal",
}


@dataclass(frozen=True)
class Probe:
    """What the probing calls returned: ``kind``; ``to_text`` = convert with ``str`` first."""

    kind: str
    to_text: bool = False
    nullable: bool = False


class ProbeError(Exception):
    """No column type can hold the provider's values; ``hint`` says what to use instead."""

    def __init__(self, message: str, hint: str | None):
        super().__init__(message)
        self.message, self.hint = message, hint


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _what(value: Any) -> str:
    """A phrase naming the shape of ``value`` (``a tuple like (1, 2)``)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"bytes (binary data, {len(bytes(value)):,} bytes)"
    if isinstance(value, _dt.timedelta):
        return f"a duration like {value}"
    name = type(value).__name__
    if isinstance(value, collections.abc.Iterator):
        return f"a {name} (an iterator of many values)"
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name} like {_short(value)}"


def _singular(qualname: str, names: Sequence[str]) -> str | None:
    """``faker.words`` -> ``faker.word``: the one-value provider next to a many-values one."""
    head, _, last = qualname.rpartition(".")
    for cand in (last[:-1] if last.endswith("s") else "", last.removesuffix("es")):
        if cand and cand != last and cand in names:
            return f"{head}.{cand}()"
    return None


def _instead(qualname: str, value: Any, names: Sequence[str]) -> str:
    known = _INSTEAD.get(qualname)
    if known:
        return f"use {known}"
    one = _singular(qualname, names)
    if one:
        return f"use {one} for one value per row"
    if isinstance(value, bytes | bytearray | memoryview):
        return "store text instead: a hex digest such as faker.sha256() or faker.md5()"
    if isinstance(value, _dt.timedelta):
        return "store a number instead, e.g. `x int = faker.random_int(0, 86400)` (seconds)"
    if isinstance(value, dict):
        return "draw each field in its own column"
    return "draw each part in its own column, with a provider that returns one value"


def classify(
    qualname: str,
    values: Sequence[Any],
    kind_of: Callable[[Any], str],
    names: Sequence[str] = (),
) -> Probe:
    """The kind of ``values`` (a provider's probing results); raises ProbeError when none fits.

    ``kind_of`` is ``providers.result_kind``; ``names`` are its siblings' bare names (``word`` beside ``words``), for the hint.
    """
    kinds: dict[str, Any] = {}
    to_text = False
    for v in values:
        if v is None:
            continue
        kind = kind_of(v)
        if kind == "other":
            if isinstance(v, TEXT_FORMS):
                kind, to_text = "text", True
            else:
                raise ProbeError(
                    f"{qualname}() returns {_what(v)}, which no column type can hold",
                    _instead(qualname, v, names),
                )
        kinds.setdefault(kind, v)
    if set(kinds) == {"int", "float"}:
        kinds.pop("int")
    if set(kinds) == {"int", "decimal"} or set(kinds) == {"float", "decimal"}:
        kinds = {"decimal": kinds["decimal"]}
    if len(kinds) > 1:
        shown = " and ".join(
            f"{_KIND_WORDS.get(k, k)} ({_short(v, 20)})" for k, v in sorted(kinds.items())
        )
        known = _INSTEAD.get(qualname)
        raise ProbeError(
            f"{qualname}() returns a mix of {shown}, so no one column type can hold it",
            f"use {known}" if known else "use a provider that always returns one type",
        )
    nullable = any(v is None for v in values)
    return Probe(next(iter(kinds), "text"), to_text, nullable)


def as_text(values: list[Any]) -> list[Any]:
    """Values with a natural text form as that text; str and None as they are."""
    return [v if v is None or isinstance(v, str) else str(v) for v in values]


def fill_nulls(raw: np.ndarray, typ: str) -> tuple[np.ndarray, np.ndarray | None]:
    """``raw`` with None replaced by a placeholder of ``typ``, and the null mask (None if none).

    Only providers seen returning None pay for this (they are called per row anyway).
    """
    if raw.dtype != object:
        return raw, None
    mask = np.fromiter((v is None for v in raw), dtype=bool, count=len(raw))
    if not mask.any():
        return raw, None
    fill: Any = {
        "text": "",
        "int": 0,
        "float": 0.0,
        "bool": False,
        "date": _dt.date(1970, 1, 1),
        "datetime": _dt.datetime(1970, 1, 1),
    }.get(typ, "")
    out = raw.copy()
    out[mask] = fill
    return out, mask
