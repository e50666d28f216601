"""Golden tests for error messages: each broken spec renders exactly its ``.expected`` text.

Every ``cases/NAME.synth`` is loaded from the repository root (so relative dataset paths resolve
the same way everywhere) with ``synthdsl.loads(text, path="tests/errors/cases/NAME.synth")``, and
the whole rendered ``SpecError`` -- ``path:line:col: error[CODE]: message``, the source line with
its gutter, the caret line, the hints and the ``N errors found`` footer -- must equal
``cases/NAME.expected``. The absolute path of the repository root, which a few messages contain,
is written as ``<ROOT>``.

Regenerate the expected files after an intended change to messages with::

    SYNTHDSL_REGEN=1 .venv/bin/pytest tests/errors/test_error_messages.py

then review the diff (``git diff tests/errors/cases``) before keeping it: a golden file must only
ever hold a message that is right. To add a case, drop a ``NAME.synth`` into ``cases/`` (data files
go in ``cases/data/``) and regenerate.

Besides the exact text, every case is checked for invariants of any good diagnostic (a stable
code, a span inside the file, diagnostics sorted by position); the CLI is checked to print the same
text on stderr with exit code 1 and no traceback; and ``KNOWN_BUGS`` keeps specs whose messages were
once wrong as regression tests stating the behaviour we expect.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import synthdsl
from synthdsl.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
REGEN = os.environ.get("SYNTHDSL_REGEN") == "1"
ROOT_MARK = "<ROOT>"

CASE_FILES = sorted(CASES.glob("*.synth"))
CASE_IDS = [p.stem for p in CASE_FILES]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in specs and messages are resolved from the repository root."""
    monkeypatch.chdir(ROOT)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def normalize(text: str) -> str:
    """Make a rendering independent of where the repository is checked out."""
    return text.replace(str(ROOT), ROOT_MARK).rstrip("\n") + "\n"


def load_error(path: Path) -> SpecError:
    """Load a broken spec the way the golden files expect and return the ``SpecError`` it raises."""
    text = path.read_text(encoding="utf-8")
    try:
        synthdsl.loads(text, path=rel(path))
    except SpecError as err:
        return err
    pytest.fail(f"{rel(path)} loaded without errors; a golden case must be a broken spec")


def expected_path(case: Path) -> Path:
    return case.with_suffix(".expected")


# ------------------------------------------------------------------ the golden comparison
def test_there_are_enough_cases() -> None:
    assert len(CASE_FILES) >= 16


@pytest.mark.parametrize("case", CASE_FILES, ids=CASE_IDS)
def test_message_matches_golden(case: Path) -> None:
    actual = normalize(load_error(case).render())
    golden = expected_path(case)
    if REGEN:
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"{rel(golden)} is missing: run with SYNTHDSL_REGEN=1 to create it"
    assert actual == golden.read_text(encoding="utf-8")


def test_no_stale_expected_files() -> None:
    stale = [p.name for p in CASES.glob("*.expected") if not p.with_suffix(".synth").is_file()]
    assert not stale, f"expected files without a spec: {stale}"


@pytest.mark.parametrize("case", CASE_FILES, ids=CASE_IDS)
def test_diagnostics_are_well_formed(case: Path) -> None:
    """Invariants of any good diagnostic, independent of the exact wording."""
    err = load_error(case)
    lines = case.read_text(encoding="utf-8").split("\n")
    assert err.diagnostics, "a SpecError must carry at least one diagnostic"
    positions = []
    for d in err.diagnostics:
        assert re.fullmatch(r"E\d{3}", d.code), d
        assert d.message.strip(), d
        assert d.span.path == rel(case), d
        assert 1 <= d.span.line <= len(lines), d
        assert 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1, d
        if d.hint is not None:
            assert d.hint.strip(), d
        positions.append((d.span.line, d.span.column))
    assert positions == sorted(positions), "diagnostics must be sorted by position"
    assert str(err) == err.render()
    n = len(err.diagnostics)
    assert err.render().endswith(f"{n} error{'s' if n != 1 else ''} found")


# ------------------------------------------------------------------ several errors in one run
def _codes(name: str) -> list[tuple[int, str]]:
    err = load_error(CASES / f"{name}.synth")
    return [(d.span.line, d.code) for d in err.diagnostics]


def test_several_check_errors_are_all_reported_in_order() -> None:
    assert _codes("several_errors") == [
        (8, "E325"),  # normall -> normal
        (9, "E160"),  # text column = int
        (10, "E200"),  # agee -> age
        (11, "E334"),  # weights sum to 0.9
        (17, "E327"),  # sd = 0
        (18, "E354"),  # 2001-02-30 is no date
        (19, "E313"),  # date + int
    ]


def test_several_syntax_errors_are_all_reported_in_order() -> None:
    assert _codes("syntax_several_errors") == [(5, "E002"), (6, "E002"), (8, "E002")]
    err = load_error(CASES / "syntax_several_errors.synth")
    hints = [d.hint or "" for d in err.diagnostics]
    assert "==" in hints[0]
    assert "type" in hints[1]
    assert "%" in hints[2]


