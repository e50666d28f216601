"""Faker providers -> nodes: ``FakerVectorizer`` builds (and memoizes) the node of a provider.

A method is built by a hand-written builder (``handwritten``) when there is one, else from its
source shape (``shapes``); ``{{token}}`` formats are parsed into ``Template`` branches.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Sequence
from typing import Any

from synthdsl.expr._faker_vec.handwritten import _handwritten
from synthdsl.expr._faker_vec.identifiers import builders as identifier_builders
from synthdsl.expr._faker_vec.nodes import (
    Choice,
    IntRange,
    Node,
    NotVectorizable,
    Part,
    Pattern,
    Template,
    weighted,
)
from synthdsl.expr._faker_vec.shapes import _shape

# Faker's token syntax (faker.generator._re_token), copied so a Faker refactor cannot break us.

_TOKEN = re.compile(r"\{\{\s*(\w+)(:\s*\w+?)?\s*\}\}")


def _formats(data: Any) -> tuple[list[str], list[float] | None]:
    """Formats with repeats merged into weights (Faker weights formats by listing them twice)."""
    keys, weights = weighted(data)
    merged: dict[str, float] = {}
    for i, k in enumerate(keys):
        if not isinstance(k, str):
            raise NotVectorizable("format is not a string")
        merged[k] = merged.get(k, 0.0) + (1.0 if weights is None else weights[i])
    return list(merged), list(merged.values())


class FakerVectorizer:
    """Builds nodes for one Faker locale; tokens are memoized because formats share them."""

    def __init__(self, fake: Any):
        self.fake = fake
        self._memo: dict[str, Node | NotVectorizable] = {}
        self._busy: set[Any] = set()
        # One build at a time: the memo and the recursion guard are shared, and a spurious
        # "recursive" failure would silently move a column to the (differently drawn) generic path.
        self._lock = threading.RLock()

    def node(
        self, name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
    ) -> Node:
        """The node for ``faker.<name>(*args, **kwargs)``; raises NotVectorizable."""
        with self._lock:
            if not args and not kwargs:
                return self.token(name)
            return self._method(getattr(self.fake, name, None), tuple(args), dict(kwargs or {}))

    def token(self, name: str) -> Node:
        """The node for ``{{name}}`` in a format (called without arguments)."""
        hit = self._memo.get(name)
        if hit is None:
            try:
                hit = self._method(getattr(self.fake, name, None), (), {})
            except NotVectorizable as exc:
                hit = exc
            self._memo[name] = hit
        if isinstance(hit, NotVectorizable):
            raise hit
        return hit

    def _method(self, bm: Any, args: tuple, kwargs: dict[str, Any]) -> Node:
        if not inspect.ismethod(bm):
            raise NotVectorizable("not a provider method")
        func, inst = bm.__func__, bm.__self__
        if func in self._busy:
            raise NotVectorizable("recursive format")
        self._busy.add(func)
        try:
            hand = _handwritten().get(func) or identifier_builders().get(func)
            if hand is not None:
                bound = inspect.signature(bm).bind(*args, **kwargs)
                bound.apply_defaults()
                return hand(self, inst, **bound.arguments)
            if args or kwargs:
                raise NotVectorizable("arguments are only vectorized for known providers")
            shape = _shape(func)
            if shape is None:
                raise NotVectorizable(f"{func.__qualname__} has no known shape")
            return self._from_shape(inst, shape)
        finally:
            self._busy.discard(func)

    def _from_shape(self, inst: Any, shape: tuple) -> Node:
        kind = shape[0]
        if kind == "choice":
            return Choice(*weighted(getattr(inst, shape[1])))
        if kind == "parse":
            return self.parse_formats(getattr(inst, shape[1]))
        if kind == "alias":
            return self._method(getattr(inst, shape[1], None), (), {})
        if kind == "hasattr":
            _, attr, fallback = shape
            if hasattr(inst, attr):
                return Choice(*weighted(getattr(inst, attr)))
            return self._method(getattr(inst, fallback, None), (), {})
        if kind == "intfmt":
            return IntRange(shape[1], shape[2], shape[3])
        if kind == "pattern":
            _, how, source, what, case = shape
            if source == "const":
                node: Node = Pattern.faker(what, how)
            elif source == "attr":
                text = getattr(inst, what)
                if not isinstance(text, str):
                    raise NotVectorizable("mask attribute is not a string")
                node = Pattern.faker(text, how)
            else:
                keys, weights = _formats(getattr(inst, what))
                node = Template([[Pattern.faker(k, how)] for k in keys], weights)
            if case:
                fn = getattr(str, case)
                node = node.map_text(fn, fn)
            return node
        raise NotVectorizable(f"unknown shape {kind}")

    def parse_formats(self, data: Any, how: str | None = None) -> Template:
        """``generator.parse(random_element(formats))``; ``how`` also applies bothify/numerify."""
        keys, weights = _formats(data)
        return Template([self._parse(k, how) for k in keys], weights)

    def _parse(self, fmt: str, how: str | None) -> list[Part]:
        parts: list[Part] = []
        pos = 0
        for m in _TOKEN.finditer(fmt):
            if m.start() > pos:
                parts.append(self._literal(fmt[pos : m.start()], how))
            if m.group(2):
                raise NotVectorizable("argument groups are not vectorized")
            parts.append(self.token(m.group(1)))
            pos = m.end()
        if pos < len(fmt):
            parts.append(self._literal(fmt[pos:], how))
        return parts

    @staticmethod
    def _literal(text: str, how: str | None) -> Part:
        if how is None:
            return text
        pat = Pattern.faker(text, how)
        return text if all(isinstance(it, str) for it in pat.items) else pat
