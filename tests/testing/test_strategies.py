"""``synthdsl.hypothesis``: rules hold on every example, failures shrink, relations stay intact.

The rules are checked by oracles written beside the specs, never by the engine's rule evaluation:
``tests/examples/oracles.py`` for the example specs, and the ``Expr`` trees of ``tests/property``'s
random specs for specs nobody wrote by hand.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck, InvalidArgument, Unsatisfiable

import synthdsl
from synthdsl.hypothesis import frames, rows, tables
from tests.docs.test_docs import blocks as docs_blocks
from tests.examples import oracles
from tests.property.strategies import specs

SPECS = {name: synthdsl.load(oracles.EXAMPLES / f"{name}.synth") for name in oracles.ORACLES}
FAST = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MANY = settings(FAST, max_examples=150)
SHRINK = settings(max_examples=2000, deadline=None, database=None, derandomize=True)


# ------------------------------------------------------------------ every rule, every example
@pytest.mark.parametrize("name", sorted(oracles.ORACLES))
def test_tables_satisfy_every_rule_of_the_example_specs(name):
    @MANY
    @given(tables(SPECS[name]))
    def check(d):
        assert list(d) == SPECS[name].tables
        oracles.ORACLES[name](d)

    check()


@pytest.mark.parametrize("name", sorted(oracles.ORACLES))
def test_edge_cases_satisfy_every_rule_too(name):
    @FAST
    @given(tables(SPECS[name], edge_cases=True, min_rows=0))
    def check(d):
        oracles.ORACLES[name](d)

    check()


@pytest.mark.parametrize(
    ("name", "table"), [(n, t) for n in sorted(oracles.ORACLES) for t in SPECS[n].tables]
)
def test_frames_of_each_table_satisfy_its_rules(name, table):
    """Only the one table comes back: the oracle sees it beside empty frames of the others, so
    relations to parents (checked only when the parent rows are returned) are skipped."""
    empty = {t: df.iloc[:0] for t, df in SPECS[name].generate(rows=_one_row(SPECS[name])).items()}
    parents = _parents(SPECS[name], table)

    @FAST
    @given(frames(SPECS[name], table, max_rows=6))
    def check(df):
        assert len(df) <= 6
        assert list(df.columns) == list(empty[table].columns)
        if not parents:
            oracles.ORACLES[name](empty | {table: df})

    check()


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=specs(), data=st.data())
def test_random_specs_every_rule_holds(case, data):
    """Random valid specs (tests/property): every rule, evaluated by the case's own oracle."""
    spec = synthdsl.loads(case.text(), path="prop.synth")
    d = data.draw(tables(spec, max_rows=5))
    for table, rule in case.rules:
        ok = rule.holds(d[table])
        assert ok.all(), f"{table}.{rule.text()} fails:\n{d[table][~ok]}"


def _collect(strategy, n=150) -> list:
    seen = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None)
    @given(strategy)
    def check(x):
        seen.append(x)

    check()
    return seen


def _one_row(spec) -> dict[str, int]:
    return {t: 1 for t in spec.tables if not spec.checked.tables[t].parent}


def _parents(spec, table: str) -> list[str]:
    t = spec.checked.tables[table]
    return [c.ref[0] for c in t.columns.values() if c.ref] + sorted(t.aggregated)


