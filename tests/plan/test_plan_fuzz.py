"""Fuzz plans read from JSON: a hand-edited or mutated plan runs or fails with a message, never a
traceback, and never hangs.

Each example's plan (root tables capped to small row counts) is mutated by a seeded generator: keys
deleted or renamed, values replaced by odd ones (wrong types, huge numbers, NaN, surrogates, unknown
AST tags, unknown step kinds), lists reversed, items dropped or duplicated. Every mutant goes through
``load_plan`` and ``generate``; anything but success or a ``SynthError`` fails the test, with the
mutation that caused it. ``SYNTHDSL_FUZZ_SCALE=10`` runs ten times as many.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time

import pytest

import synthdsl
from synthdsl.api import load_plan
from synthdsl.errors import SynthError
from tests.conftest import EXAMPLES

SCALE = max(1, int(os.environ.get("SYNTHDSL_FUZZ_SCALE", "1")))
PER_EXAMPLE = 40 * SCALE
ODD = [
    "x",
    "",
    0,
    -1,
    7,
    2**63,
    -(2**63),
    10**30,
    1e308,
    -0.0,
    0.5,
    None,
    True,
    [],
    {},
    [1, 2],
    {"node": "Nope"},
    {"node": "Span"},
    {"float": "nan"},
    {"int": "0xzz"},
    "\ud800",
    "a" * 3000,
    {"codepoints": [0xD800]},
    "expression",
    "nope.kind",
    ["t", 0],
]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _at(value, path):
    for k in path:
        value = value[k]
    return value


def mutate(plan: dict, rng: random.Random) -> str:
    paths = [p for p in _paths(plan) if p]
    path = rng.choice(paths)
    parent, key = _at(plan, path[:-1]), path[-1]
    what = rng.randrange(6)
    if what == 0 and isinstance(parent, dict):
        del parent[key]
        return f"delete {path}"
    if what == 1 and isinstance(parent, dict):
        parent[f"{key}_x"] = parent.pop(key)
        return f"rename {path}"
    target = _at(plan, path)
    if what == 2 and isinstance(target, list) and target:
        rng.choice([target.reverse, target.pop, lambda: target.append(copy.deepcopy(target[0]))])()
        return f"list {path}"
    if what == 3 and isinstance(target, dict) and "node" in target:
        target["node"] = rng.choice(["Number", "String", "Name", "Call", "Binary", "If", "Column"])
        return f"ast tag {path}"
    odd = copy.deepcopy(rng.choice(ODD))
    parent[key] = odd
    return f"set {path} = {str(odd)[:30]!r}"


def _plan(name: str) -> dict:
    plan = json.loads(synthdsl.load(EXAMPLES / f"{name}.synth").plan().model_dump_json())
    for t in plan["tables"]:
        if t["rows"] is not None:
            t["rows"] = min(t["rows"], 60)
        if t.get("count"):  # keep child tables small whatever the mutation does to the parent
            t["count"]["clamp"] = [0, 3]
    return plan


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.synth")))
def test_mutated_plans_run_or_fail_with_a_message(name, tmp_path):
    base = _plan(name)
    rng = random.Random(f"plan-fuzz-{name}")
    outcomes = {"ran": 0, "refused": 0}
    for i in range(PER_EXAMPLE):
        plan = copy.deepcopy(base)
        what = "; ".join(mutate(plan, rng) for _ in range(rng.choice([1, 1, 2])))
        path = tmp_path / f"m{i}.json"
        path.write_text(json.dumps(plan))
        start = time.perf_counter()
        try:
            load_plan(path).generate(chunk_size=rng.choice([16_384, 50_000]))
            outcomes["ran"] += 1
        except SynthError as err:
            assert err.render()  # it renders without a traceback of its own
            outcomes["refused"] += 1
        except Exception as exc:
            pytest.fail(f"mutant {i} ({what}) of {name}: {type(exc).__name__}: {exc}")
        assert time.perf_counter() - start < 60, f"mutant {i} ({what}) took too long"
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == PER_EXAMPLE
