"""Inputs the spec-mutation fuzzer (tests/fuzz) found: each is a check error with its caret, never a
traceback. One test per finding, named after what the user typed."""

from __future__ import annotations

import pytest

import synthdsl
from synthdsl.errors import DataError, SpecError


def _codes(text: str, path: str = "spec.synth") -> list[tuple[str, int]]:
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text, path)
    err.value.render()  # renders without an error of its own
    return [(d.code, d.span.line) for d in err.value.diagnostics]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("table `t\ud800` {\n  rows 2\n  x int = 1\n}\n", 1),  # os.open's UnicodeEncodeError
        ("table t {\n  rows 2\n  `a\udfff` int = 1\n}\n", 3),  # pyarrow's UnicodeEncodeError
        ("table t {\n  rows 2\n  x int = 1\n  rule `r\ud800`: x > 0\n}\n", 4),  # the card's
    ],
    ids=["table", "column", "rule"],
)
def test_a_name_with_a_lone_surrogate_is_e146(text: str, line: int) -> None:
    assert _codes(text) == [("E146", line)]


def test_a_valid_unicode_name_is_fine() -> None:
    spec = synthdsl.loads("table `été` {\n  rows 2\n  `naïve✓` int = 1\n}\n")
    assert list(spec.generate()["été"].columns) == ["naïve✓"]


def test_a_dataset_path_too_long_for_the_file_system_is_e134() -> None:
    text = 'dataset d = csv("' + "a" * 5000 + '")\ntable t {\n  rows 2\n  x int = 1\n}\n'
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text, "spec.synth")
    assert [d.code for d in err.value.diagnostics] == ["E134"]
    assert "File name too long" in str(err.value)


def test_an_import_path_too_long_for_the_file_system_is_e114() -> None:
    text = 'import "' + "a" * 5000 + '.synth"\ntable t {\n  rows 2\n  x int = 1\n}\n'
    assert _codes(text) == [("E114", 1)]


def test_a_nul_character_in_a_dataset_or_import_path_is_e134_or_e114() -> None:
    """``csv("a<NUL>b.csv")`` ended in ``ValueError: embedded null byte`` from ``Path.resolve``
    (fuzzer, seed 7, odd_unicode case 97)."""
    text = 'dataset d = csv("a\0b.csv")\nimport "x\0y.synth"\ntable t {\n  rows 2\n  x int = 1\n}\n'
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text, "spec.synth")
    assert [(d.code, d.span.line) for d in err.value.diagnostics] == [("E134", 1), ("E114", 2)]
    assert "'a\\x00b.csv'" in str(err.value) and "NUL character" in str(err.value)


def test_nulls_past_the_float_range_is_e180() -> None:
    text = "table t {\n  rows 2\n  x int? ~ poisson(3) nulls 1" + "0" * 400 + "%\n}\n"
    assert _codes(text) == [("E180", 3)]


@pytest.mark.parametrize("bounds", ["0, 1e308", "-1e308, 1e308", "0, 1e19"])
def test_an_int_uniform_past_the_int64_range_is_a_data_error(bounds: str) -> None:
    # before: every row was -9223372036854775808 (numpy's invalid cast), with a RuntimeWarning
    spec = synthdsl.loads(f"table t {{\n  rows 5\n  x int ~ uniform({bounds})\n}}\n")
    with pytest.raises(DataError, match="must fit a 64-bit integer") as err:
        spec.generate()
    assert err.value.column == "x"


def test_an_int_uniform_over_the_whole_int64_range_still_draws() -> None:
    lo, hi = -(2**63), 2**63 - 1
    x = synthdsl.loads(f"table t {{\n  rows 50\n  x int ~ uniform({lo}, {hi})\n}}\n").generate()
    values = x["t"].x
    assert (values >= lo).all() and (values <= hi).all() and values.nunique() == 50


@pytest.mark.parametrize("arg", ["1e308", "-1e19"])
def test_round_to_an_int_past_the_int64_range_is_a_data_error(arg: str) -> None:
    # before: every row was -9223372036854775808, with a numpy warning
    spec = synthdsl.loads(f"table t {{\n  rows 3\n  x int = round({arg})\n}}\n")
    with pytest.raises(DataError, match="beyond the 64-bit integer range") as err:
        spec.generate()
    assert err.value.column == "x"
    assert synthdsl.loads("table t {\n  rows 2\n  x int = round(2.6)\n}\n").generate()[
        "t"
    ].x.tolist() == [3, 3]


def _generate_stderr(tmp_path, text: str) -> tuple[int, str]:
    import subprocess
    import sys

    spec = tmp_path / "spec.synth"
    spec.write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "synthdsl", "generate", str(spec), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    return r.returncode, r.stderr


def test_a_date_plus_an_enormous_duration_says_so_without_numpy_warnings(tmp_path) -> None:
    code, err = _generate_stderr(
        tmp_path, 'table t {\n  rows 3\n  x date = date("2020-01-01") + days(1e308)\n}\n'
    )
    assert code == 1
    assert "days(1e+308) spans more than the 10,000 years" in err and "spec.synth:3:" in err
    assert "Warning" not in err and "Traceback" not in err


def test_a_float_overflow_is_named_without_numpy_warnings(tmp_path) -> None:
    code, err = _generate_stderr(tmp_path, "table t {\n  rows 3\n  x float = 1e308 * 10\n}\n")
    assert code == 1
    assert "column 'x' overflows to infinity" in err
    assert "Warning" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "expr",
    ["9223372036854775807 + 1", "-9223372036854775807 - 10", "4611686018427387904 * 2"],
)
def test_int_arithmetic_past_int64_stops_the_run_instead_of_wrapping(expr: str) -> None:
    spec = synthdsl.loads(f"table t {{\n  rows 3\n  x int = {expr}\n}}\n", "spec.synth")
    with pytest.raises(DataError, match="outside the int range") as info:
        spec.generate()
    assert "column 'x'" in str(info.value)


def test_int_arithmetic_up_to_the_int64_ends_is_exact() -> None:
    text = (
        "table t {\n  rows 2\n  lo int = -4611686018427387904 * 2\n"
        "  hi int = 9223372036854775805 + serial()\n  m int = serial() * -3\n}\n"
    )
    t = synthdsl.loads(text, "spec.synth").generate()["t"]
    assert t.lo.tolist() == [-(2**63)] * 2
    assert t.hi.tolist() == [2**63 - 2, 2**63 - 1]
    assert t.m.tolist() == [-3, -6]
