"""Inputs the spec-mutation fuzzer (tests/fuzz) found: each is a check error with its caret, never a
traceback. One test per finding, named after what the user typed."""

from __future__ import annotations

import pytest

import synthdsl
from synthdsl.errors import DataError, RuleError, SpecError


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


def test_a_column_name_with_a_nul_is_e146(tmp_path) -> None:
    """Fuzzer seed 29, odd_unicode 0: `fz\x00` between backticks passed the checker and the SQLite
    sink failed with sqlite3's "the query contains a null character" traceback."""
    path = tmp_path / "s.synth"
    path.write_text("table t {\n  rows 2\n  `a\x00b` int = 1\n}\n")
    with pytest.raises(SpecError) as err:
        synthdsl.load(path)
    assert [(d.code, d.span.line) for d in err.value.diagnostics] == [("E146", 3)]
    assert "NUL" in str(err.value)


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


# Found by a grammar-aware spec generator (random specs built from the grammar, not mutated).


@pytest.mark.parametrize("rule", ["x < x", "x <= x", "x > x", "x >= x", "x between x and 5"])
def test_a_rule_ordering_a_column_against_itself_is_not_a_conditional_draw(rule: str) -> None:
    text = f"table t {{\n  rows 5\n  x float ~ normal(0, 1)\n  rule r: {rule}\n}}\n"
    spec = synthdsl.loads(text, "spec.synth")
    if rule in ("x < x", "x > x"):  # never holds: the rule stops the run (a RuleError), no KeyError
        with pytest.raises(synthdsl.errors.RuleError):
            spec.generate()
    else:
        assert len(spec.generate()["t"]) == 5


def test_a_child_referencing_a_table_that_references_its_root_is_e212() -> None:
    text = (
        "table a {\n  rows 3\n  id int = serial() key\n}\n"
        "table b {\n  rows 3\n  id int = serial() key\n  a_id int = ref a.id\n}\n"
        "table c {\n  rows per a ~ 1\n  a_id int = ref a.id\n  b_id int = ref b.id\n}\n"
    )
    assert _codes(text) == [("E212", 10)]  # at table c


@pytest.mark.parametrize("nested", ["list", "struct"])
@pytest.mark.parametrize("use", ["lookup(d, k -> v)", "lookup(d, v -> k)", "empirical(d.v)"])
def test_a_nested_parquet_column_is_e345_wherever_it_is_used(tmp_path, nested: str, use: str):
    """A Parquet list or struct column in a lookup ended in `TypeError: unhashable type` (found by
    an independent fuzzer); like a categorical's labels, it is E345 with a caret."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    v = pa.array([[1, 2], [3]]) if nested == "list" else pa.array([{"a": 1}, {"a": 2}])
    pq.write_table(pa.table({"k": [1, 2], "v": v}), tmp_path / "d.parquet")
    text = (
        'dataset d = parquet("d.parquet")\ntable t {\n  rows 4\n  k int ~ empirical(d.k)\n'
        f"  v text = {use}\n}}\n"
    )
    assert _codes(text, str(tmp_path / "s.synth")) == [("E345", 5)]


def test_a_table_without_columns_in_sqlite_is_a_data_error(tmp_path) -> None:
    spec = synthdsl.loads("table t {\n  rows 3\n}\n", "spec.synth")
    with pytest.raises(DataError, match="has no columns"):
        spec.write(tmp_path / "o", format="sqlite")


@pytest.mark.parametrize(
    "column",
    ["x int = serial() clamp(1, 2) key", "x float = serial() * 1.5 clamp(1, 3) unique"],
)
def test_a_clamp_that_merges_unique_values_is_an_error_not_duplicates(column: str) -> None:
    """Found by an independent spec generator: `serial()` was unique by construction even when a
    clamp merged its values, so [1, 2, 2, 2, 2] was written under `key`."""
    spec = synthdsl.loads(f"table t {{\n  rows 5\n  {column}\n}}\n")
    with pytest.raises(RuleError) as err:
        spec.generate()
    assert "the unique column 'x'" in str(err.value) and err.value.span.line == 3


def test_an_unclamped_serial_key_is_still_unique_by_construction() -> None:
    spec = synthdsl.loads("table t {\n  rows 5\n  x int = serial() key\n}\n")
    assert list(spec.generate()["t"]["x"]) == [1, 2, 3, 4, 5]
    assert not [r for t in spec.plan().tables for r in t.rules if r.name == "unique_x"]


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


@pytest.mark.parametrize("text", ["", "// only a comment\n", "seed 3\nlocale nl_BE\n"])
def test_a_spec_without_tables_is_e122(text: str) -> None:
    """An empty spec printed `wrote out (parquet; )` and exited 0."""
    assert _codes(text) == [("E122", 1)]


def test_a_datasets_iso_dates_become_dates_with_date(tmp_path) -> None:
    """A CSV's dates are text: `day date ~ empirical(real.day)` is E160 (now with a hint), and
    `date(raw)` converts a text column row by row; a bad date is a data error naming it."""
    (tmp_path / "days.csv").write_text("day\n2021-03-04\n2022-12-31\n\n")
    head = 'dataset real = csv("days.csv")\ntable t {\n  rows 40\n'
    errs = _codes(head + "  day date ~ empirical(real.day)\n}\n", str(tmp_path / "a.synth"))
    assert errs == [("E160", 4)]
    with pytest.raises(SpecError) as err:
        synthdsl.loads(head + "  day date ~ empirical(real.day)\n}\n", str(tmp_path / "a.synth"))
    assert "date(x)" in err.value.diagnostics[0].hint
    text = head + "  raw text? ~ empirical(real.day)\n  day date? = date(raw)\n}\n"
    df = synthdsl.loads(text, str(tmp_path / "b.synth")).generate()["t"]
    got = {str(d) for d in df["day"].dropna()}
    assert got == {"2021-03-04", "2022-12-31"}
    assert (df["raw"].isna() == df["day"].isna()).all()
    (tmp_path / "days.csv").write_text("day\n2021-13-04\n")
    with pytest.raises(DataError, match="'2021-13-04' is not a valid date"):
        synthdsl.loads(text, str(tmp_path / "c.synth")).generate()


def test_a_data_error_names_its_column_once() -> None:
    err = DataError("table 't': column 'x' could not be computed", column="x", row=3)
    assert str(err) == "table 't': column 'x' could not be computed (row 3)"
    assert str(DataError("bad value", column="x")) == "bad value (column 'x')"
