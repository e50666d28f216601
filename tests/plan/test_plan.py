"""Planner: step order, how each rule is enforced, and the JSON form."""

from __future__ import annotations

import json

import synthdsl
from synthdsl.plan.model import Plan


def plan_of(body: str, extra: str = ""):
    return synthdsl.loads(
        "table t {\n rows 100\n " + body.replace("\n", "\n ") + "\n}\n" + extra
    ).plan()


def rule(plan: Plan, name: str, table: str = "t"):
    t = next(t for t in plan.tables if t.name == table)
    return next(r for r in t.rules if r.name == name)


def test_bound_on_a_drawn_column_becomes_a_truncated_draw():
    p = plan_of("x float ~ normal(0, 1)\n rule pos: x > 3.5")
    r = rule(p, "pos")
    assert r.enforcement.startswith("by construction (truncated draw of x to (3.5, inf))")
    assert r.by_construction and "rejection" not in r.enforcement
    step = p.tables[0].steps[0]
    assert step.kind == "truncated_draw" and step.params["low"] == {"value": 3.5}
    assert "truncated to (3.5, inf)" in step.describe


def test_bounds_of_several_rules_intersect():
    p = plan_of("x int ~ poisson(5)\n rule a: x >= 2\n rule b: x between 1 and 8")
    assert "[2, 8]" in p.tables[0].steps[0].describe


def test_ordering_between_columns_becomes_a_conditional_draw():
    p = plan_of("a float ~ normal(0, 1)\n b float ~ normal(0, 1)\n rule ab: a < b")
    r = rule(p, "ab")
    assert "conditional draw of b given a" in r.enforcement
    b = next(s for s in p.tables[0].steps if s.id == "t.b")
    assert b.kind == "truncated_draw" and b.params["low"] == {"column": "a"}
    assert "a" in [i.name for i in b.inputs]


def test_forbidden_combination_zeroes_categorical_weights():
    p = plan_of(
        'sex text ~ categorical("F": 0.5, "M": 0.5)\n'
        ' dx text ~ categorical("flu": 0.9, "prostate cancer": 0.1)\n'
        ' rule r: not (sex == "F" and dx == "prostate cancer")'
    )
    r = rule(p, "r")
    assert "conditional categorical" in r.enforcement
    assert "dx never ['prostate cancer'] when sex in ['F']" in r.enforcement


def test_implies_over_categoricals_is_also_conditioned():
    p = plan_of(
        'a text ~ categorical("x": 0.5, "y": 0.5)\n b text ~ categorical("p": 0.5, "q": 0.5)\n'
        ' rule r: a == "x" implies b != "q"'
    )
    assert "conditional categorical" in rule(p, "r").enforcement


def test_other_rules_fall_back_to_rejection_of_their_random_columns():
    p = plan_of(
        'b date ~ uniform(date("1950-01-01"), date("2000-01-01"))\n'
        " d date? ~ b + days(uniform(0, 20000)) nulls 50%\n"
        ' age int = years_between(b, date("2026-01-01"))\n'
        " rule dod: d is null or b < d\n rule adult: age >= 30 or d is null"
    )
    r = rule(p, "dod")
    assert r.enforcement == "rejection of failing rows"
    assert r.redraw == ("t.b", "t.d")
    assert rule(p, "adult").redraw == ("t.b", "t.d")


def test_unique_columns():
    p = plan_of("id int = serial() key\n code int ~ uniform(0, 1000000) unique")
    names = [r.name for r in p.tables[0].rules]
    assert names == ["unique_code"]
    assert p.tables[0].sequential is True


def test_lookup_makes_functional_dependency_hold_by_construction(write_spec):
    data = {"c.csv": "city,province\nHasselt,Limburg\nGent,Oost-Vlaanderen\n"}
    spec = synthdsl.load(
        write_spec(
            'dataset c = csv("c.csv")\ntable t {\n rows 5\n city text ~ categorical(c.city)\n'
            " province text = lookup(c, city -> province)\n rule fd: city determines province\n}\n",
            data,
        )
    )
    r = rule(spec.plan(), "fd")
    assert r.enforcement.startswith("by construction (lookup")


def test_child_tables_follow_their_parent_and_json_round_trips():
    p = synthdsl.loads(
        "table c {\n rows per p ~ poisson(2)\n pid int = ref p.id\n}\n"
        "table p {\n rows 10\n id int = serial() key\n}\n"
    ).plan()
    assert [t.name for t in p.tables] == ["p", "c"]
    assert p.tables[1].count.text == "poisson(2)"
    data = json.loads(p.model_dump_json())
    assert Plan.model_validate(data) == p
    text = p.to_text()
    assert text.index("table p") < text.index("table c")
    assert "reference               c.pid: ref p.id" in text
