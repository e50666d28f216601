"""Plug-ins from entry-point groups (step kinds, model kinds): loaded on demand, one broken plug-in
warned about by name and skipped, so it never breaks a run (pydantic's plugin loader does the same).
"""

from __future__ import annotations

import warnings


def load_group(group: str, what: str) -> dict[str, object]:
    """Name -> object of every entry point in ``group``; a class is instantiated once."""
    from importlib.metadata import entry_points

    found: dict[str, object] = {}
    for ep in entry_points(group=group):
        try:
            obj = ep.load()
            kind = obj() if isinstance(obj, type) else obj
            found[getattr(kind, "name", ep.name)] = kind
        except Exception as exc:  # a broken plug-in must not break the run: say which
            warnings.warn(
                f"synthdsl: {what} plug-in '{ep.name}' ({ep.value}) could not be loaded: {exc}",
                stacklevel=3,
            )
    return found
