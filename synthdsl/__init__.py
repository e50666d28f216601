"""synthdsl: a declarative language for synthetic data.

``load(path)`` / ``loads(text)`` parse and check a ``.synth`` spec and return a ``Spec``;
``Spec.generate(seed=..., rows=...)`` returns pandas DataFrames; ``Spec.plan()`` returns the plan
that runs, and ``load_plan(path)`` runs a plan's JSON without the spec.
Names load lazily so ``import synthdsl`` stays cheap (the CLI starts fast).
"""

from __future__ import annotations

__version__ = "0.6.0"

__all__ = [
    "DataError",
    "MissingExtraError",
    "RuleError",
    "Spec",
    "SpecError",
    "SynthError",
    "__version__",
    "evaluate",
    "load",
    "load_plan",
    "loads",
]

_LAZY = {
    "Spec": "synthdsl.api",
    "load": "synthdsl.api",
    "loads": "synthdsl.api",
    "load_plan": "synthdsl.api",
    "SpecError": "synthdsl.errors",
    "DataError": "synthdsl.errors",
    "RuleError": "synthdsl.errors",
    "SynthError": "synthdsl.errors",
    "MissingExtraError": "synthdsl.errors",
    "evaluate": "synthdsl.evaluation",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'synthdsl' has no attribute {name!r}")
