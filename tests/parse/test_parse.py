"""Parser: text -> AST, newline handling, spans, and grammar coverage."""

from __future__ import annotations

import re

import pytest

from synthdsl.errors import SpecError
from synthdsl.syntax import ast
from synthdsl.syntax.parse import grammar_text, parse_text
from tests.conftest import EXAMPLES


def only_table(text: str) -> ast.Table:
    mod = parse_text(text)
    tables = [s for s in mod.statements if isinstance(s, ast.Table)]
    assert len(tables) == 1
    return tables[0]


def test_taste_parses_to_two_tables():
    mod = parse_text((EXAMPLES / "taste.synth").read_text(), "taste.synth")
    kinds = [type(s).__name__ for s in mod.statements]
    assert kinds == ["Seed", "Locale", "Dataset", "Table", "Table"]
    patients = mod.statements[3]
    assert patients.rows == ast.RowsFixed(ast.Number(10_000))
    assert [c.name for c in patients.columns][:3] == ["id", "name", "email"]
    assert [r.name for r in patients.rules] == ["dob_before_dod", "no_prostate_f", "adult_smokers"]


def test_column_modifiers():
    t = only_table(
        "table t {\n rows 1\n bmi float? ~ lognormal(3.25, 0.15) clamp(12, 60) round(1) nulls 5%\n}"
    )
    col = t.columns[0]
    assert col.type == ast.TypeRef("float", (), True)
    assert col.clamp == (ast.Number(12), ast.Number(60))
    assert col.round == 1
    assert col.nulls == pytest.approx(0.05)
    assert isinstance(col.gen, ast.Drawn)


def test_key_unique_ref_and_rows_per():
    mod = parse_text(
        "table p {\n rows 3\n id int = serial() key\n e text = faker.email() unique\n}\n"
        "table c {\n rows per p ~ poisson(2)\n pid int = ref p.id\n}\n"
    )
    p, c = mod.statements
    assert p.columns[0].key and not p.columns[0].unique
    assert p.columns[1].unique
    assert c.rows == ast.RowsPer("p", ast.Call(ast.Name("poisson"), (ast.Number(2),)))
    assert c.columns[0].gen == ast.Ref("p", "id")


def test_types_with_arguments():
    t = only_table('table t {\n rows 1\n d decimal(10, 2) = 1.5\n s enum("F", "M")\n}')
    assert t.columns[0].type.args == (10, 2)
    assert t.columns[1].type.args == ("F", "M")
    assert t.columns[1].gen is None


def test_numbers_with_underscores_and_exponents():
    t = only_table("table t {\n rows 1_000\n x float = 1e-5 + 2_500.5\n}")
    assert t.rows.count == ast.Number(1000)
    expr = t.columns[0].gen.expr
    assert expr.left == ast.Number(1e-5) and expr.right == ast.Number(2500.5)


def test_operator_precedence():
    t = only_table(
        "table t {\n rows 1\n x int = 1\n rule r: not x > 1 and x < 3 or x == 2 implies x != 0\n}"
    )
    e = t.rules[0].expr
    assert isinstance(e, ast.Binary) and e.op == "implies"
    assert e.left.op == "or"
    assert e.left.left.op == "and"
    assert isinstance(e.left.left.left, ast.Unary)


def test_membership_between_null_if():
    t = only_table(
        'table t {\n rows 1\n x int = 1\n y text = if x > 0 then "a" else "b"\n'
        ' rule r1: x in [1, 2, 3]\n rule r2: y not in ["c"]\n rule r3: x between 0 and 5\n'
        " rule r4: y is not null\n}"
    )
    assert isinstance(t.columns[1].gen.expr, ast.If)
    r1, r2, r3, r4 = (r.expr for r in t.rules)
    assert isinstance(r1, ast.In) and not r1.negated
    assert isinstance(r2, ast.In) and r2.negated
    assert isinstance(r3, ast.Between)
    assert isinstance(r4, ast.IsNull) and r4.negated


def test_call_argument_kinds():
    t = only_table(
        'table t {\n rows 1\n a text ~ categorical("x": 0.5, "y": 0.5)\n'
        " b text = lookup(cities, a -> province)\n c text ~ categorical(cities.city, weights = cities.pop)\n}"
    )
    a, b, c = (col.gen.expr for col in t.columns)
    assert [p.key for p in a.pairs] == [ast.String("x"), ast.String("y")]
    assert b.arrows == (ast.Arrow("a", "province"),)
    assert c.kwargs[0].name == "weights"
    assert c.path == ("categorical",)


def test_newlines_inside_brackets_and_continuation_lines():
    t = only_table(
        'table t {\n rows 1\n a text ~ categorical(\n   "x": 0.5,\n   "y": 0.5\n )\n'
        " x int = 1 +\n   2\n rule r: x > 0\n   and x < 5\n   or x == 9\n}"
    )
    assert len(t.columns) == 2 and len(t.rules) == 1
    assert t.rules[0].expr.op == "or"


def test_comments_and_blank_lines():
    t = only_table("// a comment\n\ntable t { // trailing\n\n rows 1 // here\n\n x int = 1\n}\n")
    assert t.columns[0].name == "x"


def test_one_line_block():
    assert only_table("table t { rows 5 }").rows == ast.RowsFixed(ast.Number(5))


