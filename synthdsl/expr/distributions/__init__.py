"""Parametric distributions the executor draws column values from, including exact truncated draws.

Input: a distribution name from a spec (``normal``, ``poisson``, ...), its arguments (constants, or
per-row numpy arrays of length ``n`` when a parameter is an expression such as
``normal(age * 0.5, 2)``), a numpy ``Generator`` and optionally an interval ``low <op> x <op> high``
(scalars or per-row arrays).
Output: a numpy array of ``n`` values (float64, int64 or bool according to ``Distribution.kind``),
the interval's probability (``interval_mass``) and validation messages (``check``).

Why truncation lives here: the planner turns a rule on a drawn column (``x > 3.5`` on
``x ~ normal(0, 1)``) into a draw from the distribution conditioned on the interval. Rejection
sampling would need unbounded retries for unlikely intervals (``x > 8`` has probability 6e-16), so
every truncated draw here is an inverse-CDF draw: one uniform per row, mapped through the quantile
function restricted to the interval. That costs the same however unlikely the interval is, and
consumes exactly ``n`` uniforms, so the output depends only on the generator's state. Tail intervals
are computed on the survival-function side (or in log space for the normal and lognormal) so that
conditional draws far in a tail stay exact and finite.

Intervals of vanishing probability: the normal, lognormal, exponential, uniform and geometric
samplers are exact for any interval; gamma, beta, poisson, binomial and zipf raise
``EmptyIntervalError`` when the interval's probability underflows to 0 in double precision (below
about 1e-308), since no float computation can place draws there.

Modules: ``base`` (``Distribution``: binding, validation, the public drawing API), ``_common``
(errors, parameter rules, message text, bounds), ``continuous`` and ``discrete`` (the families and
their exact truncated draws) and ``registry`` (the distributions specs can name).
"""

from synthdsl.expr.distributions._common import EmptyIntervalError, InvalidParameterError
from synthdsl.expr.distributions.base import Distribution
from synthdsl.expr.distributions.registry import DISTRIBUTIONS, UNIFORM_INT, get

__all__ = [
    "DISTRIBUTIONS",
    "UNIFORM_INT",
    "Distribution",
    "EmptyIntervalError",
    "InvalidParameterError",
    "get",
]
