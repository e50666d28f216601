"""The spec-mutation fuzzer in the suite: every mutant ends in success or a synthdsl message, in time.

Each mutation class (see ``tests/fuzz/mutators.py``) makes ``PER_CLASS`` mutants from the specs
in examples/ and specs/ and the driver's inline specs, from a fixed seed: the same mutants every
run. A mutant is parsed and checked; one that checks is written (at most about 200 rows a table).
A failure prints the seed, the class, the error and the mutant text, and the command that reruns
that one case. ``SYNTHDSL_FUZZ_SCALE=10`` makes ten times as many; ``-m fuzz_large`` runs the
large campaign (thousands of mutants, another seed), which is skipped otherwise.
"""

from __future__ import annotations

import os

import pytest

from synthdsl.errors import Diagnostic, SpecError
from synthdsl.source import SourceFile, Span
from tests.fuzz.driver import (
    FAILURES,
    Case,
    _check_spec_error,
    base_specs,
    make_case,
    run_case,
    warm_up,
)
from tests.fuzz.mutators import MUTATORS

SCALE = max(1, int(os.environ.get("SYNTHDSL_FUZZ_SCALE", "1")))
PER_CLASS = 10 * SCALE  # 28 classes: about 280 mutants, under a minute on one core
LARGE_PER_CLASS = 200 * SCALE
SEED = 2026
LARGE_SEED = 1
BASES = base_specs()


@pytest.fixture(scope="module")
def warm() -> None:
    """Imports and first calls happen before any alarm is set (see ``warm_up``)."""
    warm_up()


@pytest.mark.parametrize("base", BASES, ids=lambda b: b.name)
def test_every_base_spec_checks_and_writes(base, tmp_path) -> None:
    result = run_case(Case(SEED, "base", 0, base.name, base.text, base.path, "csv"), 60, tmp_path)
    assert result.outcome == "ok", result.report()


@pytest.mark.parametrize("cls", list(MUTATORS))
def test_each_class_is_deterministic_and_changes_the_spec(cls: str) -> None:
    first = [make_case(SEED, cls, i, BASES) for i in range(20)]
    assert first == [make_case(SEED, cls, i, BASES) for i in range(20)]
    originals = {b.name: b.text for b in BASES}
    changed = sum(c.text != originals[c.base] for c in first)
    assert changed >= 15, f"{cls} left {20 - changed} of 20 specs unchanged"


def _run_class(cls: str, seed: int, n: int, tmp_path) -> None:
    results = [run_case(make_case(seed, cls, i, BASES), work=tmp_path) for i in range(n)]
    bad = [r for r in results if r.outcome in FAILURES]
    if bad:
        pytest.fail(f"{len(bad)} of {n} mutants failed:\n\n" + "\n\n".join(r.report() for r in bad))


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("cls", list(MUTATORS))
def test_mutants_end_in_a_message_within_the_time_limit(cls: str, warm, tmp_path) -> None:
    _run_class(cls, SEED, PER_CLASS, tmp_path)


@pytest.mark.fuzz_large
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("cls", list(MUTATORS))
def test_many_mutants_end_in_a_message_within_the_time_limit(cls: str, warm, tmp_path) -> None:
    _run_class(cls, LARGE_SEED, LARGE_PER_CLASS, tmp_path)


# ------------------------------------------------------------------ the driver's own detectors


def test_the_driver_calls_a_slow_case_a_timeout(warm, tmp_path) -> None:
    b = next(b for b in BASES if b.name == "adult_marginals")  # reads a 2,000-row dataset
    result = run_case(Case(SEED, "base", 0, b.name, b.text, b.path, "csv"), 0.02, tmp_path)
    assert result.outcome == "timeout", result.report()


def test_the_driver_calls_a_diagnostic_without_a_place_a_bad_message() -> None:
    src = SourceFile("x.synth", "table t {\n}\n")
    assert _check_spec_error(SpecError([Diagnostic("E001", "m", Span(src, 1, 1, 1, 2))])) == ""
    assert "line:col" in _check_spec_error(SpecError([Diagnostic("E001", "m")]))
    assert "code" in _check_spec_error(SpecError([Diagnostic("", "m", Span(src, 1, 1, 1, 2))]))
    beyond = _check_spec_error(SpecError([Diagnostic("E001", "m", Span(src, 9, 1, 9, 2))]))
    assert "line 9 of a 3-line file" in beyond
