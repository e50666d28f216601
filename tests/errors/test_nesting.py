"""Deep expressions: refused past a documented depth with E006 and a caret, never a RecursionError;
anything up to the limit runs through every stage (check, plan JSON, generate, workers)."""

from __future__ import annotations

import json
import time

import pytest

import synthdsl
from synthdsl.errors import SpecError
from synthdsl.plan.model import Plan
from synthdsl.syntax.parse import MAX_NESTING

SHAPES = {
    "sum": lambda n: " + ".join(["x"] * (n + 1)),
    "and": lambda n: " and ".join(["x > 0"] * (n // 2 + 1)),
    "not": lambda n: "not " * n + "x > 0",
    "abs": lambda n: "abs(" * n + "x" + ")" * n,
    "minus": lambda n: "-" * n + "x",
    "if": lambda n: "if x > 0 then " * n + "x" + " else x" * n,
    "parens": lambda n: "(" * n + "x" + ")" * n,
}
TYPES = {"and": "bool", "not": "bool"}


def spec(shape: str, n: int) -> str:
    typ = TYPES.get(shape, "float")
    return f"table t {{\n  rows 50\n  x float ~ uniform(1, 2)\n  y {typ} = {SHAPES[shape](n)}\n}}\n"


def deepest(shape: str) -> int:
    """The largest n the parser accepts for this shape."""
    lo, hi = 1, 4 * MAX_NESTING
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            synthdsl.loads(spec(shape, mid))
            lo = mid
        except SpecError:
            hi = mid - 1
    return lo


@pytest.mark.parametrize("shape", SHAPES)
def test_past_the_limit_is_e006_with_a_caret(shape):
    with pytest.raises(SpecError) as err:
        synthdsl.loads(spec(shape, 3 * MAX_NESTING), "deep.synth")
    text = err.value.render()
    assert "error[E006]" in text and "deep.synth:4:" in text and "^" in text
    assert "split it into several columns" in text


@pytest.mark.parametrize("shape", SHAPES)
def test_up_to_the_limit_every_stage_runs(shape):
    n = deepest(shape)
    assert n >= MAX_NESTING // 2  # the bound is not far below the real depth
    s = synthdsl.loads(spec(shape, n))
    plan = s.plan()
    back = Plan.from_json(json.dumps(json.loads(plan.model_dump_json())))
    frame = s.generate()["t"]
    assert len(frame) == 50
    again = synthdsl.api.Spec(None, back, {}).generate(workers=2)["t"]
    assert again.equals(frame)


def test_a_megabyte_line_is_refused_quickly():
    text = "table t {\n  rows 1\n  y int = " + " + ".join(["1"] * 250_000) + "\n}\n"
    start = time.perf_counter()
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text)
    assert time.perf_counter() - start < 30  # generous for a loaded CI machine; ~2 s here
    assert [d.code for d in err.value.diagnostics] == ["E006"]
