"""AST <-> JSON data (``synthdsl.syntax.ast_json``): lossless, spans kept, deterministic, closed to tags.

Equality of nodes ignores spans and says ``Number(1) == Number(1.0)``, so beside ``==`` every test
also compares strictly (``same``): leaf types, float bits (nan, -0.0), and every span by path,
line and columns, with the decoded span pointing into the very ``SourceFile`` the resolver gave.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import types
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthdsl.errors import Diagnostic, render
from synthdsl.source import NO_SPAN, SourceFile, Span
from synthdsl.syntax import ast
from synthdsl.syntax.ast_json import NODES, from_json, to_json
from synthdsl.syntax.parse import parse, parse_text
from tests.conftest import ROOT
from tests.property.strategies import spec_texts

SPEC_FILES = sorted(
    p.relative_to(ROOT).as_posix()
    for d in ("examples", "specs", "benchmarks/specs")
    for p in (ROOT / d).rglob("*.synth")
)


# ------------------------------------------------------------------ helpers
def roundtrip(node: ast.Node, sources: dict[str, SourceFile] | None = None) -> tuple[ast.Node, str]:
    """to_json -> dumps -> loads -> from_json; also checks the JSON holds plain JSON types only."""
    data = to_json(node)
    assert_plain(data)
    text = json.dumps(data, sort_keys=True, allow_nan=False)
    back = from_json(json.loads(text), (sources or {}).get)
    return back, text


def assert_plain(v: object) -> None:
    if isinstance(v, dict):
        assert all(type(k) is str for k in v)
        for x in v.values():
            assert_plain(x)
    elif isinstance(v, list):
        for x in v:
            assert_plain(x)
    else:
        assert type(v) in (str, int, float, bool, type(None)), type(v)
        assert not (type(v) is float and not math.isfinite(v))


def same_span(a: Span, b: Span, sources: dict[str, SourceFile]) -> None:
    assert (a.line, a.column, a.end_line, a.end_column) == (
        b.line,
        b.column,
        b.end_line,
        b.end_column,
    )
    assert (a.source is None) == (b.source is None)
    if a.source is None:
        assert (b is NO_SPAN) == (a == NO_SPAN)
        return
    assert a.path == b.path and str(a) == str(b)
    known = sources.get(a.source.path)
    assert b.source is known if known is not None else b.source.text == ""


def same(a: object, b: object, sources: dict[str, SourceFile], where: str = "") -> None:
    """``a`` and ``b`` alike leaf by leaf (types and float bits too) and span by span."""
    assert type(a) is type(b), where
    if isinstance(a, ast.Node):
        same_span(a.span, b.span, sources)
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), sources, f"{where}.{f.name}")
    elif isinstance(a, Span):
        same_span(a, b, sources)
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, sources, f"{where}[{i}]")
    elif isinstance(a, float):
        assert repr(a) == repr(b), where
    else:
        assert a == b, where


def check(node: ast.Node, sources: dict[str, SourceFile] | None = None) -> str:
    back, text = roundtrip(node, sources)
    assert back == node or '{"float": "nan"}' in text  # nan != nan; ``same`` compares its bits
    same(node, back, sources or {})
    assert json.dumps(to_json(back), sort_keys=True, allow_nan=False) == text
    return text


# ------------------------------------------------------------------ every spec of the repository
@pytest.mark.parametrize("rel", SPEC_FILES)
def test_spec_files_round_trip(rel):
    source = SourceFile(rel, (ROOT / rel).read_text(encoding="utf-8"))
    module = parse(source)
    text = check(module, {rel: source})
    again = parse(SourceFile(rel, source.text))
    assert json.dumps(to_json(again), sort_keys=True) == text  # a fresh parse: the same bytes


def test_spec_files_have_many_spans():
    rel = "examples/taste.synth"
    source = SourceFile(rel, (ROOT / rel).read_text(encoding="utf-8"))
    data = to_json(parse(source))
    assert data["at"][0] == rel  # the root names its path; children inherit it
    assert len(data["statements"][0]["at"]) == 4


def test_dumps_byte_stable_across_processes():
    """Two interpreters with different hash seeds write the same bytes for every spec."""
    script = (
        "import hashlib, json, sys\n"
        "from synthdsl.syntax.ast_json import to_json\n"
        "from synthdsl.syntax.parse import parse\n"
        "from synthdsl.source import SourceFile\n"
        "for rel in sys.argv[1:]:\n"
        "    m = parse(SourceFile(rel, open(rel, encoding='utf-8').read()))\n"
        "    text = json.dumps(to_json(m), sort_keys=True, allow_nan=False)\n"
        "    print(rel, hashlib.sha256(text.encode()).hexdigest())\n"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            [sys.executable, "-c", script, *SPEC_FILES],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outs.append(run.stdout)
    here = "".join(
        f"{rel} "
        + hashlib.sha256(
            json.dumps(
                to_json(parse(SourceFile(rel, (ROOT / rel).read_text(encoding="utf-8")))),
                sort_keys=True,
                allow_nan=False,
            ).encode()
        ).hexdigest()
        + "\n"
        for rel in SPEC_FILES
    )
    assert outs[0] == outs[1] == here


# ------------------------------------------------------------------ values JSON cannot hold as is
@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, -0.0, 1e308, 5e-324, 0.1])
def test_floats(x):
    check(ast.Number(x))


def test_int_and_float_stay_apart():
    assert to_json(ast.Number(1))["value"] == 1 and type(to_json(ast.Number(1))["value"]) is int
    back, _ = roundtrip(ast.TypeRef("decimal", (10, 2.0, "x")))
    assert [type(a) for a in back.args] == [int, float, str]


def test_parsed_overflow_is_inf():
    n = parse_text("table t {\n rows 1\n x float = 1e999\n}").statements[0].columns[0].gen.expr
    assert n == ast.Number(math.inf)
    assert to_json(n)["value"] == {"float": "inf"}
    check(n)


@pytest.mark.parametrize(
    "x",
    [2**63, -(2**64) - 1, 10**400, -(10**5000), 2**13_001],
    ids=["2**63", "-2**64-1", "10**400", "-10**5000", "2**13001"],  # str() refuses 4300+ digits
)
def test_big_ints(x):
    check(ast.Seed(x))


@pytest.mark.parametrize(
    "s",
    ["", 'é😀\x00\n"\\', "\ud800", "a\udfffb", "\ud83d\ude00", "\ude00\ud83d", "\U0010ffff"],
)
def test_strings(s):
    check(ast.String(s))
    back, text = roundtrip(ast.Call(ast.Name(s), kwargs=(ast.Kwarg(s, ast.String(s)),)))
    assert back.func.name == back.kwargs[0].name == s
    text.encode("utf-8")  # nothing a file cannot hold


def test_no_span_round_trips_to_no_span():
    back, _ = roundtrip(ast.Binary("+", ast.Name("a"), ast.Number(1)))
    assert back.span is NO_SPAN and back.left.span is NO_SPAN
    col = ast.Column("x", ast.TypeRef("int"))
    assert "at" not in to_json(col)
    assert roundtrip(col)[0].nulls_span is NO_SPAN


# ------------------------------------------------------------------ spans and rendering
def test_unknown_text_renders_path_line_col_without_caret():
    source = SourceFile("dir/spec.synth", "table t {\n rows 1\n x int = a + 1\n}\n")
    expr = parse(source).statements[0].columns[0].gen.expr
    blind = from_json(json.loads(json.dumps(to_json(expr))))  # no resolver: text unknown
    assert str(blind.span) == "dir/spec.synth:3:10"
    assert render(Diagnostic("", "boom", blind.span)) == "dir/spec.synth:3:10: error: boom"
    seeing = from_json(to_json(expr), {"dir/spec.synth": source}.get)
    shown = render(Diagnostic("", "boom", seeing.span)).splitlines()
    assert shown[:2] == ["dir/spec.synth:3:10: error: boom", "   3 |  x int = a + 1"]
    assert shown[2] == " " * len("   3 |  x int = ") + "^^^^^"


def test_resolver_asked_once_per_path():
    asked: list[str] = []
    a, b = SourceFile("a.synth", "x"), SourceFile("b.synth", "y")
    node = ast.Binary(
        "+",
        ast.Name("x", span=Span(a, 1, 1, 1, 2)),
        ast.Binary(
            "*", ast.Name("y", span=Span(b, 1, 1, 1, 2)), ast.Number(2, span=Span(a, 1, 1, 1, 2))
        ),
        span=Span(a, 1, 1, 1, 9),
    )
    data = to_json(node)
    assert data["at"] == ["a.synth", 1, 1, 1, 9] and data["left"]["at"] == [1, 1, 1, 2]
    assert "at" not in data["right"]  # NO_SPAN: left out, the path of the root still holds
    assert data["right"]["left"]["at"] == ["b.synth", 1, 1, 1, 2]
    assert data["right"]["right"]["at"] == [1, 1, 1, 2]
    back = from_json(data, lambda p: asked.append(p) or {"a.synth": a, "b.synth": b}[p])
    assert sorted(asked) == ["a.synth", "b.synth"]
    same(node, back, {"a.synth": a, "b.synth": b})


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    "tag", ["Evil", "Span", "SourceFile", "Generator", "__class__", "NO_SPAN", 3]
)
def test_unknown_tag_refused(tag):
    with pytest.raises(ValueError, match=re.escape(repr(tag))):
        from_json({"node": tag})


@pytest.mark.parametrize(
    "value",
    [
        {"node": "Name", "name": "x", "evil": 1},
        {"node": "Name"},
        {"node": "Name", "name": {"eval": "1"}},
        {"node": "Number", "value": {"float": "1e3"}},
        {"node": "Name", "name": "x", "at": [1, 2]},
        {"node": "Name", "name": "x", "at": ["p", 1, 2, 3, "4"]},
        ["not", "a", "node"],
    ],
)
def test_malformed_refused(value):
    with pytest.raises(ValueError):
        from_json(value)


def test_only_ast_node_classes():
    assert NODES and all(
        issubclass(c, ast.Node) and c.__module__ == ast.__name__ for c in NODES.values()
    )
    assert {"Number", "Column", "Table", "Module", "RowsClamp", "Arrow"} <= NODES.keys()
    with pytest.raises(TypeError):
        to_json(Span(None))  # type: ignore[arg-type]


# ------------------------------------------------------------------ properties
PATHS = {
    "a.synth": SourceFile("a.synth", "some text\n"),
    "ü/b c.synth": SourceFile("ü/b c.synth", ""),
}
SOURCES = [None, *PATHS.values(), SourceFile("unknown.synth", "lost")]

spans = st.one_of(
    st.just(NO_SPAN),
    st.builds(Span, st.sampled_from(SOURCES), *[st.integers(0, 10**6)] * 4),
)
# Around the 13,000-bit switch to hex, yet under 4,300 digits so a failing example still prints.
ints = st.one_of(st.integers(), st.integers(12_990, 13_010).map(lambda b: 1 - 2**b))
floats = st.one_of(st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, -0.0]))
texts = st.one_of(
    st.text(st.characters(exclude_categories=())),
    st.lists(st.sampled_from(["\ud83d", "\ude00", "a", "é", "😀", "\x00", '"', "\\"])).map("".join),
)


def strategy_for(tp: object, expr: st.SearchStrategy) -> st.SearchStrategy:
    """A strategy for a field's annotated type; nodes recurse through their own fields."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a, expr) for a in args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0], expr), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a, expr) for a in args))
    simple = {int: ints, float: floats, str: texts, bool: st.booleans(), Span: spans}
    if tp in simple:
        return simple[tp]
    if tp is type(None):
        return st.none()
    if tp is ast.Expr:
        return expr
    assert isinstance(tp, type) and issubclass(tp, ast.Node), tp
    return node_of(tp, expr)


