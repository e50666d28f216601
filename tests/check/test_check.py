"""Checker: names, types, references, cycles, parameters, datasets, contradictions."""

from __future__ import annotations

import pytest

import synthdsl
from synthdsl.errors import SpecError


def errors(text: str, path: str = "spec.synth") -> list:
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(text, path)
    return exc.value.diagnostics


def codes(text: str) -> list[str]:
    return [d.code for d in errors(text)]


def table(body: str, rows: str = "rows 10") -> str:
    return "table t {\n " + rows + "\n " + body.replace("\n", "\n ") + "\n}\n"


def test_valid_spec_resolves_types_order_and_kinds():
    spec = synthdsl.loads(
        table(
            "c float = a + b\n a float ~ normal(0, 1)\n b int ~ poisson(3)\n"
            ' s enum("x", "y")\n id int = serial() key'
        )
    )
    t = spec.checked.tables["t"]
    assert t.order.index("a") < t.order.index("c") and t.order.index("b") < t.order.index("c")
    assert {n: c.kind for n, c in t.columns.items()} == {
        "c": "compute",
        "a": "draw",
        "b": "draw",
        "s": "default",
        "id": "serial",
    }
    assert t.columns["c"].deps == {"a", "b"}


def test_all_errors_reported_at_once_sorted_by_position():
    diags = errors(table("a float ~ normal(0, -1)\n b int = nope + 1\n c text = 5"))
    assert [d.code for d in diags] == ["E327", "E200", "E160"]
    assert [d.span.line for d in diags] == sorted(d.span.line for d in diags)


def test_unknown_column_suggests_closest_name():
    (d,) = errors(
        table(
            'birth_date date ~ uniform(date("2000-01-01"), date("2001-01-01"))\n'
            ' age int = years_between(birth_dat, date("2026-01-01"))'
        )
    )
    assert d.code == "E200" and d.hint == "did you mean 'birth_date'?"


def test_unknown_function_and_type_hints():
    d1, d2 = errors(table("x flot ~ normal(0, 1)\n y float ~ normall(0, 1)"))
    assert d1.code == "E101" and "float" in d1.hint
    assert d2.code == "E325" and "normal" in d2.hint


def test_dependency_cycle_is_printed():
    (d,) = errors(table("a int = b + 1\n b int = c + 1\n c int = a + 1"))
    assert d.code == "E211"
    assert "a -> b -> c -> a" in d.message or "b -> c -> a -> b" in d.message


def test_table_reference_cycle():
    text = (
        "table a {\n rows per b ~ poisson(1)\n id int = serial() key\n bid int = ref b.id\n}\n"
        "table b {\n rows per a ~ poisson(1)\n id int = serial() key\n aid int = ref a.id\n}\n"
    )
    assert "E212" in codes(text)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('x text ~ categorical("a": 0.5, "b": 0.4)', "E334"),
        ("x text ~ categorical([])", "E336"),
        ("x float ~ uniform(5, 1)", "E327"),
        ("x int ~ poisson(-2)", "E327"),
        ("x float ~ beta(0, 1)", "E327"),
        ('x date ~ uniform(date("2001-01-01"), date("2000-01-01"))', "E328"),
        ("x int = 1 nulls 5%", "E181"),
        ("x int? = 1 nulls 150%", "E180"),
        ("x float ~ normal(0, 1) clamp(5, 1)", "E184"),
        ("x int = 1 round(2)", "E187"),
        ('x date = date("2026-13-01")', "E354"),
        ('x text = format("{} {}", 1)', "E362"),
        ("x int = 1\n rule r: x + 1", "E191"),
        ("x int = 1\n rule r: x > 5 and x < 3", "E195"),
        ("x float ~ normal(0, 1)\n rule r1: x > 5\n rule r2: x <= 5", "E195"),
        ("x int = 1\n rule r: x > 1\n rule r: x < 9", "E190"),
        ("x int = x + 1", "E210"),
        ("x int = 1\n x int = 2", "E140"),
        ("x text", "E161"),
        ('x enum("a", "b") ~ categorical("a": 0.5, "c": 0.5)', "E162"),
        ("x int = 1\n rule r: x == null", "E314"),
        ('x int = "a" + 1', "E313"),
        ("x date = 1", "E160"),
        ("x int = 1\n rule r: uniform(0, 1) > 0.5", "E192"),
    ],
)
def test_checker_errors(body, code):
    assert code in codes(table(body))


def test_rows_errors():
    assert "E151" in codes("table t {\n x int = 1\n}\n")
    assert "E153" in codes("table t {\n rows per nope ~ poisson(1)\n x int = 1\n}\n")
    assert "E150" in codes("table t {\n rows 1\n rows 2\n x int = 1\n}\n")


