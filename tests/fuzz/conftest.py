"""The large fuzz campaign (``fuzz_large``) runs only when asked for: ``-m fuzz_large``."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``fuzz_large`` tests unless the marker expression names them (minutes, not seconds)."""
    if "fuzz_large" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="the large fuzz campaign: run with -m fuzz_large")
    for item in items:
        if item.get_closest_marker("fuzz_large"):
            item.add_marker(skip)