def test_soft_keywords_usable_as_names():
    t = only_table("table t {\n rows 1\n key int = 1\n rows2 int = round(key)\n}")
    assert t.columns[0].name == "key"
    assert t.columns[1].gen.expr.path == ("round",)


def test_string_escapes_and_quotes():
    t = only_table('table t {\n rows 1\n a text = "say \\"hi\\"\\n"\n b text = \'single\'\n}')
    assert t.columns[0].gen.expr.value == 'say "hi"\n'
    assert t.columns[1].gen.expr.value == "single"


def test_spans_are_one_based_and_excluded_from_equality():
    t = only_table("table t {\n rows 1\n   abc int = 1\n}")
    col = t.columns[0]
    assert (col.span.line, col.span.column) == (3, 4)
    assert col == ast.Column("abc", ast.TypeRef("int"), ast.Computed(ast.Number(1)))


def test_import_and_multi_column_model_line():
    mod = parse_text('import "other.synth"\ntable t {\n rows 1\n (a, b) ~ health given c\n}')
    assert mod.statements[0] == ast.Import("other.synth")
    multi = mod.statements[1].multis[0]
    assert multi == ast.Multi(("a", "b"), "health", ("c",))


def test_syntax_errors_are_collected_per_line():
    with pytest.raises(SpecError) as exc:
        parse_text("table t {\n rows 1\n x ~ normal(0, 1)\n y int = )\n}\n", "s.synth")
    lines = [d.span.line for d in exc.value.diagnostics]
    assert lines == [3, 4]
    assert all(d.code in ("E001", "E002") for d in exc.value.diagnostics)


def test_missing_type_has_a_hint():
    with pytest.raises(SpecError) as exc:
        parse_text("table t {\n rows 1\n x ~ normal(0, 1)\n}\n", "s.synth")
    d = exc.value.diagnostics[0]
    assert d.hint and "needs a type" in d.hint
    assert (d.span.line, d.span.column) == (3, 4)


# ---- grammar coverage: every rule and alias of the grammar is produced by some test input
COVERAGE_INPUTS = [
    (EXAMPLES / "taste.synth").read_text(),
    'import "x.synth"\nseed 1\nlocale "en_US"\ntoday 2026-01-01\ndataset d = parquet("d.parquet", sep = ";")\n',
    "table t {\n rows per p ~ poisson(2) clamp(1, 9)\n (a, `b-1`) ~ m given c\n"
    " k int = ref p.`the id` key\n"
    ' e enum("a", "b")? = -1 unique nulls 5%\n f decimal(10, -2) = [1]\n'
    " g float = if a then -b * c / d % e - f else true\n"
    " rule r: a in [1] and b not in [2] or c between 1 and 2 implies d is not null\n"
    " rule s: a determines b\n rule u: not false and null == x.y\n"
    " h text = lookup(d, code = branch -> region)\n}\n",
    "budget d epsilon 2 delta 1e-6\n"
    "model m : bayesnet {\n learn from d (a, b) weight n\n focus a\n privacy epsilon 1\n"
    ' other below 1%\n train epochs 3 "x"\n}\n'
    'model n : bayesnet {\n privacy none\n node a ~ categorical("x": 1)\n'
    ' node b given a, c {\n  ("x", -1): categorical(true: 1)\n  (2, true): normal(0, 1)\n'
    "  (false, y): normal(0, 1)\n  else: categorical(false: 1)\n }\n}\n",
    "simulate p yearly from 2000 to 2025 {\n age = age + 1\n bmi ~ bmi + normal(0, 0.4)\n"
    ' s ~ transition { "a" -> "b": 0.1 ; 1 -> -2: x\n true -> false: 0.2\n y -> z: 0 }\n'
    " emit v count poisson(1) when bernoulli(0.3)\n emit w\n stop when x > 1\n"
    " start when y\n start at d\n record h every step\n}\n"
    'simulate q daily from date("2000-01-01") to "2000-02-01" {\n}\n'
    "simulate q weekly from 2000 to 2001 {}\nsimulate q monthly from 2000 to 2001 {}\n"
    "simulate q every 2 weeks from 2000 to 2001 { s ~ transition {} }\n",
]


def _grammar_rule_names() -> set[str]:
    text = grammar_text()
    names = set(re.findall(r"^\??([a-z_]+):", text, re.M))
    names |= set(re.findall(r"->\s*([a-z_]+)", text))
    return {n.lstrip("?") for n in names if not n.startswith("_")}


def test_every_grammar_rule_is_exercised():
    from lark import Tree

    from synthdsl.syntax.parse import _parser

    seen: set[str] = set()
    for text in COVERAGE_INPUTS:
        tree = _parser().parse(text)
        for sub in tree.iter_subtrees():
            if isinstance(sub, Tree):
                seen.add(str(sub.data))
    # rules that are inlined (?rule) or whose every alternative carries an alias
    inlined = {
        "expr",
        "implication",
        "disjunction",
        "conjunction",
        "negation",
        "comparison",
        "sum",
        "product",
        "unary",
        "postfix",
        "atom",
        "arg",
        "literal",
        "generator",
        "modifier",
        "option_value",
        "cpt_key",
        "cpt_value",
        "privacy",
        "sim_every",
        "sim_start",
        "trans_value",
    }
    missing = _grammar_rule_names() - seen - inlined
    assert not missing, f"grammar rules never exercised by the parser tests: {sorted(missing)}"
