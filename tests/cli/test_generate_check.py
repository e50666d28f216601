"""``synthdsl generate --check``: exit 0 when DIR holds what the spec writes, 1 with a summary naming
the file, the row and the columns when it does not, 2 for usage errors; DIR is never written to."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import synthdsl
from synthdsl.card.build import attach_evaluation
from synthdsl.card.markdown import write_card_md
from synthdsl.card.model import Card, EvaluationRows, EvaluationSummary
from synthdsl.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()

SPEC = EXAMPLES / "webshop.synth"
ROWS = ["--rows", "customers=10", "--rows", "products=5"]
ROW_COUNTS = {"customers": 10, "products": 5}
FORMATS = ["csv", "jsonl", "parquet", "sqlite"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The webshop fixtures in each format, generated once; tests work on copies."""
    spec = synthdsl.load(SPEC)
    root = tmp_path_factory.mktemp("fixtures")
    for fmt in FORMATS:
        spec.write(root / fmt, format=fmt, rows=ROW_COUNTS)
    return root


@pytest.fixture
def fixtures(generated, tmp_path):
    def copy(fmt: str = "csv"):
        out = tmp_path / f"fixtures_{fmt}"
        shutil.copytree(generated / fmt, out)
        return out

    return copy


@pytest.fixture
def no_temp_left(tmp_path, monkeypatch):
    """Send the check's temporary directory to a folder of our own, then assert it is empty."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield
    assert list(scratch.iterdir()) == []


def check(out, *args: str):
    r = runner.invoke(app, ["generate", str(SPEC), "--out", str(out), *ROWS, "--check", *args])
    assert "Traceback" not in r.output
    return r


def snapshot(d):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in d.iterdir()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_fresh_fixtures_pass_and_stay_untouched(fixtures, fmt, no_temp_left):
    out = fixtures(fmt)
    before = snapshot(out)
    r = check(out, "--format", fmt)
    assert r.exit_code == 0, r.output
    total = sum(len(f) for f in synthdsl.load(SPEC).generate(rows=ROW_COUNTS).values())
    assert total > 15  # the child tables have rows too
    assert r.stdout == (
        f"ok: {out}/ matches {SPEC} ({fmt}, seed 7): 4 tables, {total} rows, card.json, card.md\n"
    )
    assert snapshot(out) == before


def test_chunk_size_does_not_matter(fixtures):
    out = fixtures("parquet")
    assert check(out, "--format", "parquet", "--chunk-size", "16384").exit_code == 0


def test_a_changed_value_names_the_file_row_and_column(fixtures, no_temp_left):
    out = fixtures("csv")
    lines = (out / "orders.csv").read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace('"delivered"', '"lost"')  # line 5: the row with index 3
    (out / "orders.csv").write_text("".join(lines))
    before = snapshot(out)
    r = check(out)
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        f"{out}/ is stale: 1 of 6 files differ from {SPEC} (csv, seed 7)",
        "  ok       customers.csv    10 rows",
        "  ok       products.csv     5 rows",
        "  DIFFERS  orders.csv       15 rows expected, 15 found; 1 differs",
        "           first difference: row 3 (line 5)",
        "             status: expected 'delivered', found 'lost'",
        "  ok       order_lines.csv  27 rows",
        "  ok       card.json",
        "  ok       card.md",
        f"to update: synthdsl generate {SPEC} --out {out} --rows customers=10 --rows products=5",
    ]
    assert snapshot(out) == before


def test_a_deleted_row_shows_the_row_counts(fixtures):
    out = fixtures("csv")
    lines = (out / "order_lines.csv").read_text().splitlines(keepends=True)
    del lines[-1]
    (out / "order_lines.csv").write_text("".join(lines))
    r = check(out)
    assert r.exit_code == 1
    assert "DIFFERS  order_lines.csv  27 rows expected, 26 found" in r.stdout
    assert "first difference: row 26 (line 28): missing, the file ends before it" in r.stdout


def test_a_quoting_change_shows_the_row_text(fixtures):
    out = fixtures("csv")
    text = (out / "products.csv").read_text()
    (out / "products.csv").write_text(text.replace('"SKU-00002"', "SKU-00002"))
    r = check(out)
    assert r.exit_code == 1
    assert "first difference: row 1 (line 3)" in r.stdout
    assert 'expected \'2,"SKU-00002",' in r.stdout and "found    '2,SKU-00002," in r.stdout


def test_missing_file_and_missing_dir(fixtures, tmp_path):
    out = fixtures("csv")
    (out / "products.csv").unlink()
    r = check(out)
    assert r.exit_code == 1 and "MISSING  products.csv     5 rows expected" in r.stdout
    gone = tmp_path / "nowhere"
    r = check(gone)
    assert r.exit_code == 1
    assert r.stdout.startswith(f"{gone}/: directory not found; {SPEC} (csv, seed 7) writes ")
    assert "to update: synthdsl generate" in r.stdout
    assert not gone.exists()


def test_a_file_given_as_dir_is_a_mismatch(fixtures):
    out = fixtures("csv")
    r = check(out / "card.md")
    assert r.exit_code == 1 and r.stdout.startswith(f"{out / 'card.md'}/: not a directory;")


def test_another_seed_or_row_count_is_a_mismatch(fixtures):
    out = fixtures("csv")
    r = check(out, "--seed", "8")
    assert r.exit_code == 1
    assert "seed: expected 8, found 7" in r.stdout
    assert "--seed 8" in r.stdout.splitlines()[-1]
    r = runner.invoke(
        app, ["generate", str(SPEC), "--out", str(out), "--rows", "customers=9", "--check"]
    )
    assert r.exit_code == 1
    assert "DIFFERS  customers.csv    9 rows expected, 10 found" in r.stdout


def test_the_wrong_format_says_which_was_found(fixtures):
    out = fixtures("parquet")
    r = check(out)  # csv by default
    assert r.exit_code == 1
    assert "MISSING  customers.csv" in r.stdout
    assert "format: expected 'csv', found 'parquet'" in r.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "sqlite"])
def test_a_changed_value_in_each_format(fixtures, fmt):
    out = fixtures(fmt)
    if fmt == "jsonl":
        lines = (out / "orders.jsonl").read_text().splitlines(keepends=True)
        lines[3] = lines[3].replace('"delivered"', '"lost"')
        (out / "orders.jsonl").write_text("".join(lines))
    elif fmt == "parquet":
        table = pq.read_table(out / "orders.parquet")
        status = table.column("status").to_pylist()
        status[3] = "lost"
        i = table.schema.get_field_index("status")
        field = table.schema.field(i)
        table = table.set_column(i, field, pa.array(status, field.type))
        pq.write_table(table, out / "orders.parquet")
    else:
        with sqlite3.connect(out / "data.sqlite") as conn:
            conn.execute("UPDATE orders SET status = 'lost' WHERE rowid = 4")
        conn.close()
    r = check(out, "--format", fmt)
    assert r.exit_code == 1, r.output
    label = "data.sqlite (orders)" if fmt == "sqlite" else f"orders.{fmt}"
    assert f"DIFFERS  {label}" in r.stdout
    assert "15 rows expected, 15 found; 1 differs" in r.stdout
    assert "first difference: row 3" in r.stdout
    assert "status: expected 'delivered', found 'lost'" in r.stdout


def test_sqlite_extra_table_is_a_mismatch(fixtures):
    out = fixtures("sqlite")
    with sqlite3.connect(out / "data.sqlite") as conn:
        conn.execute("CREATE TABLE old (x)")
    conn.close()
    r = check(out, "--format", "sqlite")
    assert r.exit_code == 1 and "DIFFERS  data.sqlite (old)" in r.stdout


def test_crlf_line_ends_match_with_a_note(fixtures):
    out = fixtures("csv")
    path = out / "customers.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    r = check(out)
    assert r.exit_code == 0, r.stdout
    assert "note: customers.csv: same rows; only the line ends differ (\\r\\n)" in r.stdout


def test_unreadable_file_is_a_mismatch(fixtures):
    out = fixtures("parquet")
    (out / "orders.parquet").write_bytes(b"not parquet")
    r = check(out, "--format", "parquet")
    assert r.exit_code == 1
    assert "DIFFERS  orders.parquet" in r.stdout and "cannot read it:" in r.stdout


def test_extra_files_are_listed_but_do_not_fail(fixtures):
    out = fixtures("csv")
    (out / "old_table.csv").write_text("a\n1\n")
    (out / "report.html").write_text("<html></html>")
    r = check(out)
    assert r.exit_code == 0
    assert "extra: old_table.csv: not written by this spec" in r.stdout
    assert "report.html" not in r.stdout


def test_card_version_and_evaluation_do_not_matter_but_a_stale_card_md_does(fixtures):
    out = fixtures("csv")
    card = json.loads((out / "card.json").read_text())
    card["synthdsl_version"] = "0.0.9"
    card["chunk_size"] = 16384
    (out / "card.json").write_text(json.dumps(card, indent=2))
    write_card_md(out, Card.model_validate(card))
    assert check(out).exit_code == 0
    summary = EvaluationSummary(
        fidelity_score=0.9,
        privacy_score=0.8,
        exact_match_rate=0.0,
        rows=EvaluationRows(real=10, synthetic=10),
    )
    attach_evaluation(out / "card.json", summary)  # as `synthdsl evaluate --card` does
    assert "## Evaluation" in (out / "card.md").read_text()
    r = check(out)
    assert r.exit_code == 0, r.stdout
    md = (out / "card.md").read_text()
    (out / "card.md").write_text(md.replace("10 rows", "11 rows", 1))
    r = check(out)
    assert r.exit_code == 1 and "DIFFERS  card.md" in r.stdout
    assert "line " in r.stdout and "11 rows" in r.stdout


def test_a_stale_spec_hash_says_the_spec_changed(fixtures):
    out = fixtures("csv")
    card = json.loads((out / "card.json").read_text())
    card["spec_sha256"] = "0" * 64
    (out / "card.json").write_text(json.dumps(card))
    r = check(out)
    assert r.exit_code == 1
    assert "(the spec changed since the fixtures were written)" in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml"],
        ["--rows", "customers:5"],
        ["--rows", "nosuch=5"],
        ["--chunk-size", "0"],
    ],
)
def test_usage_errors_exit_2(fixtures, args):
    out = fixtures("csv")
    r = runner.invoke(app, ["generate", str(SPEC), "--out", str(out), "--check", *args])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_a_missing_spec_exits_1(tmp_path):
    r = runner.invoke(
        app, ["generate", str(tmp_path / "nope.synth"), "--out", str(tmp_path), "--check"]
    )
    assert r.exit_code == 1 and "spec file not found" in r.stderr


def test_python_api_returns_the_differences(fixtures, no_temp_left):
    out = fixtures("csv")
    spec = synthdsl.load(SPEC)
    assert spec.check_fixtures(out, rows=ROW_COUNTS).ok
    (out / "products.csv").write_text(
        (out / "products.csv").read_text().replace("SKU-00005", "SKU-99999")
    )
    result = spec.check_fixtures(out, rows=ROW_COUNTS)
    assert not result.ok
    (entry,) = result.differing
    assert (entry.file, entry.table, entry.status) == ("products.csv", "products", "differs")
    assert (entry.expected_rows, entry.found_rows, entry.differing_rows) == (5, 5, 1)
    assert entry.first.row == 4 and entry.first.line == 6
    ((column, expected, found),) = [(v.column, v.expected, v.found) for v in entry.first.values]
    assert (column, expected, found) == ("sku", "SKU-00005", "SKU-99999")
    assert "to update" in result.render()
