"""The wheel's package list names every package folder (pyproject lists them by hand, because the
grammar folder is mapped into the package from the top level; ``make wheel-smoke`` checks the wheel)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_in_the_wheel_list():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "synthdsl").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert folders - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"] == {"synthdsl.grammar": "grammar"}
    assert (ROOT / "grammar" / "synth.lark").is_file()