def node_of(cls: type[ast.Node], expr: st.SearchStrategy) -> st.SearchStrategy:
    hints = typing.get_type_hints(cls, vars(ast))
    return st.builds(
        cls, **{f.name: strategy_for(hints[f.name], expr) for f in dataclasses.fields(cls)}
    )


EXPR_CLASSES = [c for c in NODES.values() if issubclass(c, ast.Expr)]
LEAF = [c for c in EXPR_CLASSES if "Expr" not in str(typing.get_type_hints(c, vars(ast)))]
exprs = st.recursive(
    st.one_of(*(node_of(c, st.nothing()) for c in LEAF)),
    lambda inner: st.one_of(*(node_of(c, inner) for c in EXPR_CLASSES if c not in LEAF)),
    max_leaves=12,
)
any_node = st.sampled_from(sorted(NODES.values(), key=lambda c: c.__name__)).flatmap(
    lambda c: exprs if c is ast.Expr else node_of(c, exprs)
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(exprs)
def test_random_expressions_round_trip(node):
    check(node, PATHS)


@PROPERTY
@given(any_node)
def test_random_nodes_of_every_class_round_trip(node):
    check(node, PATHS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec_texts())
def test_random_specs_round_trip(text):
    source = SourceFile("prop.synth", text)
    check(parse(source), {"prop.synth": source})