# ------------------------------------------------------------------ Python values
def test_rows_are_dicts_of_python_values():
    spec = synthdsl.loads(
        """
        table t {
          rows 10
          i  int            ~ uniform(1, 9)
          f  float          ~ normal(0, 1)
          d  decimal(6, 2)  ~ uniform(0, 100)
          b  bool           ~ bernoulli(0.5)
          s  text           ~ categorical("a": 0.5, "b": 0.5)
          e  enum("x", "y")
          day  date         ~ uniform(date("2020-01-01"), date("2020-12-31"))
          at   datetime     ~ uniform(datetime("2020-01-01T00:00:00"), datetime("2020-01-02T00:00:00"))
          n  int?           ~ uniform(1, 9)  nulls 50%
        }
        """
    )
    seen = []

    @FAST
    @given(rows(spec, "t"))
    def check(r):
        seen.append(r)
        assert list(r) == ["i", "f", "d", "b", "s", "e", "day", "at", "n"]
        assert type(r["i"]) is int and 1 <= r["i"] <= 9
        assert type(r["f"]) is float
        assert isinstance(r["d"], Decimal) and r["d"] == r["d"].quantize(Decimal("0.01"))
        assert type(r["b"]) is bool
        assert r["s"] in ("a", "b") and r["e"] in ("x", "y")
        assert type(r["day"]) is dt.date and r["day"].year == 2020
        assert type(r["at"]) is dt.datetime
        assert r["n"] is None or type(r["n"]) is int

    check()
    assert any(r["n"] is None for r in seen) and any(r["n"] is not None for r in seen)


# ------------------------------------------------------------------ shrinking
BOUNDED = synthdsl.loads(
    """
    table t {
      rows 100
      id     int    = serial()  key
      score  int    ~ uniform(0, 100)
      weight float  ~ normal(30, 15) clamp(12, 60) round(1)
      level  text   ~ categorical("low": 0.7, "mid": 0.2, "high": 0.1)
      born   date   ~ uniform(date("1950-01-01"), date("2000-12-31"))
      tall   float  ~ normal(170, 10)
      rule adult_score: score >= 18
    }
    """
)


def test_a_failing_int_property_shrinks_to_the_boundary():
    r = find(rows(BOUNDED, "t"), lambda r: r["score"] >= 42, settings=SHRINK)
    assert r["score"] == 42


def test_shrinks_to_the_bound_a_rule_sets():
    """score >= 18 is folded into the draw: the smallest score there is is 18, never below."""
    r = find(rows(BOUNDED, "t"), lambda r: r["score"] < 30, settings=SHRINK)
    assert r["score"] == 18


def test_shrinks_to_the_clamp_bounds():
    """normal(30, 15)'s central range (30 +/- 71) passes both clamp bounds: values pile on them."""
    r = find(rows(BOUNDED, "t"), lambda r: r["weight"] >= 59, settings=SHRINK)
    assert r["weight"] == 59.0
    assert find(rows(BOUNDED, "t", edge_cases=True), lambda r: r["weight"] > 59.9)["weight"] == 60
    r = find(rows(BOUNDED, "t"), lambda r: r["weight"] < 12.5, settings=SHRINK)
    assert r["weight"] == 12.0


def test_dates_and_categories_shrink_to_simple_values():
    """Dates shrink as ``st.dates`` does, towards 2000-01-01: to the failing region's edge."""
    r = find(rows(BOUNDED, "t"), lambda r: r["born"] >= dt.date(1990, 6, 1), settings=SHRINK)
    assert r["born"] == dt.date(2000, 1, 1)
    r = find(rows(BOUNDED, "t"), lambda r: r["born"] < dt.date(1962, 6, 1), settings=SHRINK)
    assert r["born"] == dt.date(1962, 1, 1)  # the failing year nearest 2000, then January 1
    r = find(rows(BOUNDED, "t"), lambda r: True, settings=SHRINK)
    assert r["level"] == "low"  # the first label written


def test_frames_shrink_to_the_fewest_rows():
    df = find(frames(BOUNDED, "t"), lambda df: (df.score >= 50).any(), settings=SHRINK)
    assert len(df) == 1 and df.score.tolist() == [50]


def test_unbounded_distributions_reach_as_far_as_the_engine_draws():
    seen = [r["tall"] for r in _collect(rows(BOUNDED, "t"), 200)]
    # normal(170, 10) at the quantiles of the engine's smallest uniform step (2^-53): 170 +/- 82.1;
    # its central range (1e-6 quantiles, 170 +/- 47.5) guides, but does not bound, the values
    assert min(seen) >= 170 - 82.1 and max(seen) <= 170 + 82.1
    assert min(seen) < 170 - 48 and max(seen) > 170 + 48
    assert sum(170 - 48 <= x <= 170 + 48 for x in seen) > len(seen) / 2