def test_reference_errors():
    parent = "table p {\n rows 3\n id int = serial() key\n v int = 1\n}\n"
    assert "E170" in codes(parent + "table c {\n rows 1\n pid int = ref q.id\n}\n")
    assert "E171" in codes(parent + "table c {\n rows 1\n pid int = ref p.nope\n}\n")
    assert "E172" in codes(parent + "table c {\n rows 1\n pid int = ref p.v\n}\n")
    assert "E173" in codes(parent + "table c {\n rows 1\n pid text = ref p.id\n}\n")
    assert "E206" in codes(parent + "table c {\n rows 1\n x int = p.v\n}\n")


def test_parent_columns_visible_in_child():
    spec = synthdsl.loads(
        "table p {\n rows 3\n id int = serial() key\n v int = 7\n}\n"
        "table c {\n rows per p ~ poisson(2)\n pid int = ref p.id\n w int = p.v * 2\n}\n"
    )
    assert spec.checked.tables["c"].parent == "p"
    assert list(spec.checked.tables) == ["p", "c"]


def test_datasets_are_checked(write_spec):
    data = {
        "data/cities.csv": "city,province,population\nHasselt,Limburg,80000\nGent,Oost-Vlaanderen,260000\n"
    }
    ok = write_spec(
        'dataset cities = csv("data/cities.csv")\n'
        + table(
            "city text ~ categorical(cities.city, weights = cities.population)\n"
            " province text = lookup(cities, city -> province)"
        ),
        data,
    )
    spec = synthdsl.load(ok)
    assert spec.checked.datasets["cities"].columns == {
        "city": "text",
        "province": "text",
        "population": "int",
    }
    missing = write_spec(
        'dataset cities = csv("data/nope.csv")\n' + table("x int = 1"), data, "m.synth"
    )
    with pytest.raises(SpecError) as exc:
        synthdsl.load(missing)
    assert exc.value.diagnostics[0].code == "E134"
    badcol = write_spec(
        'dataset cities = csv("data/cities.csv")\n' + table("city text ~ categorical(cities.cty)"),
        data,
        "b.synth",
    )
    with pytest.raises(SpecError) as exc:
        synthdsl.load(badcol)
    d = exc.value.diagnostics[0]
    assert d.code == "E342" and d.hint == "did you mean 'city'?"


def test_lookup_requires_a_key(write_spec):
    data = {"d.csv": "city,province\nA,X\nA,Y\n"}
    path = write_spec(
        'dataset d = csv("d.csv")\n'
        + table('city text ~ categorical(["A"])\n p text = lookup(d, city -> province)'),
        data,
    )
    with pytest.raises(SpecError) as exc:
        synthdsl.load(path)
    d = exc.value.diagnostics[0]
    assert d.code == "E357" and "does not determine" in d.message and "rows 2, 3" in d.message


BRANCHES = {"b.csv": "code,region\nA1,North\nB2,South\nC3,East\n"}


def test_lookup_matches_a_row_column_of_another_name(write_spec):
    """``lookup(DS, code = branch_code -> region)``: the dataset's ``code`` against the row's
    ``branch_code``; the functional dependency holds by construction."""
    path = write_spec(
        'dataset b = csv("b.csv")\n'
        + table(
            "branch_code text ~ categorical(b.code)\n"
            " region text = lookup(b, code = branch_code -> region)\n"
            " rule fd: branch_code determines region",
            rows="rows 300",
        ),
        BRANCHES,
    )
    spec = synthdsl.load(path)
    frame = spec.generate()["t"]
    expected = {"A1": "North", "B2": "South", "C3": "East"}
    assert set(frame["branch_code"]) == set(expected)
    assert (frame["region"] == frame["branch_code"].map(expected)).all()
    rule = next(r for r in spec.plan().tables[0].rules if r.name == "fd")
    assert rule.by_construction and "lookup" in rule.by_construction
    # the plan's JSON keeps the row's column, and runs the same from it
    plan_file = path.parent / "plan.json"
    plan_file.write_text(spec.plan().model_dump_json())
    assert '"on":"branch_code"' in plan_file.read_text()
    again = synthdsl.load_plan(plan_file).generate()["t"]
    assert again.equals(frame)


