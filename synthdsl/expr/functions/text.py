"""Text functions: ``format`` (with ``{:spec}`` fields), ``concat``, ``upper`` / ``lower`` / ``length``,
and ``_to_text``, the vectorized conversion the casts share.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from synthdsl._lazy import lazy
from synthdsl.expr.context import Compiled, Ctx, merge_null
from synthdsl.expr.functions._common import _arity, _join, _no_kwargs, _want
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy("pandas")


def _to_text(data: np.ndarray, spec: str = "") -> np.ndarray:
    """Vectorized conversion to text, honouring a format spec such as ``04d`` or ``.2f``."""
    kind = data.dtype.kind
    if kind == "O":
        if spec:
            return np.array([format(x, spec) for x in data.tolist()], dtype=object)
        return data
    if kind == "M":
        unit = "D" if data.dtype == np.dtype("datetime64[D]") else "s"
        return np.datetime_as_string(data, unit=unit).astype(object)
    if kind == "b":
        return np.where(data, "true", "false").astype(object)
    if spec:
        m = re.fullmatch(r"([0 ]?)(\d*)(?:\.(\d+))?([dfeg%x]?)", spec)
        if m is None:
            return np.array([format(x, spec) for x in data.tolist()], dtype=object)
        fill, width, prec, conv = m.groups()
        conv = conv or ("d" if kind in "iu" else "f")
        if conv == "d" and kind == "f":
            data = np.round(data).astype(np.int64)
        printf = "%" + (fill or "") + width + (f".{prec}" if prec else "") + conv
        return np.char.mod(printf, data).astype(object)
    if kind in "iu":
        return data.astype(str).astype(object)
    return np.array([repr(float(x)) for x in data.tolist()], dtype=object)


MAX_WIDTH = 1000  # a field's width or precision: more is a mistake (and memory per row)
_FIELD = re.compile(r"\{\{|\}\}|\{(?::([^{}]*))?\}")


def _format(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "format", 1, None) or not _no_kwargs(comp, node, "format"):
        return comp.bad()
    tmpl = comp.compile(node.args[0])
    if not (tmpl.is_const and tmpl.type == "text"):
        comp.scope.error("E361", "format() needs a constant template string", node.args[0])
        return comp.bad()
    pieces: list[str | tuple[int, str]] = []
    pos, field_no = 0, 0
    text = tmpl.const
    for m in _FIELD.finditer(text):
        pieces.append(text[pos : m.start()])
        if m.group(0) in ("{{", "}}"):
            pieces.append(m.group(0)[0])
        else:
            pieces.append((field_no, m.group(1) or ""))
            field_no += 1
        pos = m.end()
    pieces.append(text[pos:])
    for piece in pieces:
        if isinstance(piece, tuple) and any(
            int(d) > MAX_WIDTH for d in re.findall(r"\d+", piece[1])
        ):
            comp.scope.error(
                "E365",
                f"format() field '{{:{piece[1][:40]}}}' asks for a width or precision above "
                f"{MAX_WIDTH}",
                node.args[0],
            )
            return comp.bad()
    args = [comp.compile(a) for a in node.args[1:]]
    if field_no != len(args):
        comp.scope.error(
            "E362",
            f"format() template has {field_no} placeholder(s) but {len(args)} value(s) follow",
            node,
        )
        return comp.bad()

    def fn(ctx: Ctx) -> Values:
        vals = [a.fn(ctx) for a in args]
        out = np.empty(ctx.n, dtype=object)
        out[:] = ""
        for piece in pieces:
            if isinstance(piece, str):
                if piece:
                    out = out + piece
            else:
                out = out + _to_text(vals[piece[0]].data, piece[1])
        return Values(out, merge_null(*vals) if vals else None)

    return Compiled(fn, "text", **_join(args))


def _concat(comp: CompilerLike, node: ast.Call) -> Compiled:
    if not _arity(comp, node, "concat", 1, None) or not _no_kwargs(comp, node, "concat"):
        return comp.bad()
    args = [comp.compile(a) for a in node.args]

    def fn(ctx: Ctx) -> Values:
        vals = [a.fn(ctx) for a in args]
        out = _to_text(vals[0].data)
        for v in vals[1:]:
            out = out + _to_text(v.data)
        return Values(out, merge_null(*vals))

    return Compiled(fn, "text", **_join(args))


def _text1(name: str, f: Callable[[pd.Series], pd.Series], result: str):
    def handler(comp: CompilerLike, node: ast.Call) -> Compiled:
        if not _arity(comp, node, name, 1, 1) or not _no_kwargs(comp, node, name):
            return comp.bad()
        c = comp.compile(node.args[0])
        _want(comp, c, ("text",), node.args[0], f"{name}() argument")

        def fn(ctx: Ctx) -> Values:
            v = c.fn(ctx)
            out = f(pd.Series(v.data, dtype=object))
            dtype = object if result == "text" else np.int64
            return Values(out.to_numpy(dtype=dtype), v.null)

        return Compiled(fn, result, **_join([c]))

    return handler