# ------------------------------------------------------------------ related tables
def test_tables_keep_referential_integrity_and_aggregates():
    spec = SPECS["webshop"]
    sizes = []

    @FAST
    @given(tables(spec, min_rows=1, max_rows=3))
    def check(d):
        c, o, lines, pr = d["customers"], d["orders"], d["order_lines"], d["products"]
        assert 1 <= len(c) <= 3 and 1 <= len(pr) <= 3
        assert o.customer_id.isin(c.id).all()
        assert lines.order_id.isin(o.id).all() and lines.product_id.isin(pr.id).all()
        per_order = lines.groupby("order_id").size().reindex(o.id, fill_value=0)
        assert (per_order.to_numpy() == o.n_lines.to_numpy()).all()
        sizes.append((len(o), len(lines)))

    check()
    assert any(n_lines > 0 for _, n_lines in sizes)


def test_frames_of_a_child_table_point_at_parents_drawn_with_it():
    spec = SPECS["hospital"]

    @FAST
    @given(frames(spec, "visits", min_rows=1, max_rows=5))
    def check(v):
        assert 1 <= len(v) <= 5
        assert (v.ward == np.where(v.age_at_visit < 18, "pediatrics", "general")).all()
        assert (v.patient_id >= 1).all()

    check()


def test_rows_of_a_child_table_read_their_parent():
    spec = SPECS["webshop"]

    @FAST
    @given(rows(spec, "order_lines"))
    def check(r):
        assert r["line_total"] == r["quantity"] * r["unit_price"]
        assert 1 <= r["quantity"] <= 20

    check()


# ------------------------------------------------------------------ edge cases
def test_edge_cases_bring_bounds_rare_labels_nulls_and_empty_child_sets():
    spec = SPECS["hospital"]
    rare = {"prostate cancer", "preeclampsia", "breast cancer"}  # under 5% of the weight each
    plain = _collect(tables(spec, max_rows=3))
    edge = _collect(tables(spec, max_rows=3, edge_cases=True))

    def share(seen, f):
        values = [x for d in seen for x in f(d)]
        return sum(values) / max(1, len(values))

    def rare_share(seen):
        return share(seen, lambda d: d["patients"].diagnosis.isin(rare))

    def null_share(seen):
        return share(seen, lambda d: d["patients"].phone.isna())

    def childless(seen):
        return share(seen, lambda d: ~d["patients"].id.isin(d["visits"].patient_id))

    assert rare_share(edge) > rare_share(plain) + 0.1
    assert null_share(edge) > null_share(plain) + 0.1
    assert childless(edge) > childless(plain) + 0.1
    bmi = [x for d in edge for x in d["patients"].bmi]
    # both clamp bounds, far beyond lognormal(3.25, 0.15)'s central range (12.6 to 52.6)
    assert 12.0 in bmi and 60.0 in bmi


# ------------------------------------------------------------------ a rule it cannot satisfy
def test_an_unsatisfiable_rule_fails_the_health_check_naming_the_rule():
    spec = synthdsl.loads(
        """
        table t {
          rows 10
          a int ~ uniform(0, 100000)
          b int ~ uniform(0, 100000)
          rule needle: a + b == 123457
        }
        """,
        path="needle.synth",
    )

    @settings(max_examples=50, database=None, deadline=None)
    @given(rows(spec, "t"))
    def check(r):
        pass

    with pytest.raises(FailedHealthCheck) as info:
        check()
    assert "rule 'needle' of table 't' (needle.synth:6:" in str(info.value)
    assert ": a + b == 123457): " in str(info.value)

    @settings(
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
        max_examples=5,
        database=None,
    )
    @given(rows(spec, "t"))
    def suppressed(r):
        assert r["a"] + r["b"] == 123457

    with pytest.raises(Unsatisfiable):  # Hypothesis's own verdict once the check is suppressed
        suppressed()


