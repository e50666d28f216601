"""CLI: commands, exit codes (0 ok, 1 spec/data error, 2 usage), no tracebacks, atomic output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import synthdsl
from synthdsl import __version__
from synthdsl.cli import app

runner = CliRunner()

SPEC = """seed 4
table p {
  rows 30
  id int = serial() key
  x float ~ normal(0, 1)
  rule pos: x > 0
}
table c {
  rows per p ~ poisson(2)
  pid int = ref p.id
}
"""


@pytest.fixture
def spec(write_spec):
    return write_spec(SPEC)


def test_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"synthdsl {__version__}"


def test_check_ok_and_error(spec, write_spec):
    r = runner.invoke(app, ["check", str(spec)])
    assert r.exit_code == 0 and "ok (2 tables)" in r.stdout
    bad = write_spec("table t {\n rows 1\n x int = y\n}\n", name="bad.synth")
    r = runner.invoke(app, ["check", str(bad)])
    assert r.exit_code == 1
    assert "bad.synth:3:10: error[E200]: unknown column 'y' in table 't'" in r.stderr
    assert "Traceback" not in r.output


def test_plan_text_and_json(spec):
    r = runner.invoke(app, ["plan", str(spec)])
    assert r.exit_code == 0 and "truncated draw of x to (0, inf)" in r.stdout
    r = runner.invoke(app, ["plan", str(spec), "--json"])
    data = json.loads(r.stdout)
    assert [t["name"] for t in data["tables"]] == ["p", "c"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "sqlite"])
def test_generate_each_format(spec, tmp_path, fmt):
    out = tmp_path / "out"
    r = runner.invoke(
        app,
        [
            "generate",
            str(spec),
            "--out",
            str(out),
            "--format",
            fmt,
            "--rows",
            "p=50",
            "--seed",
            "9",
        ],
    )
    assert r.exit_code == 0, r.output
    card = json.loads((out / "card.json").read_text())
    assert card["seed"] == 9 and card["format"] == fmt
    assert {t["name"]: t["rows"] for t in card["tables"]}["p"] == 50
    names = {f.name for f in out.iterdir()}
    expected = {"data.sqlite"} if fmt == "sqlite" else {f"p.{fmt}", f"c.{fmt}"}
    assert names == expected | {"card.json", "card.md"}


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "SPEC", "--out", "OUT", "--format", "xml"],
        ["generate", "SPEC", "--out", "OUT", "--rows", "p:5"],
        ["generate", "SPEC", "--out", "OUT", "--chunk-size", "0"],
        ["generate", "SPEC"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(spec, tmp_path, args):
    args = [str(spec) if a == "SPEC" else str(tmp_path / "o") if a == "OUT" else a for a in args]
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_data_errors_exit_1_without_output(spec, tmp_path):
    r = runner.invoke(app, ["generate", str(spec), "--out", str(tmp_path / "o"), "--rows", "c=5"])
    # A row override for a child table misuses --rows: a usage error (exit 2), like an unknown table.
    assert r.exit_code == 2 and "set the rows of 'p'" in " ".join(
        r.stderr.replace("│", " ").split()
    )
    r = runner.invoke(
        app, ["generate", str(tmp_path / "missing.synth"), "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 1 and "spec file not found" in r.stderr
    assert not (tmp_path / "o").exists()


def test_python_dash_m_entry_point(spec):
    r = subprocess.run(
        [sys.executable, "-m", "synthdsl", "check", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and "ok" in r.stdout


def test_rows_override_of_unknown_table_is_a_usage_error_with_did_you_mean(write_spec):
    spec = write_spec("table users {\n  rows 10\n  k int = serial() key\n}\n")
    done = subprocess.run(
        [sys.executable, "-m", "synthdsl", "generate", str(spec), "-o", "o", "--rows", "user=5"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=spec.parent,
    )
    assert done.returncode == 2
    err = " ".join(done.stderr.replace("│", " ").split())
    assert "--rows" in err and "unknown table 'user'" in err and "did you mean 'users'?" in err
    assert "Traceback" not in done.stderr
    assert not (spec.parent / "o").exists()


def test_rows_override_in_the_python_api_names_rows_not_the_flag():
    from synthdsl.errors import OptionError

    s = synthdsl.loads("table users {\n  rows 10\n  k int = serial() key\n}\n")
    with pytest.raises(OptionError) as exc:
        s.generate(rows={"nosuch": 5})
    assert str(exc.value).startswith("rows= names unknown table 'nosuch' (tables: users)")
    assert "--rows" not in str(exc.value)
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(
    ("body", "where", "caret"),
    [
        # A value that does not fit its column: the column's expression.
        ("  d decimal(4,2) ~ normal(0, 60)", "spec.synth:3:20: error: table 't': column 'd'", 13),
        # A rule that cannot be met: the rule.
        (
            "  a int ~ uniform(0, 9)\n  b int ~ uniform(0, 9)\n  rule hard: a * b == 1000",
            "spec.synth:5:8: error: rule 'hard' of table 't' could not be met",
            4,
        ),
    ],
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_generation_errors_point_at_the_spec_construct(write_spec, body, where, caret, workers):
    spec = write_spec("table t {\n  rows 100\n" + body + "\n}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthdsl",
            "generate",
            "spec.synth",
            "-o",
            "o",
            f"--workers={workers}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=spec.parent,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    head, line, marks = done.stderr.splitlines()[:3]
    assert head.startswith(where)
    assert line.startswith(f"{where.split(':')[1]:>4} | ")
    assert marks.strip() == "^" * caret
