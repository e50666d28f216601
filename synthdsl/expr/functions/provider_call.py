"""Provider calls (``faker.*``, ``mimesis.*``): resolve the provider once, give the call its draw
ordinal, and generate a block's values from the step's ``provider`` stream with that ordinal.

The ordinal counts the provider calls compiled in the scope (``_next_draw`` increments the scope's
``draw_counter``), so no two calls share a key.
"""

from __future__ import annotations

import numpy as np

from synthdsl.expr.context import Compiled, Ctx
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast
from synthdsl.values import Values


def _next_draw(comp: CompilerLike) -> int:
    comp.scope.draw_counter[0] += 1
    return comp.scope.draw_counter[0]


def _provider(comp: CompilerLike, node: ast.Call, path: tuple[str, ...]) -> Compiled:
    from synthdsl.expr import providers

    args = []
    for a in node.args:
        c = comp.compile(a)
        if not c.is_const:
            comp.scope.error("E350", "provider arguments must be constants", a)
            return comp.bad()
        args.append(c.const)
    kwargs = {}
    for k in node.kwargs:
        c = comp.compile(k.value)
        if not c.is_const:
            comp.scope.error("E350", "provider arguments must be constants", k.value)
            return comp.bad()
        kwargs[k.name] = c.const
    try:
        prov = providers.resolve(
            path[0], tuple(path[1:]), tuple(args), kwargs, comp.scope.locale, comp.scope.today
        )
    except providers.ProviderError as exc:
        hint = None
        if exc.suggestions:
            close = [f"'{s}'" for s in exc.suggestions[:3]]
            hint = (
                "did you mean "
                + (close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1])
                + "?"
            )
        comp.scope.error("E351", exc.message, node.func, hint)
        return comp.bad()
    typ = {
        "text": "text",
        "int": "int",
        "float": "float",
        "bool": "bool",
        "date": "date",
        "datetime": "datetime",
        "decimal": "float",
    }.get(prov.result_kind, "text")
    ordinal = _next_draw(comp)

    def fn(ctx: Ctx) -> Values:
        raw = prov.generate(ctx.key_for("provider", ordinal), ctx.n)
        return Values(_coerce_provider(raw, typ))

    return Compiled(fn, typ, random=True, provider=prov)


def _coerce_provider(raw: np.ndarray, typ: str) -> np.ndarray:
    if typ == "text":
        if raw.dtype == object:
            return raw
        return raw.astype(str).astype(object)
    if typ in ("date", "datetime") and raw.dtype.kind == "M":  # vectorized: already datetime64
        return raw.astype("datetime64[D]" if typ == "date" else "datetime64[us]")
    if typ == "date":
        return np.array(raw.tolist(), dtype="datetime64[D]")
    if typ == "datetime":
        return np.array([x.replace(tzinfo=None) for x in raw.tolist()], dtype="datetime64[us]")
    if typ == "int":
        return np.asarray(raw, dtype=np.int64)
    if typ == "float":
        return np.asarray(raw, dtype=np.float64)
    return np.asarray(raw, dtype=bool)
