"""Fuzz the front end and the generator with mutated specs: errors are diagnostics, never crashes.

Valid specs (``examples/taste.synth`` and two small ones below) are mutated by Hypothesis --
characters and tokens deleted, inserted or replaced, lines swapped, dropped or duplicated, the text
truncated -- and fed to ``synthdsl.loads``. It must either succeed or raise ``SpecError`` or another
``SynthError``; any other exception (``AttributeError``, ``KeyError``, a Lark exception, ...) is a
bug. A ``SpecError`` must also render, and each diagnostic's span must lie inside its source text.

When a mutated spec checks OK it is generated with small row counts (``rows={root: 20}`` for every
table with a fixed row count; child tables only when their per-parent count is a small constant
distribution, so a mutated ``poisson(30000)`` cannot blow up the run); generation must succeed or
raise a ``SynthError``, and a column whose type is not nullable must hold no nulls.

``GENERATION_BUGS`` at the end lists one-line reproductions of bugs found this way (strict xfails).

Hypothesis prints the mutated spec text of any failure; paste it into ``synthdsl check`` to
reproduce. ``--hypothesis-show-statistics`` shows how many mutants checked and generated.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import synthdsl
from synthdsl.errors import SpecError, SynthError

# By default the examples are derandomized: the same mutants every run, so CI is reproducible.
# Bug hunt with more, fresh examples: SYNTHDSL_FUZZ_SCALE=20 .venv/bin/pytest tests/errors/test_fuzz.py
# (SYNTHDSL_FUZZ_RANDOM=1 alone explores fresh examples at the normal size).
SCALE = max(1, int(os.environ.get("SYNTHDSL_FUZZ_SCALE", "1")))
RANDOM = SCALE > 1 or os.environ.get("SYNTHDSL_FUZZ_RANDOM") == "1"
ROOT = Path(__file__).resolve().parents[2]
TASTE = ROOT / "examples" / "taste.synth"
DATA = Path(__file__).resolve().parent / "cases"

SHOP = """\
seed 42
locale nl_BE

dataset cities = csv("data/cities.csv")

table shop {
  rows 30
  id     int   = serial() key
  kind   enum("food", "toy") ~ categorical("food": 0.7, "toy": 0.3)
  price  float ~ normal(20, 5) clamp(1, 100) round(2)
  stock  int?  ~ poisson(4) nulls 10%
  city   text  ~ categorical(cities.city, weights = cities.population)
  region text  = lookup(cities, city -> province)
  sale   bool  = price < 15 and kind == "toy"
  label  text  = format("{} #{}", upper(kind), id)
  code   text  = faker.bothify("??-####") unique
  rule cheap_food: kind == "food" implies price <= 60
  rule stocked:    stock is null or stock between 0 and 1000
}
"""

LIBRARY = """\
table authors {
  rows 8
  id    int   = serial(100) key
  born  date  ~ uniform(date("1950-01-01"), date("2000-12-31"))
  score float ~ mixture(0.5: normal(0, 1), 0.5: normal(5, 1))
  tier  text  = if score > 2 then "gold" else "silver"
}

