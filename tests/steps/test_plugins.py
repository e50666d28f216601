"""Step kinds from outside the package: registered through the ``synthdsl.steps`` entry-point group,
placed in a plan (the plan is data, so a test can put any step in it), run by the same block loop.

(a) a step that fills several columns jointly from one stream; (b) the same step given another
column of the row, with a rule over its outputs enforced by redrawing *all* its outputs for the
failing rows; (c) a step that emits rows into a child table. Each runs in worker processes too.
"""

from __future__ import annotations

import numpy as np
import pytest

import synthdsl
from synthdsl.api import Spec
from synthdsl.plan.model import Input, StepSpec
from synthdsl.steps import base
from tests.steps import kinds

PAIR = """
table t {
  rows 3000
  id int = serial() key
  g int ~ uniform(0, 3)
  x float ~ normal(0, 1)
  y float ~ normal(0, 1)
  s float = x + y
  rule ordered: x < y
}
"""


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Install the test kinds as a distribution with entry points (as `pip install` would)."""
    dist = tmp_path / "synthdsl_test_kinds-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: synthdsl-test-kinds\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[synthdsl.steps]\n"
        "test.joint = tests.steps.kinds:JointKind\n"
        "test.events = tests.steps.kinds:EventsKind\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    base.reload_plugins()
    kinds.CALLS.clear()
    yield
    base.reload_plugins()


def _pair_plan(given: str | None, rule: bool):
    plan = synthdsl.loads(PAIR if rule else PAIR.replace("rule ordered: x < y", "")).plan()
    t = plan.table("t")
    steps = []
    for s in t.steps:
        if s.id == "t.x":
            params = {"rho": 0.8} | ({"given": given} if given else {})
            inputs = (Input(kind="column", name=given),) if given else ()
            steps.append(
                StepSpec(
                    id="t.xy",
                    kind="test.joint",
                    table="t",
                    outputs=("x", "y"),
                    inputs=inputs,
                    stream=("t", "xy"),
                    params=params,
                    describe="x, y jointly",
                )
            )
        elif s.id != "t.y":
            steps.append(s)
    rules = tuple(
        r.model_copy(
            update={
                "redraw": ("t.xy",),
                "by_construction": None,
                "enforcement": "rejection of failing rows",
            }
        )
        for r in t.rules
        if r.name == "ordered"
    ) + tuple(r for r in t.rules if r.name != "ordered")
    t2 = t.model_copy(update={"steps": tuple(steps), "rules": rules})
    return plan.model_copy(update={"tables": (t2,)})


def test_a_step_fills_several_columns_jointly_from_one_stream(plugin):
    plan = _pair_plan(None, rule=False)
    assert "test.joint" in plan.to_text()
    spec = Spec(None, plan, {})
    df = spec.generate()["t"]
    assert np.corrcoef(df.x, df.y)[0, 1] == pytest.approx(0.8, abs=0.05)
    assert np.allclose(df.s, df.x + df.y)  # a later step reads both outputs
    # one stream for the step: the same bytes for any chunking, and with worker processes
    again = spec.generate(chunk_size=1000)["t"]
    assert again.equals(df)
    assert spec.generate(workers=2, chunk_size=1000)["t"].equals(df)
    # the plan with the plug-in step survives JSON (the kind is a registry name, not code)
    back = type(plan).from_json(plan.model_dump_json())
    assert Spec(None, back, {}).generate()["t"].equals(df)


def test_a_joint_step_given_a_column_redraws_all_its_outputs_for_failing_rows(plugin):
    plan = _pair_plan("g", rule=True)
    df = Spec(None, plan, {}).generate()["t"]
    assert (df.x < df.y).all()
    # the given column moves both outputs: each group's means follow g
    for g, part in df.groupby("g"):
        assert part.x.mean() == pytest.approx(10 * g, abs=0.6)
    first = next(c for c in kinds.CALLS if c["redo"] == ())
    redraws = [c for c in kinds.CALLS if c["redo"]]
    assert redraws, "some rows must fail x < y and be redrawn"
    failed = first["x"] >= first["y"]
    assert failed.any()
    rows = first["rows"][failed]
    # every redraw call got only failing rows and returned both outputs
    assert set(np.concatenate([c["rows"] for c in redraws])) >= set(rows[:5].tolist())
    final = df.set_index("id")
    ids = rows + 1  # serial() starts at 1
    assert (final.loc[ids, "x"].to_numpy() != first["x"][failed]).all()
    assert (final.loc[ids, "y"].to_numpy() != first["y"][failed]).all()
    # rows that passed at first kept both values
    ok_ids = first["rows"][~failed][:50] + 1
    assert np.array_equal(final.loc[ok_ids, "x"].to_numpy(), first["x"][~failed][:50])


EVENTS = """
table p {
  rows 2000
  id int = serial() key
  w float ~ uniform(0, 1)
}
table e {
  rows per p ~ poisson(1)
  pid int = ref p.id
  seq int = 0
  when float ~ uniform(0, 1)
  rule after: when > 0.0
}
"""


def _events_plan():
    plan = synthdsl.loads(EVENTS).plan()
    p = plan.table("p")
    steps = tuple(
        s.model_copy(update={"kind": "test.events", "params": {}}) if s.kind == "children" else s
        for s in p.steps
    )
    return plan.model_copy(
        update={
            "tables": tuple(
                t if t.name != "p" else p.model_copy(update={"steps": steps}) for t in plan.tables
            )
        }
    )


def test_a_step_emits_rows_into_a_child_table(plugin):
    plan = _events_plan()
    spec = Spec(None, plan, {})
    out = spec.generate()
    p, e = out["p"], out["e"]
    counts = e.groupby("pid").size().reindex(p.id, fill_value=0)
    assert set(counts.unique()) <= {0, 1, 2, 3} and counts.max() == 3  # the step's own counts
    # the emitted column came with the rows; the child's own steps filled the others
    for _, group in e.groupby("pid"):
        assert group.seq.tolist() == list(range(1, len(group) + 1))
    assert e.pid.isin(p.id).all() and ((e.when > 0) & (e.when < 1)).all()
    assert spec.generate(chunk_size=500)["e"].equals(e)
    assert spec.generate(workers=2, chunk_size=500)["e"].equals(e)


def test_an_unknown_kind_names_the_entry_point_group():
    plan = _events_plan()
    with pytest.raises(synthdsl.SynthError, match=r"unknown kind 'test\.events'.*synthdsl\.steps"):
        Spec(None, plan, {}).generate()
