"""Every error code the package can emit is documented in ``docs/errors.md``, and the documented
examples really trigger their codes.

Codes are found by scanning ``synthdsl/**/*.py`` for string literals ``"E123"``. The table rows of
``docs/errors.md`` read ``| `E123` | meaning | `line`<br>`line` |``; an example's lines are turned
into a spec the way the document describes (member lines go into ``table t { rows 10 ... }``) and
loaded as ``tests/errors/cases/spec.synth``, so ``data/...`` resolves to ``tests/errors/cases/data``.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import pytest

import synthdsl
from synthdsl.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "synthdsl"
DOC = ROOT / "docs" / "errors.md"
SPEC_PATH = "tests/errors/cases/spec.synth"

CODE_LITERAL = re.compile(r"""["'](E\d{3})["']""")
ROW = re.compile(r"^\|\s*`(E\d{3})`\s*\|(.*)\|(.*)\|\s*$")
TOP_LEVEL = (
    "table",
    "dataset",
    "seed",
    "locale",
    "today",
    "import",
    "model",
    "budget",
    "simulate",
)

# code -> why its documented example does not produce it today (strict xfail); none at present
KNOWN_BUGS: dict[str, str] = {}


def package_codes() -> set[str]:
    codes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        codes.update(CODE_LITERAL.findall(path.read_text(encoding="utf-8")))
    return codes


def doc_rows() -> dict[str, tuple[str, list[str]]]:
    """code -> (meaning, example lines) from the table in docs/errors.md."""
    rows: dict[str, tuple[str, list[str]]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            code, meaning, example = m.groups()
            assert code not in rows, f"{code} is listed twice in docs/errors.md"
            spans = re.findall(r"``\s?(.+?)\s?``|`([^`]+)`", example)
            rows[code] = (meaning.strip(), [a or b for a, b in spans])
    return rows


def build_spec(lines: list[str]) -> str:
    """An example's lines -> a whole spec, as docs/errors.md explains."""
    if all(line.startswith("//") for line in lines):  # a spec of comments only (E122)
        return "\n".join(lines) + "\n"
    first_word = lines[0].split(" ", 1)[0]
    has_table = any(line.split(" ", 1)[0] == "table" for line in lines)
    if first_word in TOP_LEVEL:
        text = "\n".join(lines) + "\n"
        return text if has_table else text + "table t {\n  rows 10\n  z int = 1\n}\n"
    out = ["table t {", "  rows 10"]
    i = 0
    while i < len(lines) and lines[i].split(" ", 1)[0] not in TOP_LEVEL:
        out.append("  " + lines[i])
        i += 1
    out.append("}")
    out += lines[i:]
    return "\n".join(out) + "\n"


DOCS = doc_rows()


def test_docs_list_codes() -> None:
    assert len(DOCS) >= 100


def test_every_code_in_the_package_is_documented() -> None:
    missing = sorted(package_codes() - set(DOCS))
    assert not missing, f"add these codes to docs/errors.md: {missing}"


def test_documented_codes_exist() -> None:
    stale = sorted(set(DOCS) - package_codes())
    assert not stale, f"docs/errors.md lists codes the package no longer uses: {stale}"


def test_every_documented_code_has_a_meaning() -> None:
    assert all(meaning for meaning, _ in DOCS.values())


def _example_params():
    for code, (_, lines) in sorted(DOCS.items()):
        if not lines:
            continue
        marks = []
        if code in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[code]))
        yield pytest.param(code, lines, id=code, marks=marks)


@pytest.mark.parametrize(("code", "lines"), list(_example_params()))
def test_documented_example_triggers_its_code(
    code: str, lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    if code == "E401":  # the test extras install every extra: hide the one the example needs
        for module in ("torch", "opacus", "safetensors"):
            monkeypatch.setitem(sys.modules, module, None)
    text = build_spec(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            synthdsl.loads(text, path=SPEC_PATH)
        except SpecError as err:
            codes = [d.code for d in err.diagnostics]
            assert code in codes, f"{code} example gave {codes}:\n{err.render()}\n--- spec:\n{text}"
            return
    pytest.fail(f"{code} example loaded without errors:\n{text}")
