"""Backtick-quoted names and ``clamp(lo, hi)`` on ``rows per``: parsing, checks, generation.

Quoted names: the backticks are syntax only, so the AST, the output header and every message hold
the text inside; a did-you-mean hint shows a name that needs them with its backticks. Clamped child
counts: the counts are the unclamped draw cut to [lo, hi] (the same random stream), and
``clamp(1, ...)`` makes every parent have a child.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthdsl
from synthdsl.errors import SpecError, did_you_mean
from synthdsl.syntax import ast
from synthdsl.syntax.parse import parse_text

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT / "examples" / "data" / "adult_names.csv"


def _diags(text: str) -> list:
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text, path=str(ROOT / "spec.synth"))
    return err.value.diagnostics


# ------------------------------------------------------------------ quoted names: parsing
def test_quoted_names_parse_to_the_text_inside():
    mod = parse_text(
        "table `my-t` {\n rows per `p-q` ~ poisson(1)\n"
        " `a-b` int = `c d`.`e-f` + lookup(ds, `k-1` -> `v-2`)\n"
        " r int = ref `p-q`.`the key`\n"
        " (`x-1`, y) ~ m given `z-2`\n"
        " rule `no-neg`: `a-b` >= 0\n}\n"
    )
    (t,) = mod.statements
    assert t.name == "my-t"
    assert t.rows.parent == "p-q"
    a, r = t.columns
    assert a.name == "a-b"
    assert a.gen.expr.left == ast.Attr(ast.Name("c d"), "e-f")
    assert a.gen.expr.right.arrows == (ast.Arrow("k-1", "v-2"),)
    assert (r.gen.table, r.gen.column) == ("p-q", "the key")
    assert t.multis[0].columns == ("x-1", "y") and t.multis[0].given == ("z-2",)
    assert t.rules[0].name == "no-neg"
    # the span covers the backticks, so the caret underlines the whole quoted name
    assert (a.span.column, a.span.end_column) == (2, 7)


def test_a_keyword_can_be_a_quoted_name():
    (t,) = parse_text(
        "table t {\n rows 1\n `rows` int = 1\n `table` int = `rows` + 1\n}\n"
    ).statements
    assert [c.name for c in t.columns] == ["rows", "table"]
    assert t.columns[1].gen.expr.left == ast.Name("rows")


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ("table t {\n rows 1\n `a-b int = 1\n}\n", "unterminated quoted name", 2),
        ("table t {\n rows 1\n x int = `a-b\n}\n", "unterminated quoted name", 10),
        ("table t {\n rows 1\n `` int = 1\n}\n", "empty quoted name", 2),
        ("table t {\n rows 1\n x int = a.``\n}\n", "empty quoted name", 12),
    ],
)
def test_empty_or_unterminated_quoted_name_is_e005(text: str, message: str, col: int):
    with pytest.raises(SpecError) as err:
        parse_text(text, "s.synth")
    (d,) = err.value.diagnostics
    assert (d.code, d.message, d.span.line, d.span.column) == ("E005", message, 3, col)
    assert d.hint and "`education-num`" in d.hint
    rendered = d.render()
    assert rendered.startswith(f"s.synth:3:{col}: error[E005]: {message}")
    assert "^" in rendered


def test_recovery_goes_on_after_a_broken_quoted_name():
    with pytest.raises(SpecError) as err:
        parse_text("table t {\n rows 1\n `a int = 1\n b int = 1 +* 2\n}\n", "s.synth")
    assert [(d.code, d.span.line) for d in err.value.diagnostics] == [("E005", 3), ("E002", 4)]


def test_did_you_mean_quotes_names_that_need_it():
    assert (
        did_you_mean("education_num", ["education-num", "age"]) == "did you mean `education-num`?"
    )
    assert did_you_mean("agee", ["age"]) == "did you mean 'age'?"
    assert did_you_mean("hours", ["hours-per-week"], quoted=False) is None
    assert did_you_mean("a-c", ["a-b", "a_c"]) in (
        "did you mean 'a_c' or `a-b`?",
        "did you mean `a-b` or 'a_c'?",
    )


def test_unknown_dataset_and_table_columns_suggest_the_quoted_form():
    diags = _diags(
        f'dataset adult = csv("{ADULT}")\n'
        "table t {\n rows 5\n `education-num` int ~ empirical(adult.education_num)\n"
        " x bool = `education-nun` > 3\n}\n"
    )
    hints = sorted((d.code, d.hint) for d in diags)
    assert hints == [
        ("E200", "did you mean `education-num`?"),
        ("E342", "did you mean `education-num` or 'education'?"),
    ]


# ------------------------------------------------------------------ quoted names: generation
def test_quoted_names_generate_with_the_inner_text_as_header(tmp_path: Path):
    spec = synthdsl.loads(
        f'seed 3\ndataset adult = csv("{ADULT}", na = "?")\n'
        "table `adult-twin` {\n rows 200\n id int = serial() key\n"
        " `education-num` int ~ empirical(adult.`education-num`)\n"
        " education text = lookup(adult, `education-num` -> education)\n"
        " `hours-per-week` int ~ empirical(adult.`hours-per-week`) clamp(1, 60)\n"
        " `native-country` text? ~ empirical(adult.`native-country`)\n"
        " twice int = `education-num` * 2\n"
        " rule `sane-hours`: `hours-per-week` between 1 and 60\n}\n"
        "table `the-kids` {\n rows per `adult-twin` ~ poisson(1)\n"
        " parent int = ref `adult-twin`.id\n"
        " edu int = `adult-twin`.`education-num`\n}\n"
    )
    assert spec.tables == ["adult-twin", "the-kids"]
    frames = spec.generate()
    d = frames["adult-twin"]
    assert list(d.columns) == [
        "id",
        "education-num",
        "education",
        "hours-per-week",
        "native-country",
        "twice",
    ]
    real = pd.read_csv(ADULT, na_values="?")
    assert set(d["education-num"]) <= set(real["education-num"])
    assert (d.twice == d["education-num"] * 2).all()
    assert d["hours-per-week"].between(1, 60).all()
    pairs = dict(zip(real["education-num"], real["education"], strict=True))
    assert all(pairs[n] == e for n, e in zip(d["education-num"], d.education, strict=True))
    kids = frames["the-kids"]
    by_id = d.set_index("id")["education-num"]
    assert (kids.edu.to_numpy() == by_id.loc[kids.parent].to_numpy()).all()

    spec.write(tmp_path, format="csv")
    with open(tmp_path / "adult-twin.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header == [
        "id",
        "education-num",
        "education",
        "hours-per-week",
        "native-country",
        "twice",
    ]


# ------------------------------------------------------------------ clamp on rows per
FAMILY = """
seed 5
table p {
  rows 3000
  id int = serial() key
  n  int = count(c)
}
table c {
  rows per p ~ poisson(3)CLAMP
  pid int = ref p.id
  x float ~ uniform(0, 1)
}
"""


def _counts(clamp: str) -> np.ndarray:
    return synthdsl.loads(FAMILY.replace("CLAMP", clamp)).generate()["p"].n.to_numpy()


def test_rows_per_clamp_parses():
    t = parse_text("table c {\n rows per p ~ poisson(3) clamp(1, 10)\n x int = 1\n}\n").statements[
        0
    ]
    assert t.rows.dist == ast.Call(ast.Name("poisson"), (ast.Number(3),))
    assert t.rows.clamp == ast.RowsClamp(ast.Number(1), ast.Number(10))
    assert parse_text("table c {\n rows per p ~ poisson(3)\n}\n").statements[0].rows.clamp is None


def test_clamped_counts_are_the_unclamped_draw_cut_to_the_bounds():
    free = _counts("")
    cut = _counts(" clamp(1, 4)")
    assert free.min() == 0 and free.max() > 4
    assert np.array_equal(cut, np.clip(free, 1, 4))
    assert np.array_equal(_counts(" clamp(0, 100)"), free)  # a wide clamp changes nothing
    assert np.array_equal(_counts(" clamp(2, 2)"), np.full_like(free, 2))


def test_clamped_counts_are_deterministic_across_chunks_and_workers():
    spec = synthdsl.loads(FAMILY.replace("CLAMP", " clamp(1, 6)"))
    a = spec.generate()
    b = spec.generate(chunk_size=257)
    for name in ("p", "c"):
        assert a[name].equals(b[name])
    assert a["c"].groupby("pid").size().between(1, 6).all()
    assert len(a["c"]) == a["p"].n.sum()


def test_clamp_at_least_one_makes_child_aggregates_non_null():
    text = FAMILY.replace("n  int = count(c)", "m float = max(c.x)")
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text.replace("CLAMP", ""))
    assert [d.code for d in err.value.diagnostics] == ["E163"]
    with pytest.raises(SpecError):
        synthdsl.loads(text.replace("CLAMP", " clamp(0, 5)"))
    d = synthdsl.loads(text.replace("CLAMP", " clamp(1, 5)")).generate()["p"]
    assert d.m.notna().all()


def test_plan_shows_the_clamp():
    plan = synthdsl.loads(FAMILY.replace("CLAMP", " clamp(1, 6)")).plan().to_text()
    assert "rows per p ~ poisson(3) clamp(1, 6)" in plan


@pytest.mark.parametrize(
    ("clamp", "message"),
    [
        ("clamp(5, 1)", "lower bound 5 above its upper bound 1"),
        ("clamp(-1, 3)", "whole numbers >= 0"),
        ("clamp(0.5, 3)", "whole numbers >= 0"),
        ("clamp(1, p.id)", "whole numbers >= 0"),
    ],
)
def test_bad_rows_per_clamp_is_e157(clamp: str, message: str):
    diags = _diags(FAMILY.replace("CLAMP", " " + clamp))
    assert [d.code for d in diags] == ["E157"], [d.render() for d in diags]
    assert message in diags[0].message
    assert diags[0].span.line == 9


def test_aggregates_over_quoted_child_tables_and_columns():
    spec = synthdsl.loads(
        "seed 2\ntable `the-orders` {\n rows 300\n id int = serial() key\n"
        " `n-lines` int = count(`line-items`)\n total float = sum(`line-items`.`unit price`)\n"
        " top float = max(`line-items`.`unit price`)\n}\n"
        "table `line-items` {\n rows per `the-orders` ~ poisson(2) clamp(1, 5)\n"
        " order_id int = ref `the-orders`.id\n `unit price` float ~ uniform(1, 10)\n}\n"
    )
    frames = spec.generate()
    o, li = frames["the-orders"], frames["line-items"]
    sizes = li.groupby("order_id").size().reindex(o.id).to_numpy()
    assert (o["n-lines"].to_numpy() == sizes).all() and sizes.min() >= 1 and sizes.max() <= 5
    sums = li.groupby("order_id")["unit price"].sum().reindex(o.id).to_numpy()
    assert np.allclose(o.total.to_numpy(), sums)
    assert o.top.notna().all()
