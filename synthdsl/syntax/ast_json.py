"""AST nodes <-> plain JSON data, so an execution plan can carry expressions as data.

Input: any node of ``synthdsl.ast``. Output: a value made only of dict, list, str, int, float, bool
and None that ``json.dumps`` writes and ``json.loads`` reads back unchanged, and ``from_json`` turns
into an equal node *with its spans*, so an error raised while running a decoded plan still says
``path:line:col``. Every dataclass of ``ast.py`` is covered through ``dataclasses.fields``; nothing
here names a node class, so a new node or field needs no change.

Encoding, chosen so that ``json.dumps(..., sort_keys=True)`` is a stable, lossless text:

* a node is ``{"node": "ClassName", "at": SPAN, field: value, ...}`` with every field written;
  ``"at"`` is left out when the span is ``NO_SPAN``;
* a span is ``[path, line, column, end_line, end_column]``, or ``[line, column, end_line,
  end_column]`` when its path is that of the nearest enclosing span (the usual case: one file per
  tree), which keeps a plan small. ``path`` is None for a span without a source. A span held in
  another field (``Column.nulls_span``) is ``{"span": SPAN}``, with ``[]`` for ``NO_SPAN``;
* a tuple is a list (every list decodes back to a tuple: the AST holds no lists);
* what JSON cannot hold exactly is tagged: a non-finite float ``{"float": "inf"}`` (``"-inf"``,
  ``"nan"``; a spec may write ``1e999``), an int too long for ``int(str)``'s digit limit
  ``{"int": "0x..."}``, and a string holding surrogate code points ``{"codepoints": [...]}``
  (``json.loads`` would merge an escaped high+low pair into one character).

Decoding takes the path of a span back to a ``SourceFile`` through ``source_for``; when it answers
None the span gets a ``SourceFile`` with that path and empty text, so messages still say
``path:line:col`` and ``errors.render`` leaves out the line and caret it cannot show.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

from synthdsl.source import NO_SPAN, SourceFile, Span
from synthdsl.syntax import ast

Json = dict[str, "Json"] | list["Json"] | str | int | float | bool | None
SourceFor = Callable[[str], SourceFile | None]

NODES: dict[str, type[ast.Node]] = {
    name: cls
    for name, cls in vars(ast).items()
    if isinstance(cls, type) and issubclass(cls, ast.Node) and cls.__name__ == name
}
"""The only classes ``from_json`` builds, by tag: the node classes of ``ast.py``, nothing else."""

_FIELDS: dict[type[ast.Node], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls) if f.name != "span")
    for cls in NODES.values()
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_BITS = 13_000  # about 3,900 digits, under Python's default 4,300-digit int<->str limit
_TAGS = ("float", "int", "codepoints", "span")


def _no_sources(path: str) -> SourceFile | None:
    return None


def to_json(node: ast.Node) -> dict[str, Json]:
    """``node`` as JSON data; ``from_json`` gives back an equal node with the same spans."""
    if not isinstance(node, ast.Node):
        raise TypeError(f"not an AST node: {type(node).__name__}")
    return _node(node, None)


def relocate(value: Json, path_map: Callable[[str], str]) -> Json:
    """``value`` (from ``to_json``) with every span path written as ``path_map(path)``: a plan
    names spec files relative to the main spec's folder, whatever the working directory."""
    if isinstance(value, list):
        return [relocate(x, path_map) for x in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Json] = {}
    for k, v in value.items():
        if k in ("at", "span") and isinstance(v, list) and len(v) == 5 and isinstance(v[0], str):
            out[k] = [path_map(v[0]), *v[1:]]
        else:
            out[k] = relocate(v, path_map)
    return out


def _node(node: ast.Node, ctx: str | None) -> dict[str, Json]:
    out: dict[str, Json] = {"node": type(node).__name__}
    if _has_span(node.span):
        out["at"], ctx = _span(node.span, ctx)
    for name in _FIELDS[type(node)]:
        out[name] = _value(getattr(node, name), ctx)
    return out


def _has_span(span: Span) -> bool:
    """False for ``NO_SPAN`` (by value: no source, all zeros), which is left out."""
    return span.source is not None or any((span.line, span.column, span.end_line, span.end_column))