table books {
  rows per authors ~ poisson(2)
  author_id int  = ref authors.id
  written   date = authors.born + days(uniform(7000, 15000))
  pages     int  ~ uniform(50, 900)
  isbn      text = concat("978-", text(pages), "-", text(author_id))
  rule long_enough: pages >= 60
  rule not_too_long: pages < 880
}
"""

# name -> (text, path used to load it; relative files resolve from the path's directory)
SEEDS: dict[str, tuple[str, str]] = {
    "taste": (TASTE.read_text(encoding="utf-8"), str(TASTE)),
    "shop": (SHOP, str(DATA / "shop.synth")),
    "library": (LIBRARY, str(DATA / "library.synth")),
}

TOKEN = re.compile(r'"[^"\n]*"|[A-Za-z_][A-Za-z0-9_]*|\d[\d_.]*|->|==|!=|<=|>=|\s+|.')

_WORDS = """
table rows per rule key unique nulls clamp round ref dataset csv parquet seed locale import
if then else and or not implies in between is null true false determines given
int float text date datetime bool enum decimal
normal lognormal poisson uniform categorical empirical mixture serial lookup
coalesce format days years_between faker mimesis name person email
patients visits shop authors books cities id age price kind pages x
~ = == != < <= > >= ( ) [ ] { } , : . -> % ? - + * /
"""

VOCAB = [
    *_WORDS.split(),
    "0",
    "1",
    "-1",
    "0.5",
    "3",
    "1e400",
    "99999999999999999999",
    "1_000",
    ".5",
    '""',
    '"x"',
    '"F"',
    "'a'",
    '"2026-02-30"',
    "\n",
    " ",
    "// c",
    "\\",
    "decimal(10, 2)",
    'enum("a", "b")',
    "serial()",
    "faker.name()",
    "uniform(0, 1)",
    "categorical([])",
    'categorical("a": 1)',
    "rows 5",
    "nulls 5%",
    "key",
    "int?",
]

CHARS = st.one_of(
    st.sampled_from(list("(){}[]<>=~!:,.\"'%?-+*/ \n\t_09azAZ#$@&|;\\")),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)


def event(name: str) -> None:
    """Count an outcome in ``--hypothesis-show-statistics`` (a no-op outside a Hypothesis test)."""
    if currently_in_test_context():
        _hypothesis_event(name)


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@st.composite
def _mutation(draw: st.DrawFn, text: str) -> str:
    op = draw(
        st.sampled_from(
            [
                "del_chars",
                "ins_char",
                "rep_char",
                "del_token",
                "ins_token",
                "rep_token",
                "dup_token",
                "swap_lines",
                "del_line",
                "dup_line",
                "truncate",
            ]
        )
    )
    n = len(text)
    if op in ("del_chars", "ins_char", "rep_char", "truncate"):
        i = draw(st.integers(0, n))
        if op == "del_chars":
            return text[:i] + text[i + draw(st.integers(1, 12)) :]
        if op == "ins_char":
            return text[:i] + draw(CHARS) + text[i:]
        if op == "rep_char":
            return text[:i] + draw(CHARS) + text[i + 1 :]
        return text[:i]
    if op.endswith("token"):
        toks = _tokens(text)
        if not toks:
            return text
        i = draw(st.integers(0, len(toks) - 1))
        if op == "del_token":
            del toks[i]
        elif op == "ins_token":
            toks.insert(i, draw(st.sampled_from(VOCAB)))
        elif op == "rep_token":
            toks[i] = draw(st.sampled_from(VOCAB))
        else:
            toks.insert(i, toks[i])
        return "".join(toks)
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    if op == "swap_lines":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "del_line":
        del lines[i]
    else:
        lines.insert(j, lines[i])
    return "\n".join(lines)


@st.composite
def mutated_specs(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    text, path = SEEDS[name]
    for _ in range(draw(st.integers(1, 3))):
        text = draw(_mutation(text))
    return text, path


def _check_spec_error(err: SpecError) -> None:
    assert err.diagnostics, "a SpecError without diagnostics"
    err.render()
    for d in err.diagnostics:
        assert re.fullmatch(r"E\d{3}", d.code), d
        src = d.span.source
        if src is not None and d.span.line:
            n_lines = src.text.count("\n") + 1
            assert 1 <= d.span.line <= n_lines, (d, n_lines)
            assert d.span.column >= 1, d


def _load(text: str, path: str):
    """The spec, or None when it is rejected with a proper error."""
    try:
        spec = synthdsl.loads(text, path=path)
    except SpecError as err:
        event("rejected: SpecError")
        _check_spec_error(err)
        return None
    except SynthError as err:
        event(f"rejected: {type(err).__name__}")
        return None
    event("checked ok")
    return spec


def _small_count(count) -> bool:
    """A child table's per-parent count is a constant draw with small parameters."""
    if count is None:
        return False
    if count.is_const:
        return isinstance(count.const, int) and 0 <= count.const <= 50
    if count.cat is not None:
        return all(abs(float(x)) <= 50 for x in count.cat.labels)
    if count.dist is None:
        return False
    return all(
        p.is_const and isinstance(p.const, int | float) and abs(p.const) <= 50
        for p in count.dist.params.values()
    )


