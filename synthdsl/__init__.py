"""synthdsl: a declarative language for synthetic data.

``load(path)`` / ``loads(text)`` parse and check a ``.synth`` spec and return a ``Spec``;
``Spec.generate(seed=..., rows=...)`` returns pandas DataFrames; ``Spec.plan()`` returns the plan.
"""

from __future__ import annotations

__version__ = "0.1.0"
