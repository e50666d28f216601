"""Optional dependencies (torch, pgmpy, opacus) pass through one helper whose error names the extra.

Core features never import these; a model step imports them on demand through ``import_optional`` so a
spec that needs a missing extra fails with ``pip install 'synthdsl[EXTRA]'`` instead of a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from synthdsl.errors import MissingExtraError

EXTRAS = {
    "pgmpy": "bayes",
    "torch": "neural",
    "opacus": "neural",
    "sklearn": "evaluate",
    "jinja2": "evaluate",
    "matplotlib": "evaluate",
    "hypothesis": "testing",
}


def import_optional(module: str, feature: str) -> ModuleType:
    """Import ``module`` or raise ``MissingExtraError`` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module.split(".")[0], module)
        raise MissingExtraError(feature, extra, module) from None
