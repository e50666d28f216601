"""Provider calls (``faker.*``, ``mimesis.*``): resolve the provider once, give the call its draw
ordinal, and generate a block's values from the step's ``provider`` stream with that ordinal.

The ordinal counts the provider calls compiled in the scope (``_next_draw`` increments the scope's
``draw_counter``), so no two calls share a key.
"""

from __future__ import annotations

import numpy as np

from synthdsl.dtypes import DType
from synthdsl.errors import Diagnostic
from synthdsl.expr import _provider_types
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
        comp.scope.error(exc.code, exc.message, node.func, exc.hint or hint)
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
    comp.scope.providers.setdefault(comp.scope.column_name, []).append(prov)

    nullable = prov.nullable

    def fn(ctx: Ctx) -> Values:
        raw = prov.generate(ctx.key_for("provider", ordinal), ctx.n)
        if not nullable:
            return Values(_coerce_provider(raw, typ))
        raw, null = _provider_types.fill_nulls(raw, typ)  # None -> a null, as `text?` shows it
        return Values(_coerce_provider(raw, typ), null)

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


def null_diagnostic(column: str, dtype: DType, c: Compiled, node: ast.Node) -> Diagnostic | None:
    """E371 when a column is exactly a call of a provider seen returning None but is not nullable.

    (Inside a larger expression, a None is a null like any other: the row's value decides.)
    """
    prov = c.provider
    if prov is None or isinstance(prov, tuple) or not getattr(prov, "nullable", False):
        return None
    if dtype.nullable:
        return None
    return Diagnostic(
        "E371",
        f"{prov.qualname}() can return null (None), but column '{column}' is not nullable",
        node.span,
        f"declare it `{column} {dtype}?` to keep the nulls, or use another provider",
    )
