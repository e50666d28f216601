"""Shared fixtures: paths and a helper that writes a spec (and data files) into a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def write_spec(tmp_path):
    """Write ``text`` as ``spec.synth`` (plus optional data files) and return its path."""

    def _write(text: str, files: dict[str, str] | None = None, name: str = "spec.synth") -> Path:
        for rel, content in (files or {}).items():
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


def pytest_configure(config):
    """Models of the example specs are fitted into ``examples/.synthdsl`` when a test generates
    them; an artifact left from another synthdsl version is stale (and refused), so the controller
    removes these folders once before the workers start."""
    if not hasattr(config, "workerinput"):
        import shutil
        from pathlib import Path

        root = Path(__file__).resolve().parents[1]
        for folder in ("examples", "docs"):  # docs/models.md's examples fit beside docs/
            shutil.rmtree(root / folder / ".synthdsl", ignore_errors=True)
