"""The import contracts in pyproject.toml ([tool.importlinter]) hold: ``lint-imports`` passes.

The contracts: the pipeline's layers (a stage imports only the stages below it), no import cycles
between the modules of a package, and no heavy optional package (torch, pgmpy, hypothesis) under
parsing, checking, expressions and planning.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_lint_imports_keeps_every_contract():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), (
        f"{lint_imports} not found: install the test extra (import-linter)"
    )
    env = dict(os.environ)
    # Analyse this checkout's synthdsl, not another one installed in the environment.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    r = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, f"lint-imports failed (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"
