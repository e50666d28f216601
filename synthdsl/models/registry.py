"""The model kinds: built-in ones by module path, others from the entry-point group ``synthdsl.models``.

Input: a kind's name as a spec writes it. Output: the kind object, or ``None`` with the reason (unknown:
with a did-you-mean; its extra missing: with the ``pip install`` line; not in this version). Built-in kinds
are imported only when a spec names them, so ``synthdsl check`` of a spec without models never imports
them, and a kind's heavy dependencies (pgmpy, torch) only when it fits.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from synthdsl._plugins import load_group
from synthdsl.errors import did_you_mean
from synthdsl.models.base import ModelKind

ENTRY_POINT_GROUP = "synthdsl.models"


@dataclass(frozen=True)
class _Builtin:
    module: str | None  # None: planned, not in this version
    extra: str
    requires: tuple[str, ...]


BUILTIN = {
    "bayesnet": _Builtin("synthdsl.models.bayesnet.kind", "bayes", ("pgmpy",)),
    "dpcgan": _Builtin("synthdsl.models.dpcgan.kind", "neural", ("torch", "opacus", "safetensors")),
}

_PLUGINS: dict[str, object] | None = None


class KindUnavailable(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


def _plugins() -> dict[str, object]:
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = load_group(ENTRY_POINT_GROUP, "model")
    return _PLUGINS


def reload_plugins() -> None:
    """Forget the plug-ins found so far (after installing one in a running process)."""
    global _PLUGINS
    _PLUGINS = None


def known_kinds() -> list[str]:
    return sorted({*BUILTIN, *_plugins()})


def missing_modules(requires: tuple[str, ...]) -> list[str]:
    return [m for m in requires if importlib.util.find_spec(m) is None]


def model_kind(name: str) -> ModelKind:
    """The kind called ``name``; ``KindUnavailable`` says why there is none."""
    builtin = BUILTIN.get(name)
    if builtin is not None:
        missing = missing_modules(builtin.requires)
        if missing:
            raise KindUnavailable(
                f"model kind '{name}' needs {', '.join(missing)}, which is not installed",
                f"install the extra: pip install 'synthdsl[{builtin.extra}]'"
                + (
                    " (install torch first, pinned to the build you want, e.g. "
                    "pip install torch==2.13.0: an unpinned torch is a CUDA build of several GB)"
                    if builtin.extra == "neural"
                    else ""
                ),
            )
        if builtin.module is None:
            raise KindUnavailable(
                f"model kind '{name}' is not available in this version of synthdsl",
                "learn this data with a `bayesnet` model for now",
            )
        return importlib.import_module(builtin.module).KIND
    plugin = _plugins().get(name)
    if plugin is not None:
        missing = missing_modules(tuple(getattr(plugin, "requires", ())))
        if missing:
            extra = getattr(plugin, "extra", None)
            raise KindUnavailable(
                f"model kind '{name}' needs {', '.join(missing)}, which is not installed",
                f"install it: pip install {extra or ' '.join(missing)}",
            )
        return plugin  # type: ignore[return-value]
    hint = did_you_mean(name, known_kinds())
    raise KindUnavailable(
        f"unknown model kind '{name}' (kinds: {', '.join(known_kinds())})",
        hint
        or f"a kind from another package registers itself in the entry-point group "
        f"'{ENTRY_POINT_GROUP}'",
    )
