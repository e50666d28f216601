"""``synthdsl check FILE`` is answered without Typer (start-up), exactly as the Typer command answers.

Each case runs both paths in a fresh interpreter and compares exit code, stdout and stderr.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

TYPER_PATH = "import sys; from synthdsl.cli import main; main()"
FAST_PATH = "import sys; from synthdsl._entry import main; main()"


def _run(code: str, *args: str) -> tuple[int, str, str]:
    r = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("ok.synth", "table t {\n  rows 3\n  x int ~ poisson(2)\n}\n", 0),
        ("bad.synth", "table t {\n  rows 3\n  x int ~ poison(2)\n  y text = z\n}\n", 1),
        ("missing.synth", None, 1),
    ],
)
def test_the_fast_path_answers_as_the_typer_command(tmp_path, name, text, code):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    fast = _run(FAST_PATH, "check", str(path))
    slow = _run(TYPER_PATH, "check", str(path))
    assert fast == slow
    assert fast[0] == code
    assert "Traceback" not in fast[2]
    if code == 0:
        assert fast[1] == f"{path}: ok (1 table)\n"
    elif text is not None:
        assert "error[E325]" in fast[2] and "2 errors found" in fast[2]


def test_the_fast_path_imports_no_command_line_library(tmp_path):
    path = tmp_path / "ok.synth"
    path.write_text("table t {\n  rows 3\n  x int ~ poisson(2)\n}\n")
    code = (
        "import sys\nfrom synthdsl._entry import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted({'typer', 'click', 'pydantic'} & set(sys.modules)))"
    )
    rc, out, err = _run(code, "check", str(path))
    assert rc == 0, err
    assert out.strip().splitlines()[-1] == "[]"


def test_other_command_lines_go_to_the_typer_app(tmp_path):
    rc, out, _ = _run(FAST_PATH, "check", "--help")
    assert rc == 0 and "Parse and check a spec" in out
    rc, out, _ = _run(FAST_PATH, "--version")
    assert rc == 0 and out.startswith("synthdsl ")
