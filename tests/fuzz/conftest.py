"""The large fuzz campaign (``fuzz_large``) runs only when asked for: ``-m fuzz_large``."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``fuzz_large`` tests unless the marker expression names them (minutes, not
    seconds); CI runs the same classes at the smaller size in the other test."""
    if "fuzz_large" in (config.option.markexpr or ""):
        return
    large = [item for item in items if item.get_closest_marker("fuzz_large")]
    if large:
        config.hook.pytest_deselected(items=large)
        items[:] = [item for item in items if not item.get_closest_marker("fuzz_large")]
