"""The distributions a spec can name (``DISTRIBUTIONS``, ``get``) and the integer ``uniform``."""

from __future__ import annotations

from types import MappingProxyType

from synthdsl.expr.distributions.base import Distribution
from synthdsl.expr.distributions.continuous import (
    _Beta,
    _Exponential,
    _Gamma,
    _LogNormal,
    _Normal,
    _Uniform,
)
from synthdsl.expr.distributions.discrete import (
    _Bernoulli,
    _Binomial,
    _Geometric,
    _Poisson,
    _UniformInt,
    _Zipf,
)

UNIFORM_INT: Distribution = _UniformInt("uniform", ("low", "high"), MappingProxyType({}))


def _make() -> dict[str, Distribution]:
    def d(cls: type[Distribution], name: str, params: str, **defaults: float) -> Distribution:
        return cls(name, tuple(params.split()), MappingProxyType(defaults))

    items = [
        d(_Uniform, "uniform", "low high"),
        d(_Normal, "normal", "mean sd", mean=0.0, sd=1.0),
        d(_LogNormal, "lognormal", "mu sigma", mu=0.0, sigma=1.0),
        d(_Exponential, "exponential", "mean", mean=1.0),
        d(_Gamma, "gamma", "shape scale", scale=1.0),
        d(_Beta, "beta", "a b"),
        d(_Poisson, "poisson", "lam"),
        d(_Binomial, "binomial", "n p"),
        d(_Geometric, "geometric", "p"),
        d(_Zipf, "zipf", "a"),
        d(_Bernoulli, "bernoulli", "p", p=0.5),
    ]
    return {x.name: x for x in items}


DISTRIBUTIONS: dict[str, Distribution] = _make()


def get(name: str) -> Distribution | None:
    """The distribution called ``name`` in specs, or None (the checker suggests a close name)."""
    return DISTRIBUTIONS.get(name)
