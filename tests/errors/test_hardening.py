"""Inputs a mutation fuzzer found: each is a message (a check error with its caret, or a data error
naming the table and column), never a traceback, and nothing half-written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import synthdsl
from synthdsl.cli import app
from synthdsl.errors import DataError, SpecError

runner = CliRunner()
CHILD = "table p {\n  rows 3\n  id int = serial() key\n}\ntable c {\n  rows per p ~ DIST\n  pid int = ref p.id\n}\n"


def test_arithmetic_with_null_is_typed_like_the_other_operand():
    base = 'table t {\n  rows 3\n  d date ~ uniform(date("2020-01-01"), date("2021-01-01"))\n'
    with pytest.raises(SpecError) as err:
        synthdsl.loads(base + "  rule r: d * null or true\n}\n")
    assert "E313" in str(err.value) and "cannot apply '*' to date and null" in str(err.value)
    frame = synthdsl.loads(base + "  x date? = d + null\n}\n").generate()["t"]
    assert frame.x.isna().all()


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        ("poisson(4294967296)", "would have"),
        ("poisson(1e308)", "could not be drawn"),
    ],
)
def test_impossible_child_counts_are_data_errors_at_the_rows_per(
    write_spec, tmp_path, dist, message
):
    path = write_spec(CHILD.replace("DIST", dist))
    r = runner.invoke(app, ["generate", str(path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert message in r.output and "table 'c'" in r.output
    assert "spec.synth:6:16" in r.output and "^" in r.output
    assert not (tmp_path / "out").exists()


def test_a_huge_clamp_with_round_is_fine():
    s = synthdsl.loads(
        "table t {\n  rows 50\n  x float ~ normal(20, 1) clamp(12, 1e308) round(1)\n}\n"
    )
    x = s.generate()["t"].x
    assert (x >= 12).all() and (x.round(1) == x).all()


def test_rounding_never_writes_minus_zero(tmp_path):
    s = synthdsl.loads("table t {\n  rows 400\n  x float ~ normal(0, 0.001) round(2)\n}\n")
    s.write(tmp_path, format="csv")
    values = (tmp_path / "t.csv").read_text().splitlines()[1:]
    assert "0" in values and not any(v.startswith("-0") and float(v) == 0 for v in values)


def test_an_integer_past_pythons_digit_limit_is_e305():
    with pytest.raises(SpecError) as err:
        synthdsl.loads("table t {\n  rows 1\n  x int = " + "9" * 4301 + "\n}\n")
    assert "E305" in str(err.value) and "about 4301 digits" in str(err.value)


def test_a_lone_surrogate_is_a_data_error_not_a_traceback():
    s = synthdsl.loads('table t {\n  rows 2\n  x text = "a\ud800"\n}\n')
    assert len(s.plan().spec_sha256) == 64
    with pytest.raises(DataError, match="column 'x'"):
        s.generate()


@pytest.mark.parametrize("name", ["../escaped", "a/b", ".hidden", "a\\\\b"])
def test_table_names_that_are_not_file_names_are_check_errors(name):
    with pytest.raises(SpecError) as err:
        synthdsl.loads(f"table `{name}` {{\n  rows 1\n  x int = 1\n}}\n")
    assert "E121" in str(err.value)


def test_unique_over_too_few_labels_is_a_check_error():
    with pytest.raises(SpecError) as err:
        synthdsl.loads('table t {\n  rows 10\n  x text ~ categorical(["a", "b", "c"]) unique\n}\n')
    assert "E175" in str(err.value) and "3 possible value(s)" in str(err.value)
    # as many rows as labels is fine
    synthdsl.loads(
        'table t {\n  rows 3\n  x text ~ categorical(["a", "b", "c"]) unique\n}\n'
    ).generate()


def test_a_dataset_path_that_is_a_directory_or_a_pipe_says_what_it_is(write_spec, tmp_path):
    import os

    (tmp_path / "dir.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    for name, what in (("dir.csv", "a directory"), ("pipe.csv", "not a regular file")):
        path = write_spec(f'dataset d = csv("{name}")\ntable t {{\n  rows 1\n  x int = 1\n}}\n')
        with pytest.raises(SpecError) as err:
            synthdsl.load(path)
        assert "E134" in str(err.value) and what in str(err.value)


def test_output_folder_problems_are_messages(write_spec, tmp_path):
    path = write_spec("table t {\n  rows 2\n  x int = 1\n}\n")
    (tmp_path / "a_file").write_text("x")
    for out in ("a_file", "a_file/sub"):
        r = runner.invoke(app, ["generate", str(path), "--out", str(tmp_path / out)])
        assert r.exit_code == 1 and "Traceback" not in r.output and "output folder" in r.output
    r = runner.invoke(
        app, ["generate", str(path), "--out", str(tmp_path / "o"), "--seed", str(2**64)]
    )
    assert r.exit_code == 2 and "--seed" in r.output
    r = runner.invoke(
        app, ["generate", str(path), "--out", str(tmp_path / "o"), "--rows", f"t={2**63}"]
    )
    assert r.exit_code == 2 and "--rows" in r.output
    assert not (tmp_path / "o").exists()


def test_a_failed_run_removes_the_folders_it_created(write_spec, tmp_path):
    path = write_spec(
        "table t {\n  rows 100\n  x float ~ uniform(0, 1)\n  y float ~ uniform(0, 1)\n"
        "  rule eq: x == y\n}\n"
    )
    r = runner.invoke(app, ["generate", str(path), "--out", str(tmp_path / "new" / "deep")])
    assert r.exit_code == 1 and "rule 'eq'" in r.output
    assert not (tmp_path / "new").exists()


def test_a_misspelled_dataset_column_after_in_gets_did_you_mean(write_spec):
    path = write_spec(
        'dataset b = csv("d.csv")\ntable t {\n  rows 2\n  c text ~ categorical(["x"])\n'
        "  r bool = c in b.cty\n}\n",
        {"d.csv": "city\nx\n"},
    )
    with pytest.raises(SpecError) as err:
        synthdsl.load(path)
    text = err.value.render()
    assert "E319" in text and "has no column 'cty'" in text and "did you mean 'city'" in text


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("5\n7\ninf\n", "data row 3 holds inf"),
        ("1e308\n1e308\n1e308\n", "sums past the largest number"),
        ("5\n\n7\n", "data row 2 holds an empty cell"),
        ("5\nNaN\n7\n", "data row 2 holds an empty cell"),
        ("5\n-5\n7\n", "data row 2 holds -5"),
        ("true\nfalse\ntrue\n", "must hold numbers, but holds true/false values"),
        ('"12"\n"x"\n"3"\n', "must hold numbers, but holds text"),
    ],
)
def test_bad_weights_name_the_file_the_column_and_the_row(write_spec, weights, message):
    rows = ["a", "b", "c"]
    data = "label,w\n" + "".join(f"{r},{w}\n" for r, w in zip(rows, weights.splitlines()))
    path = write_spec(
        'dataset d = csv("d.csv")\ntable t {\n  rows 5\n'
        "  x text ~ categorical(d.label, weights = d.w)\n}\n",
        {"d.csv": data},
    )
    with pytest.raises(SpecError) as err:
        synthdsl.load(path)
    text = str(err.value)
    assert "E338" in text and "'d.w' (d.csv)" in text and message in text, text
    assert "np." not in text


def test_nested_and_all_empty_dataset_columns_are_check_errors(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({"s": [{"a": 1}, {"a": 2}], "e": pa.array([None, None], pa.float64())}),
        tmp_path / "x.parquet",
    )
    for body, code, words in (
        ("x text ~ categorical(d.s)", "E345", "nested values"),
        ("x float ~ empirical(d.e)", "E336", "every row is empty"),
        ("x text ~ categorical(d.e)", "E336", "no categories"),
    ):
        (tmp_path / "s.synth").write_text(
            f'dataset d = parquet("x.parquet")\ntable t {{\n  rows 3\n  {body}\n}}\n'
        )
        with pytest.raises(SpecError) as err:
            synthdsl.load(tmp_path / "s.synth")
        assert code in str(err.value) and words in str(err.value), str(err.value)


def test_an_unknown_locale_is_reported_once_on_its_line():
    with pytest.raises(SpecError) as err:
        synthdsl.loads(
            "locale xx_YY\ntable t {\n  rows 2\n  a text = faker.name()\n  b text = faker.city()\n}\n",
            "loc.synth",
        )
    diags = err.value.diagnostics
    assert [(d.code, d.span.line) for d in diags] == [("E351", 1)]
    assert "unknown locale 'xx_YY'" in diags[0].message
