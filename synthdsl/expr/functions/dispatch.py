"""``compile_call``: dispatch a call by name to its handler, a child aggregate or a distribution.

``FUNCTION_NAMES`` lists the handlers; distribution names come from
``distributions.DISTRIBUTIONS``; ``faker.*`` / ``mimesis.*`` go to ``provider_call``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from synthdsl.errors import did_you_mean
from synthdsl.expr import aggregate, distributions
from synthdsl.expr.context import Compiled
from synthdsl.expr.functions.categorical import _categorical, _empirical, _mixture
from synthdsl.expr.functions.child_aggregates import _aggregate, _aggregate_target
from synthdsl.expr.functions.dates import (
    _between,
    _date_field,
    _duration,
    _parse_date,
    _whole_days,
    _whole_years,
)
from synthdsl.expr.functions.draws import _distribution
from synthdsl.expr.functions.provider_call import _provider
from synthdsl.expr.functions.scalar import (
    _cast,
    _coalesce,
    _lookup,
    _math1,
    _minmax,
    _round,
    _serial,
)
from synthdsl.expr.functions.text import _concat, _format, _text1
from synthdsl.expr.protocol import CompilerLike
from synthdsl.syntax import ast


def compile_call(comp: CompilerLike, node: ast.Call) -> Compiled:
    path = node.path
    if path is None:
        comp.scope.error("E324", "only named functions can be called", node)
        return comp.bad()
    if path[0] in ("faker", "mimesis") and len(path) >= 2:
        return _provider(comp, node, path)
    if len(path) != 1:
        comp.scope.error("E325", f"unknown function '{'.'.join(path)}'", node.func)
        return comp.bad()
    name = path[0]
    if name in aggregate.FUNCTIONS and (
        name not in _HANDLERS or _aggregate_target(comp, node) is not None
    ):
        return _aggregate(comp, node, name)
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(comp, node)
    dist = distributions.get(name)
    if dist is not None:
        return _distribution(comp, node, dist)
    known = [*_HANDLERS, *distributions.DISTRIBUTIONS]
    comp.scope.error("E325", f"unknown function '{name}'", node.func, did_you_mean(name, known))
    return comp.bad()


_HANDLERS: dict[str, Callable[[CompilerLike, ast.Call], Compiled]] = {
    "categorical": _categorical,
    "empirical": _empirical,
    "mixture": _mixture,
    "serial": _serial,
    "date": lambda c, n: _parse_date(c, n, "date"),
    "datetime": lambda c, n: _parse_date(c, n, "datetime"),
    "days": _duration("D"),
    "weeks": _duration("W"),
    "hours": _duration("h"),
    "minutes": _duration("m"),
    "seconds": _duration("s"),
    "years_between": _between("years_between", _whole_years),
    "days_between": _between("days_between", _whole_days),
    "year": _date_field(0, "year"),
    "month": _date_field(1, "month"),
    "day": _date_field(2, "day"),
    "coalesce": _coalesce,
    "lookup": _lookup,
    "round": _round,
    "floor": _math1("floor", np.floor, "int"),
    "ceil": _math1("ceil", np.ceil, "int"),
    "abs": _math1("abs", np.abs, None),
    "sqrt": _math1("sqrt", np.sqrt, "float"),
    "log": _math1("log", np.log, "float"),
    "exp": _math1("exp", np.exp, "float"),
    "min": _minmax("min"),
    "max": _minmax("max"),
    "int": _cast("int"),
    "float": _cast("float"),
    "text": _cast("text"),
    "format": _format,
    "concat": _concat,
    "upper": _text1("upper", lambda s: s.str.upper(), "text"),
    "lower": _text1("lower", lambda s: s.str.lower(), "text"),
    "length": _text1("length", lambda s: s.str.len(), "int"),
}

FUNCTION_NAMES = tuple(sorted(_HANDLERS))