def test_a_rule_broken_while_shrinking_a_real_failure_is_not_blamed():
    """Shrinking a genuine failure rejects many examples; the health check must stay out of it."""
    spec = synthdsl.loads(
        "table t {\n  rows 5\n  a int ~ uniform(0, 1000)\n  b int ~ uniform(0, 1000)\n"
        "  rule close: a - b < 300 and b - a < 300\n}\n"
    )
    r = find(rows(spec, "t"), lambda r: r["a"] + r["b"] > 1500, settings=SHRINK)
    assert r["a"] + r["b"] == 1501


# ------------------------------------------------------------------ arguments
def test_arguments_are_checked_first_with_clear_messages(tmp_path):
    spec = SPECS["hospital"]
    with pytest.raises(InvalidArgument, match=r"no table 'patient'.*did you mean 'patients'"):
        rows(spec, "patient")
    with pytest.raises(InvalidArgument, match="min_rows=5 is greater than max_rows=2"):
        frames(spec, "patients", min_rows=5, max_rows=2)
    with pytest.raises(InvalidArgument, match="max_rows=-1 must be a whole number"):
        tables(spec, max_rows=-1)
    for table in (None, 3, ["patients"]):
        with pytest.raises(InvalidArgument, match="must be a table name"):
            rows(spec, table)
    assert repr(frames(spec, "patients", max_rows=np.int64(3))).startswith("frames(")
    with pytest.raises(InvalidArgument, match="edge_cases='yes' must be True or False"):
        tables(spec, edge_cases="yes")
    with pytest.raises(InvalidArgument, match=r"takes a spec path or a synthdsl\.Spec, got int"):
        rows(3, "t")
    path = tmp_path / "x.synth"
    path.write_text("table t {\n  rows 2\n  a int ~ uniform(0, 9)\n}\n")
    assert isinstance(find(rows(str(path), "t"), lambda r: True)["a"], int)
    with pytest.raises(synthdsl.SynthError, match="spec file not found"):
        rows(tmp_path / "missing.synth", "t")


def test_without_hypothesis_the_import_names_the_extra():
    code = "import sys; sys.modules['hypothesis'] = None; import synthdsl.hypothesis"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "pip install 'synthdsl[testing]'" in proc.stderr


def test_frames_are_typed_like_generate():
    spec = SPECS["webshop"]
    df = find(frames(spec, "products", min_rows=2), lambda df: True)
    ref = spec.generate(rows={"customers": 2, "products": 2})["products"]
    pd.testing.assert_series_equal(df.dtypes, ref.dtypes)