def _span(span: Span, ctx: str | None) -> tuple[list[Json], str | None]:
    """The span as a list, and the path its children inherit."""
    path = span.source.path if span.source is not None else None
    nums: list[Json] = [span.line, span.column, span.end_line, span.end_column]
    return (nums if path == ctx else [path, *nums]), path


def _value(v: Any, ctx: str | None) -> Json:
    if isinstance(v, ast.Node):
        return _node(v, ctx)
    if isinstance(v, Span):
        return {"span": _span(v, ctx)[0] if _has_span(v) else []}
    if isinstance(v, tuple):
        return [_value(x, ctx) for x in v]
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v) if v.bit_length() <= _INT_BITS else {"int": hex(v)}
    if isinstance(v, float):
        return float(v) if math.isfinite(v) else {"float": repr(float(v))}
    if isinstance(v, str):
        return str(v) if not _SURROGATE.search(v) else {"codepoints": [ord(c) for c in v]}
    raise TypeError(f"cannot encode {type(v).__name__} in an AST")


def from_json(value: Json, source_for: SourceFor = _no_sources) -> ast.Node:
    """The node ``to_json`` encoded as ``value``.

    ``source_for(path)`` gives the ``SourceFile`` a span points into (asked once per path), or None
    when the text is unknown. Raises ValueError, naming what it refuses, on an unknown node tag or
    field, a missing field, a malformed span or tagged value: only the classes in ``NODES`` are ever
    built (field values are not checked against their annotations; ``ast.py`` does not either).
    """
    if not (isinstance(value, dict) and "node" in value):
        raise ValueError(f"not an encoded AST node: {value!r:.80}")
    return _Decoder(source_for).node(value, None)


class _Decoder:
    def __init__(self, source_for: SourceFor):
        self.source_for = source_for
        self.sources: dict[str, SourceFile] = {}  # one SourceFile per path, shared by its spans

    def node(self, d: dict[str, Json], ctx: str | None) -> ast.Node:
        tag = d["node"]
        cls = NODES.get(tag) if isinstance(tag, str) else None
        if cls is None:
            raise ValueError(f"unknown AST node tag {tag!r}")
        span = NO_SPAN
        if "at" in d:
            span, ctx = self.span(d["at"], ctx)
        fields = _FIELDS[cls]
        extra = sorted(set(d) - {"node", "at", *fields})
        if extra:
            raise ValueError(f"{tag} has no field(s) {', '.join(extra)}")
        kwargs = {name: self.value(d[name], ctx) for name in fields if name in d}
        try:
            return cls(**kwargs, span=span)
        except TypeError as err:
            raise ValueError(f"bad {tag} node: {err}") from err

    def span(self, raw: Json, ctx: str | None) -> tuple[Span, str | None]:
        if not isinstance(raw, list) or len(raw) not in (0, 4, 5):
            raise ValueError(f"bad span {raw!r}")
        if not raw:
            return NO_SPAN, ctx
        path = raw[0] if len(raw) == 5 else ctx
        nums = raw[-4:]
        if not (path is None or isinstance(path, str)) or not all(type(n) is int for n in nums):
            raise ValueError(f"bad span {raw!r}")
        if path is None:
            return (NO_SPAN if not any(nums) else Span(None, *nums)), path
        return Span(self.source(path), *nums), path

    def source(self, path: str) -> SourceFile:
        if path not in self.sources:
            self.sources[path] = self.source_for(path) or SourceFile(path, "")
        return self.sources[path]

    def value(self, v: Json, ctx: str | None) -> Any:
        if isinstance(v, list):
            return tuple(self.value(x, ctx) for x in v)
        if not isinstance(v, dict):
            return v
        if "node" in v:
            return self.node(v, ctx)
        if len(v) != 1 or next(iter(v)) not in _TAGS:
            raise ValueError(f"unknown tagged value {v!r:.80}")
        tag, x = next(iter(v.items()))
        if tag == "span":
            return self.span(x, ctx)[0]
        if tag == "float" and x in ("inf", "-inf", "nan"):
            return float(x)
        if tag == "int" and isinstance(x, str):
            return int(x, 16)
        if tag == "codepoints" and isinstance(x, list) and all(type(c) is int for c in x):
            return "".join(map(chr, x))
        raise ValueError(f"bad {tag} value {x!r:.80}")