def _generate(spec) -> None:
    tables = spec.checked.tables
    if not all(t.parent is None or _small_count(t.count) for t in tables.values()):
        event("generation skipped: large child counts")
        return
    rows = {n: 20 for n, t in tables.items() if t.parent is None and t.rows is not None}
    try:
        out = spec.generate(rows=rows, seed=1)
    except SynthError as err:
        event(f"generation failed cleanly: {type(err).__name__}")
        return
    event("generated")
    _check_frames(spec, out, rows)


def _check_frames(spec, out, rows: dict[str, int]) -> None:
    """Row counts as asked, and no nulls in a column whose type is not nullable."""
    for name, t in spec.checked.tables.items():
        frame = out[name]
        if name in rows:
            assert len(frame) == rows[name], name
        for col, info in t.columns.items():
            if not info.dtype.nullable and col in frame:
                nulls = int(frame[col].isna().sum())
                assert nulls == 0, f"{name}.{col} is {info.dtype} but holds {nulls} null(s)"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_specs_are_valid(name: str) -> None:
    text, path = SEEDS[name]
    spec = synthdsl.loads(text, path=path)
    _generate(spec)


@settings(
    max_examples=200 * SCALE,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_specs())
def test_mutated_specs_load_or_raise_spec_error(case: tuple[str, str]) -> None:
    text, path = case
    _load(text, path)


@settings(
    max_examples=80 * SCALE,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_specs())
def test_mutated_specs_that_check_also_generate(case: tuple[str, str]) -> None:
    text, path = case
    spec = _load(text, path)
    if spec is not None:
        _generate(spec)


@settings(
    max_examples=60 * SCALE,
    deadline=None,
    derandomize=not RANDOM,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(VOCAB), max_size=40).map(" ".join))
def test_token_soup_never_crashes(text: str) -> None:
    _load(text, "tests/errors/soup.synth")


# ------------------------------------------------------------------ bugs found by fuzzing
# One-column specs that check OK but then crash in generate() with a non-SynthError, or produce
# nulls in a non-nullable column. All are fixed: they stay as regression tests (each must end in a
# SynthError or in frames that honour their declared types).
GENERATION_BUGS = {
    "serial_start_beyond_int64": "x int = serial(99999999999999999999)",  # OverflowError
    "date_beyond_year_9999": 'x date = date("9999-12-31") + days(100000)',  # ValueError
    "poisson_huge_lambda": "x int ~ poisson(1e300)",  # ValueError: lam value too large
    "binomial_huge_n": "x int ~ binomial(99999999999999999999, 0.5)",  # OverflowError
    "format_bad_spec_for_int": 'x text = format("{:q}", 3)',  # ValueError
    "format_float_spec_for_text": 'x text = format("{:.2f}", "a")',  # ValueError
    "decimal_38_38": "x decimal(38, 38) ~ uniform(0, 1)",  # pyarrow ArrowInvalid
    "decimal_38_0": "x decimal(38, 0) ~ uniform(0, 1)",  # pyarrow ArrowInvalid
    "null_label_in_non_nullable": 'x text ~ categorical([null, "a"])',  # nulls leak
    "round_400_gives_nan": "x float ~ normal(0, 1) round(400)",  # all NaN, not nullable
    "date_overflow_gives_nat": 'x date = date("2000-01-01") + days(1e300)',  # NaT leak
}


@pytest.mark.parametrize("name", sorted(GENERATION_BUGS))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_generation_bug_stays_fixed(name: str) -> None:
    text = "table t {\n  rows 5\n  " + GENERATION_BUGS[name] + "\n}\n"
    try:
        spec = synthdsl.loads(text, path="tests/errors/gen_bug.synth")
        out = spec.generate(rows={"t": 5}, seed=1)
    except SynthError:
        return
    _check_frames(spec, out, {"t": 5})
