"""Every example in docs/ runs: ``synth`` blocks check and generate, ``synth-error CODE`` blocks fail
with CODE, ``python`` blocks run (``python pytest`` blocks are test files: pytest runs them from the
repository root and every test passes), and ``console`` blocks' ``$ synthdsl ...`` lines exit as
shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import synthdsl
from synthdsl.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```([\w-]+)(?: +(\S+))?\n(.*?)^```", re.M | re.S)


def blocks(kind: str):
    out = []
    for md in [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]:
        if not md.exists():
            continue
        text = md.read_text()
        for m in FENCE.finditer(text):
            if m.group(1) == kind:
                line = text[: m.start()].count("\n") + 1
                out.append(pytest.param(md, m.group(2), m.group(3), id=f"{md.name}:{line}"))
    return out


@pytest.mark.parametrize(("md", "arg", "code"), blocks("synth"))
def test_synth_examples_generate(md, arg, code):
    path = DOCS / "example.synth"
    if arg is not None and arg.endswith(".synth"):  # a file of the repository, shown as it is
        path = ROOT / arg
        assert path.read_text() == code, f"{md.name} shows {arg}, which differs from the file"
    spec = synthdsl.loads(code, str(path))
    roots = {n: 30 for n, t in spec.checked.tables.items() if t.parent is None}
    frames = spec.generate(rows=roots)
    assert set(frames) == set(spec.tables)
    assert all(len(frames[n]) == 30 for n in roots)


@pytest.mark.parametrize(("md", "arg", "code"), blocks("synth-error"))
def test_synth_error_examples_fail_with_their_code(md, arg, code):
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(code, str(DOCS / "example.synth"))
    assert arg in [d.code for d in exc.value.diagnostics], exc.value.render()


@pytest.mark.parametrize(("md", "arg", "code"), blocks("python"))
def test_python_examples_run(md, arg, code, tmp_path):
    argv = [sys.executable, "-c", code]
    if arg == "pytest":
        test_file = tmp_path / "test_doc_example.py"
        test_file.write_text(code)
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        argv += ["--rootdir", str(ROOT), str(test_file)]
    r = subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(("md", "arg", "code"), blocks("console"))
def test_console_examples_run(md, arg, code, tmp_path):
    for line in code.splitlines():
        if not line.startswith("$ synthdsl"):
            continue
        args = line[2:].split("#")[0].split()[1:]
        args = [str(tmp_path / a[len("out/") :]) if a.startswith("out/") else a for a in args]
        r = subprocess.run(
            [sys.executable, "-m", "synthdsl", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        expect = 1 if "# exit 1" in line else 0
        assert r.returncode == expect, f"{line}\n{r.stdout}\n{r.stderr}"
        assert "Traceback" not in r.stderr


def test_testing_guide_shows_the_registry_spec_as_it_is():
    """docs/testing.md prints examples/registry.synth in full; its Python blocks load the file."""
    text = (DOCS / "testing.md").read_text()
    shown = [m.group(3) for m in FENCE.finditer(text) if m.group(1) == "synth"]
    assert (ROOT / "examples" / "registry.synth").read_text() in shown
