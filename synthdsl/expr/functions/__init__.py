"""Built-in functions of the expression language: draws, providers, dates, text, lookups.

``compile_call`` dispatches a call by name. Distribution names come from ``distributions.DISTRIBUTIONS``;
``categorical``, ``empirical`` and ``mixture`` are composed here because their arguments are labels,
dataset columns or other draws. Providers (``faker.*``, ``mimesis.*``) resolve through ``providers``.
Every function types its arguments and reports mistakes at the argument's span.

Modules: ``dispatch`` (``compile_call`` and the table of handlers), ``_common`` (argument checks),
``draws`` (distribution calls), ``categorical`` (categorical, empirical, mixture),
``provider_call`` (``faker.*`` / ``mimesis.*`` calls and their draw ordinals),
``child_aggregates`` (``sum(CHILD.COL)`` and friends), ``dates``, ``scalar`` (serial, coalesce,
lookup, math, casts) and ``text``.
"""

from synthdsl.expr.functions._common import WEIGHT_TOLERANCE
from synthdsl.expr.functions.dispatch import FUNCTION_NAMES, compile_call
from synthdsl.expr.functions.draws import discrete_uniform

__all__ = ["FUNCTION_NAMES", "WEIGHT_TOLERANCE", "compile_call", "discrete_uniform"]