@pytest.mark.parametrize(("md", "arg", "code"), docs_blocks("synth"))
def test_every_spec_of_the_docs_draws(md, arg, code):
    """Every language construct the docs show can be drawn from (identifier fields, lookups,
    imports, aggregates, ...), and each example keeps its rows' relations."""
    where = oracles.ROOT / (arg if arg and arg.endswith(".synth") else "docs/example.synth")
    spec = synthdsl.loads(code, str(where))

    @settings(
        max_examples=10, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(tables(spec, max_rows=3))
    def check(d):
        assert list(d) == spec.tables
        for name, t in spec.checked.tables.items():
            if t.parent:
                key = next(c for c in t.columns.values() if c.ref and c.ref[0] == t.parent)
                assert d[name][key.name].isin(d[t.parent][key.ref[1]]).all()

    check()


# ------------------------------------------------------------------ found by trying to break them
def _spec(text: str) -> synthdsl.Spec:
    return synthdsl.loads(text, path="t.synth")


def _holds(strategy, check, n=60) -> None:
    @settings(max_examples=n, database=None, deadline=None)
    @given(strategy)
    def run(x):
        check(x)

    run()


def test_aggregates_read_by_other_tables_are_computed_for_rows_and_frames():
    """An aggregate of an aggregate, and a sibling child reading its parent's aggregate."""
    spec = _spec(
        "table customers {\n rows 10\n id int = serial() key\n spent float = sum(orders.total)\n}\n"
        "table orders {\n rows per customers ~ poisson(2)\n id int = serial() key\n"
        " customer_id int = ref customers.id\n total float = sum(lines.amount)\n}\n"
        "table lines {\n rows per orders ~ poisson(2)\n order_id int = ref orders.id\n"
        " amount float ~ uniform(1, 10)\n}\n"
        "table refunds {\n rows per orders ~ poisson(1)\n order_id int = ref orders.id\n"
        " amount float ~ uniform(0, 100)\n rule not_more: amount <= orders.total\n}\n"
    )
    _holds(rows(spec, "customers"), lambda r: r["spent"] >= 0)
    _holds(frames(spec, "refunds", max_rows=4), lambda df: len(df) <= 4)

    def consistent(d):
        o = d["orders"].set_index("id")
        totals = d["lines"].groupby("order_id").amount.sum().reindex(o.index, fill_value=0)
        assert np.allclose(o.total, totals)
        m = d["refunds"].merge(d["orders"], left_on="order_id", right_on="id", suffixes=("", "_o"))
        assert (m.amount <= m.total).all()

    _holds(tables(spec, max_rows=3), consistent)


def test_continuous_draws_never_take_their_open_support_ends():
    spec = _spec(
        "table t {\n rows 10\n a float ~ exponential(1)\n b float ~ exponential(1)\n"
        " g float ~ gamma(2, 500)\n d float ~ beta(2, 2)\n ia float = 1 / a\n"
        " ld float = log(d) + log(1 - d)\n rule ab: b > a\n}\n"
    )

    def check(r):
        assert r["a"] > 0 and r["b"] > r["a"] and r["g"] > 0 and 0 < r["d"] < 1
        assert math.isfinite(r["ia"]) and math.isfinite(r["ld"])

    _holds(rows(spec, "t", edge_cases=True), check, 150)
    assert find(rows(spec, "t"), lambda r: True)["a"] > 0


def test_an_ordering_between_two_uniform_columns_draws():
    spec = _spec(
        "table t {\n rows 10\n a float ~ uniform(0, 1)\n b float ~ uniform(0, 1)\n"
        " rule ab: a < b\n}\n"
    )
    _holds(rows(spec, "t", edge_cases=True), lambda r: r["a"] < r["b"], 200)


def test_child_counts_follow_the_spec_and_the_size_options():
    spec = _spec(
        "table p {\n rows 10\n id int = serial() key\n}\n"
        "table two {\n rows per p ~ uniform(2, 4)\n pid int = ref p.id\n}\n"
        "table sparse {\n rows per p ~ categorical(0: 0.5, 4: 0.5)\n pid int = ref p.id\n}\n"
        "table expr {\n rows per p ~ 1 + poisson(2)\n pid int = ref p.id\n}\n"
        "table none {\n rows per p ~ binomial(3, 0)\n pid int = ref p.id\n}\n"
    )
    _holds(rows(spec, "two"), lambda r: r["pid"] >= 1)
    _holds(frames(spec, "expr", max_rows=2), lambda df: len(df) <= 2)
    sizes = []

    def check(d):
        per = {t: d[t].groupby("pid").size() for t in ("two", "sparse", "none")}
        assert per["two"].between(2, 4).all() and set(per["sparse"]) <= {4}
        assert len(d["none"]) == 0  # binomial(3, 0) is always 0
        sizes.append(len(d["sparse"]))

    _holds(tables(spec, max_rows=3, max_children=1), check)
    assert max(sizes) >= 4  # a count above max_children is kept when it is the smallest above 0


def test_rows_of_a_child_table_with_edge_cases_pass_the_health_checks():
    _holds(
        rows(SPECS["registry"], "admissions", edge_cases=True), lambda r: r["patient_id"] >= 1, 100
    )


def test_frames_over_an_unsatisfiable_rule_fail_the_health_check_not_pass_empty():
    spec = _spec(
        "table t {\n rows 10\n a int ~ uniform(0, 100000)\n b int ~ uniform(0, 100000)\n"
        " rule needle: a + b == 123457\n}\n"
    )
    with pytest.raises(FailedHealthCheck, match=r"rule 'needle'.*\n.*has not held on a single row"):
        _holds(frames(spec, "t"), lambda df: None, 100)


@pytest.mark.parametrize("run", range(2))
def test_a_rule_that_holds_sometimes_is_not_mistaken_for_one_that_never_does(run):
    spec = _spec(
        "table t {\n rows 10\n a int ~ uniform(0, 80)\n b int ~ uniform(0, 80)\n"
        " rule same: a == b\n}\n"
    )
    check = seed(run)(
        settings(max_examples=40, database=None, deadline=None)(
            given(frames(spec, "t", max_rows=3))(lambda df: None)
        )
    )
    check()


def test_rule_bounds_at_or_beyond_the_support_are_not_values():
    """``x > 0`` on an exponential is no end to snap to (its draws never reach 0), nor is
    ``y >= -0.00001``; the ends of an ordering chain are not pushed into each other."""
    spec = _spec(
        "table t {\n rows 10\n x float ~ exponential(1)\n y float ~ exponential(1)\n"
        " ix float = 1 / x\n rule pos: x > 0\n rule low: y >= -0.00001\n}\n"
        "table u {\n rows 10\n a float ~ uniform(0, 1)\n b float ~ uniform(0, 1)\n"
        " c float ~ uniform(0, 1)\n rule abc: a < b and b < c\n}\n"
    )
    _holds(rows(spec, "t", edge_cases=True), lambda r: r["x"] > 1e-9 and r["y"] > 1e-9, 200)
    _holds(rows(spec, "u", edge_cases=True), lambda r: r["a"] < r["b"] < r["c"], 200)


def test_a_continuous_draw_in_an_int_column_rounds_as_the_engine_does():
    spec = _spec(
        "table t {\n rows 10\n x int ~ uniform(0.2, 0.8)\n y int ~ normal(100.5, 0.1)\n}\n"
    )
    seen = _collect(rows(spec, "t"), 100)
    assert {r["x"] for r in seen} <= {0, 1} and {r["y"] for r in seen} <= {100, 101}
    engine = spec.generate(rows={"t": 2000})["t"]
    assert set(engine.x) <= {0, 1} and set(engine.y) <= {100, 101}


# ------------------------------------------------------------------ the engine's runtime, shared
def test_a_plan_loaded_without_its_spec_draws_too(tmp_path):
    """The strategies read only the plan (``synthdsl plan --json``), as every engine does."""
    path = tmp_path / "hospital.plan.json"
    path.write_text(SPECS["hospital"].plan().model_dump_json())
    spec = synthdsl.api.load_plan(path)

    @FAST
    @given(tables(spec, max_rows=3))
    def check(d):
        oracles.ORACLES["hospital"](d)

    check()


def test_child_rows_with_unique_providers_stay_unique():
    """A child table's row total (which a ``unique`` provider's permutation needs) is its drawn
    row count; a table-wide ``unique`` rule is checked within the example."""
    spec = _spec(
        "table p {\n rows 10\n id int = serial() key\n email text = mimesis.person.email() unique\n}\n"
        "table c {\n rows per p ~ poisson(3)\n pid int = ref p.id\n"
        " email text = mimesis.person.email() unique\n day text = faker.day_of_week() unique\n}\n"
    )
    sizes = []

    def check(d):
        assert d["p"].email.is_unique and d["c"].email.is_unique and d["c"].day.is_unique
        sizes.append(len(d["c"]))

    _holds(tables(spec, max_rows=3, max_children=2), check)
    assert max(sizes) >= 2


def test_one_strategy_draws_in_several_threads_at_once():
    """Each thread runs its own copy of the strategy's runtime (its source holds one example's
    ``draw``), so a strategy defined once at module level serves tests running in parallel."""
    import threading

    strategy = tables(SPECS["webshop"], max_rows=3)
    errors: list[BaseException] = []

    def worker():
        @settings(max_examples=30, database=None, deadline=None)
        @given(strategy)
        def check(d):
            o, lines = d["orders"], d["order_lines"]
            per_order = lines.groupby("order_id").size().reindex(o.id, fill_value=0)
            assert (per_order.to_numpy() == o.n_lines.to_numpy()).all()

        try:
            check()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
