"""Vectorized Mimesis providers: ``_faker_vec`` node trees fed from Mimesis' JSON locale data.

Input: a Mimesis provider instance for one locale (its ``_extract`` view of the locale's merged JSON
dataset), a method name and the call's literal arguments.
Output: a ``Node`` drawing the same distribution as the method, or ``NotVectorizable``.

Hand-written builders cover ``person.name/first_name/surname/last_name/full_name/username/
email/phone_number/telephone``; methods of the exact shapes
``return self.random.choice(self._extract([...]))`` (e.g. ``address.city``, ``address.country``,
``address.street_name``) and ``return self.random.generate_string_by_mask(self._extract([...]))``
(``address.postal_code``) are recognized from their source. Not reproduced: Mimesis' exact
output for a seed, and ``email(unique=True)`` (uuid-based; Mimesis rejects it for seeded
providers anyway).
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import string
from collections.abc import Callable
from typing import Any

from synthdsl.expr._faker_vec import (
    Choice,
    IntRange,
    Node,
    NotVectorizable,
    Part,
    Pattern,
    Slot,
    Template,
    method_body,
)

_UPPER = Slot(string.ascii_uppercase)  # generate_string_by_mask: char placeholder -> A-Z
_DIGIT = Slot(string.digits)


def build(inst: Any, name: str, args: tuple, kwargs: dict[str, Any]) -> Node:
    """The node for ``inst.<name>(*args, **kwargs)``; raises NotVectorizable."""
    method = getattr(inst, name, None)
    if not inspect.ismethod(method):
        raise NotVectorizable("not a provider method")
    hand = _handwritten().get(method.__func__)
    if hand is not None:
        bound = inspect.signature(method).bind(*args, **kwargs)
        bound.apply_defaults()
        return hand(inst, **bound.arguments)
    if args or kwargs:
        raise NotVectorizable("arguments are only vectorized for known providers")
    shape = _shape(method.__func__)
    if shape is None:
        raise NotVectorizable(f"{method.__qualname__} has no known shape")
    data = inst._extract(list(shape[1]))
    if shape[0] == "choice":
        if not isinstance(data, list):
            raise NotVectorizable("data is not a list")
        return Choice(data)
    if not isinstance(data, str):
        raise NotVectorizable("mask is not a string")
    return Pattern.from_mask(data, {"#": _DIGIT, "@": _UPPER})


def _genders(gender: Any) -> list[str]:
    """Mimesis picks a random ``Gender`` member per call when ``gender`` is None."""
    from mimesis.enums import Gender

    if gender is None:
        return [g.value for g in Gender]
    if isinstance(gender, Gender):
        return [gender.value]
    raise NotVectorizable("gender is not a Gender")


def _by_gender(table: Any, gender: Any) -> Node:
    if isinstance(table, list):
        return Choice(table)
    if isinstance(table, dict):
        return Template([[Choice(table[g])] for g in _genders(gender)])
    raise NotVectorizable("unexpected name data")


def _first(inst: Any, gender: Any = None) -> Node:
    names = inst._extract(["names"])
    if not isinstance(names, dict):
        raise NotVectorizable("unexpected name data")
    return _by_gender(names, gender)


def _last(inst: Any, gender: Any = None) -> Node:
    return _by_gender(inst._extract(["surnames"]), gender)


def _full(inst: Any, gender: Any = None, reverse: bool = False) -> Node:
    # name() and surname() each draw their own gender when none is given, as Mimesis does.
    first, last = _first(inst, gender), _last(inst, gender)
    return Template([[last, " ", first] if reverse else [first, " ", last]])


def _username(inst: Any, mask: str | None = None, drange: Any = (1800, 2100)) -> Node:
    from mimesis.datasets import USERNAMES

    if len(drange) != 2:
        raise NotVectorizable("bad drange")
    tags = re.findall(r"[CUld.\-_]", "l_d" if mask is None else mask)
    parts: list[Part] = []
    for tag in tags:
        if tag == "C":
            parts.append(Choice([u.capitalize() for u in USERNAMES]))
        elif tag == "U":
            parts.append(Choice([u.upper() for u in USERNAMES]))
        elif tag == "l":
            parts.append(Choice([u.lower() for u in USERNAMES]))
        elif tag == "d":
            parts.append(IntRange(int(drange[0]), int(drange[1])))
        else:
            parts.append(tag)
    return Template([parts])


def _email(inst: Any, domains: Any = None, unique: bool = False) -> Node:
    from mimesis.datasets import EMAIL_DOMAINS

    if unique:
        raise NotVectorizable("unique emails are uuid-based")
    doms = [d if d.startswith("@") else "@" + d for d in (domains or EMAIL_DOMAINS)]
    return Template([[_username(inst, "ld"), Choice(doms)]])


def _phone(inst: Any, mask: str = "", placeholder: str = "#", e164: bool = False) -> Node:
    from mimesis.datasets import CALLING_CODES

    slots = {placeholder: _DIGIT, "@": _UPPER}

    def pattern(text: str) -> Pattern:
        if e164:  # "+" and the digits only, as Mimesis strips the formatted number
            text = "+" + "".join(c for c in text if c == placeholder or c.isdigit())
        return Pattern.from_mask(text, slots)

    if mask:
        return pattern(mask)
    masks = inst._extract(["telephone_fmt"], default=None)
    if masks is None:  # default mask: a random calling code, then "-(###)-###-####"
        if placeholder != "#":
            raise NotVectorizable("custom placeholder with the default mask")
        if e164:
            codes = ["+" + "".join(c for c in code if c.isdigit()) for code in CALLING_CODES]
            return Template([[Choice(codes), Pattern.from_mask("#" * 10, slots)]])
        return Template(
            [[Choice(list(CALLING_CODES)), Pattern.from_mask("-(###)-###-####", slots)]]
        )
    if not isinstance(masks, list) or not all(isinstance(m, str) for m in masks):
        raise NotVectorizable("unexpected telephone masks")
    return Template([[pattern(m)] for m in masks])


def _telephone(inst: Any, args: tuple = (), kwargs: dict[str, Any] | None = None) -> Node:
    bound = inspect.signature(inst.phone_number).bind(*args, **(kwargs or {}))
    bound.apply_defaults()
    return _phone(inst, **bound.arguments)


@functools.cache
def _handwritten() -> dict[Callable, Callable[..., Node]]:
    from mimesis.providers.person import Person

    return {
        Person.name: _first,
        Person.first_name: _first,
        Person.surname: _last,
        Person.last_name: _last,
        Person.full_name: _full,
        Person.username: _username,
        Person.email: _email,
        Person.phone_number: _phone,
        Person.telephone: _telephone,
    }


def _extract_keys(node: ast.AST | None) -> tuple[str, ...] | None:
    """``self._extract(["a", "b"])`` -> ("a", "b")."""
    if not (
        isinstance(node, ast.Call)
        and not node.keywords
        and len(node.args) == 1
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_extract"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
        and isinstance(node.args[0], ast.List)
    ):
        return None
    keys = [e.value for e in node.args[0].elts if isinstance(e, ast.Constant)]
    if len(keys) != len(node.args[0].elts) or not all(isinstance(k, str) for k in keys):
        return None
    return tuple(keys)


def _random_call(node: ast.AST | None, method: str) -> ast.expr | None:
    """The single argument of ``self.random.<method>(x)``."""
    if (
        isinstance(node, ast.Call)
        and not node.keywords
        and len(node.args) == 1
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "random"
        and isinstance(node.func.value.value, ast.Name)
        and node.func.value.value.id == "self"
    ):
        return node.args[0]
    return None


@functools.cache
def _shape(func: Callable) -> tuple[str, tuple[str, ...]] | None:
    """("choice", keys) / ("mask", keys) for the two data-only method shapes, else None."""
    body = method_body(func)
    if body is None:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Return):
        for kind, method in (("choice", "choice"), ("mask", "generate_string_by_mask")):
            keys = _extract_keys(_random_call(body[0].value, method))
            if keys:
                return (kind, keys)
        return None
    if len(body) == 2 and isinstance(body[1], ast.Return):
        first = body[0]
        target = value = None
        if isinstance(first, ast.Assign) and len(first.targets) == 1:
            target, value = first.targets[0], first.value
        elif isinstance(first, ast.AnnAssign):
            target, value = first.target, first.value
        keys = _extract_keys(value)
        arg = _random_call(body[1].value, "choice")
        if keys and isinstance(target, ast.Name) and isinstance(arg, ast.Name):
            return ("choice", keys) if arg.id == target.id else None
    return None