# ------------------------------------------------------------------ the CLI prints the same text
CLI_CASES = ["syntax_several_errors", "several_errors", "dataset_file_missing"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_check_prints_the_same_message(name: str) -> None:
    case = CASES / f"{name}.synth"
    proc = subprocess.run(
        [sys.executable, "-m", "synthdsl", "check", rel(case)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert normalize(proc.stderr) == normalize(load_error(case).render())


def test_cli_generate_fails_cleanly_without_output(tmp_path: Path) -> None:
    case = CASES / "several_errors.synth"
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "synthdsl", "generate", rel(case), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert normalize(proc.stderr) == normalize(load_error(case).render())
    assert not out.exists()


# ------------------------------------------------------------------ regressions
# Specs whose diagnostics were once wrong (found while writing these tests, all fixed since); each
# states the behaviour we expect. A newly found bug goes here as a strict xfail until it is fixed.
# Specs whose diagnostics are wrong today. Each states the behaviour we expect; when a fix lands the
# test XPASSes (a failure under strict=True): then move the spec into cases/ and regenerate.
def _error_of(text: str) -> SpecError:
    try:
        synthdsl.loads(text, path="tests/errors/known_bug.synth")
    except SpecError as err:
        return err
    raise AssertionError("expected a SpecError")


def _expect_only(code: str):
    def check(err: SpecError) -> None:
        assert [d.code for d in err.diagnostics] == [code], err.render()

    return check


def _expect_hint_without(fragment: str):
    def check(err: SpecError) -> None:
        (d,) = err.diagnostics
        assert fragment not in (d.hint or ""), d.hint

    return check


def _expect_any_error(err: SpecError) -> None:
    assert err.diagnostics


def _no_crash(text: str) -> None:
    """Loading may succeed or raise SpecError; nothing else."""
    with contextlib.suppress(SpecError):
        synthdsl.loads(text, path="tests/errors/known_bug.synth")


def _column(line: str) -> str:
    return "table t {\n  rows 10\n  " + line + "\n}\n"


# name -> (spec text, expectation on its SpecError, or None: "loads or raises SpecError")
KNOWN_BUGS = {
    # `rows per t ~ poisson(t.x)`: E206 "unknown table or dataset 't'" whose hint says to declare
    # `rows per t`, which the line does; E155 (counts cannot depend on columns) is meant.
    "parent_column_in_child_count": (
        "table t {\n  rows 3\n  x int = 2\n}\n"
        "table c {\n  rows per t ~ poisson(t.x)\n  y int = 1\n}\n",
        _expect_only("E155"),
    ),
    # A column of the table's own name (`visits.cost` inside visits) gets E206 with a hint to
    # declare `ref visits.KEY` in 'visits' itself; own columns are written without a prefix.
    "own_table_prefix_hint_suggests_self_reference": (
        "table visits {\n  rows 10\n  cost float ~ uniform(1, 9)\n"
        "  fee float = visits.cost * 2\n}\n",
        _expect_hint_without("ref visits"),
    ),
    # An int literal beyond int64 is accepted and wraps: every row holds -9223372036854775808.
    "int_literal_beyond_int64_is_accepted": (
        _column("x int = 99999999999999999999"),
        _expect_any_error,
    ),
    # Tracebacks instead of diagnostics: constant folding runs an operation whose operand types
    # were already rejected (synthdsl/_ops.py `_fold`), or arithmetic with a `null` literal.
    "crash_unary_minus_on_text": (_column('x int = -"a"'), _expect_only("E311")),
    "crash_unary_minus_on_bool": (_column("x int? = -true"), _expect_only("E311")),
    "crash_unary_minus_on_datetime": (
        _column('x int = -datetime("2000-01-01T00:00:00")'),
        _expect_only("E311"),
    ),
    "crash_compare_int_with_text": (_column('x bool = -1 < "a"'), _expect_only("E315")),
    "crash_compare_date_with_int": (
        _column('x bool = date("2000-01-01") < 1'),
        _expect_only("E315"),
    ),
    "crash_null_minus_text": (_column('x int? = null - ""'), None),
    "crash_null_minus_datetime": (
        _column('x datetime? = null - datetime("2000-01-01T00:00:00")'),
        None,
    ),
    # An integer literal beyond int64 is kept as a Python int: ZeroDivisionError here (and silent
    # wrap-around elsewhere: `x int = 99999999999999999999` generates -9223372036854775808).
    "crash_huge_int_modulo_zero": (_column("x int? = 99999999999999999999 % 0"), None),
    # Distribution parameter checks call float() on constants of the wrong type after E323.
    "crash_text_distribution_parameter": (_column('x float ~ beta(1, "")'), _expect_only("E323")),
    # Found by test_fuzz.py: `date` deleted from the second bound of taste.synth's uniform().
    "crash_uniform_date_and_text_bounds": (
        _column('x date ~ uniform(date("1930-01-01"), "2010-12-31")'),
        _expect_only("E323"),
    ),
    "crash_date_distribution_parameter": (
        _column('x int ~ zipf(date("2000-01-01"))'),
        _expect_only("E323"),
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN_BUGS))
def test_fixed_bug_stays_fixed(name: str) -> None:
    text, expect = KNOWN_BUGS[name]
    if expect is None:
        _no_crash(text)
    else:
        expect(_error_of(text))
