"""Heavy libraries imported on first use, so ``synthdsl check`` starts fast.

Parsing and checking a spec needs numpy only; pandas, pyarrow and scipy cost most of a second to
import and are needed only once data is generated, read or evaluated. A module writes
``pd = lazy("pandas")`` (under ``if TYPE_CHECKING: import pandas as pd`` for type checkers) and
uses ``pd.X`` as usual: the first attribute read imports the library; later reads are one
``getattr`` on the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name`` until an attribute is read; then imports it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy(name: str) -> Any:
    """A stand-in for ``import name``: the import happens on the first attribute read."""
    return LazyModule(name)
