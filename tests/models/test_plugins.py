"""A model kind from another package, found through the entry-point group ``synthdsl.models``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
import numpy as np
from synthdsl.models.base import Fitted, Mechanism
from synthdsl.values import Values


class ConstantSampler:
    def __init__(self, meta):
        self.labels = meta["labels"]

    def sample(self, n, given, rng):
        return {c: Values(np.array([v] * n, dtype=object)) for c, v in self.labels.items()}


class Constant:
    """Draws each column's most frequent label (a toy: it learns the mode)."""

    name = "constant"
    extra = None
    requires = ()

    def options(self, options):
        return {}

    def problems(self, spec):
        return []

    def mechanisms(self, spec):
        return [] if spec.epsilon is None else [Mechanism("all", "nothing", spec.epsilon)]

    def fit(self, spec, frame, noise, progress):
        labels = {c.name: str(frame[c.name].mode().iloc[0]) for c in spec.columns}
        return Fitted({"labels": labels}, {}, self.mechanisms(spec))

    def load(self, spec, meta, arrays):
        return ConstantSampler(meta)


class Needy(Constant):
    name = "needy"
    extra = "needy-extra"
    requires = ("no_such_module_for_synthdsl_tests",)


KIND = Constant()
NEEDY = Needy()
'''


def _install(tmp: Path) -> dict[str, str]:
    site = tmp / "site"
    (site / "toyplug-0.1.dist-info").mkdir(parents=True)
    (site / "toyplug.py").write_text(PLUGIN)
    (site / "toyplug-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: toyplug\nVersion: 0.1\n"
    )
    (site / "toyplug-0.1.dist-info" / "entry_points.txt").write_text(
        "[synthdsl.models]\nconstant = toyplug:KIND\nneedy = toyplug:NEEDY\n"
    )
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}


SPEC = """seed 1
dataset d = csv("d.csv")
model m : {kind} {{
  learn from d (city, size)
  privacy epsilon 0.5
}}
table t {{
  rows 4
  city text
  size text
  (city, size) ~ m
}}
"""


def _run(tmp: Path, kind: str, data: str, *args: str) -> subprocess.CompletedProcess:
    """``synthdsl ARGS`` in a child process that sees the plug-in, on SPEC with model ``kind``."""
    env = _install(tmp)
    (tmp / "d.csv").write_text(data)
    (tmp / "s.synth").write_text(SPEC.format(kind=kind))
    return subprocess.run(
        [sys.executable, "-m", "synthdsl", *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        env=env,
    )


def test_a_plugin_kind_runs_end_to_end(tmp_path: Path) -> None:
    data = "city,size\nGent,big\nGent,small\nMons,big\n"
    run = _run(tmp_path, "constant", data, "generate", "s.synth", "--out", "o")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "o/t.csv").read_text().splitlines() == [
        '"city","size"',
        *['"Gent","big"'] * 4,
    ]


def test_a_kind_whose_dependency_is_missing_names_what_to_install(tmp_path: Path) -> None:
    run = _run(tmp_path, "needy", "city,size\nGent,big\n", "check", "s.synth")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "error[E401]" in run.stderr and "s.synth:3:11" in run.stderr
    assert "pip install needy-extra" in run.stderr


def test_an_unknown_kind_suggests_a_known_one(tmp_path: Path) -> None:
    run = _run(tmp_path, "bayesnett", "city,size\nGent,big\n", "check", "s.synth")
    assert "error[E400]" in run.stderr and "did you mean 'bayesnet'" in run.stderr
    assert "constant" in run.stderr  # the plug-in is listed among the kinds