@pytest.mark.parametrize(
    ("call", "code", "hint"),
    [
        ("lookup(b, code -> region)", "E200", "lookup(b, code = COLUMN -> region)"),
        ("lookup(b, code = brnch_code -> region)", "E200", "did you mean 'branch_code'?"),
        ("lookup(b, cde = branch_code -> region)", "E342", "did you mean 'code'?"),
    ],
)
def test_lookup_key_errors_say_how_to_match_another_name(write_spec, call, code, hint):
    path = write_spec(
        'dataset b = csv("b.csv")\n'
        + table(f"branch_code text ~ categorical(b.code)\n region text = {call}"),
        BRANCHES,
    )
    with pytest.raises(SpecError) as exc:
        synthdsl.load(path)
    (d,) = exc.value.diagnostics
    assert d.code == code and hint in d.hint


def test_lookup_key_of_another_type_is_a_check_error(write_spec):
    """An int row column against a text dataset key matched no row: every value was null and
    the run failed on the first row (review of issue 10)."""
    path = write_spec(
        'dataset b = csv("b.csv")\n'
        + table("n int = 3\n region text = lookup(b, code = n -> region)"),
        BRANCHES,
    )
    with pytest.raises(SpecError) as exc:
        synthdsl.load(path)
    (d,) = exc.value.diagnostics
    assert d.code == "E323" and "'n' is int but 'b.code' is text" in d.message
    assert "n_text text = text(n)" in d.hint and "code = n_text -> region" in d.hint


def test_lookup_of_the_key_column_itself(write_spec):
    """``lookup(b, code -> code)`` ended in pandas' "Grouper for 'code' not 1-dimensional"."""
    path = write_spec(
        'dataset b = csv("b.csv")\n'
        + table("code text ~ categorical(b.code)\n same text = lookup(b, code -> code)"),
        BRANCHES,
    )
    frame = synthdsl.load(path).generate()["t"]
    assert (frame["same"] == frame["code"]).all()


def test_imports_share_tables_and_datasets(write_spec, tmp_path):
    write_spec("table p {\n rows 4\n id int = serial() key\n}\n", name="base.synth")
    main = write_spec(
        'import "base.synth"\ntable c {\n rows per p ~ poisson(1)\n pid int = ref p.id\n}\n'
    )
    assert synthdsl.load(main).tables == ["p", "c"]
    cyc = write_spec('import "cyc.synth"\n', name="cyc.synth")
    with pytest.raises(SpecError) as exc:
        synthdsl.load(cyc)
    assert exc.value.diagnostics[0].code == "E113"


def test_a_draw_from_an_undeclared_model_is_e142():
    d = next(d for d in errors(table("a int = 1\n (b, c) ~ health")) if d.code == "E142")
    assert "unknown model 'health'" in d.message and "model health : bayesnet" in d.hint


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "a int ~ uniform(0, 9)\n rule c: a in [1, 2] and a == 5",
            "rule 'c' contradicts itself: no value of 'a' satisfies it",
        ),
        (
            'a text ~ categorical(["x", "y"])\n rule c: a == "x" and a in ["y"]',
            "rule 'c' contradicts itself: no value of 'a' satisfies it",
        ),
        (
            "a int ~ uniform(0, 9)\n rule c1: a in [1, 2]\n rule c3: a >= 5",
            "rules 'c1' and 'c3' contradict each other: no value of 'a' satisfies them",
        ),
    ],
)
def test_listed_values_that_no_bound_allows_contradict(body, message):
    (d,) = errors(table(body))
    assert (d.code, d.message) == ("E195", message)


@pytest.mark.parametrize(
    "body",
    [
        "a int ~ uniform(0, 9)\n rule c: a in [1, 2, 5] and a == 5",
        "a int ~ uniform(0, 9)\n rule c: a in [1, 6] and a >= 5",
        "b float ~ uniform(0, 1)\n rule c: b in [0.1 + 0.2] and b == 0.3",  # == has a tolerance
        "a int? ~ uniform(0, 9)\n rule c: a is null or a in [1, 2]\n rule d: a >= 0",
    ],
)
def test_listed_values_that_can_hold_are_not_contradictions(body):
    assert synthdsl.loads(table(body)).tables == ["t"]


def test_unknown_parent_column_in_a_date_uniform_has_no_knock_on_error():
    text = (
        "table p {\n rows 10\n k int = serial() key\n}\n"
        "table c {\n rows per p ~ poisson(1)\n"
        ' d date ~ uniform(date("2020-01-01"), p.nope)\n'
        ' f date ~ uniform(date("2020-01-01"), 5)\n}\n'
    )
    ds = errors(text)
    assert [(d.code, d.span.line) for d in ds] == [("E203", 7), ("E323", 8)]
    assert "found any" not in " ".join(d.message for d in ds)
