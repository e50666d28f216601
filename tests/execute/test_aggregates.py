"""Aggregates of a child table in a parent column: values, empty child sets, rules, plan, checks.

Every value is recomputed here with pandas ``groupby`` on the generated child table (never the
engine's own reduction), and ``aggregate.compute`` is compared with a per-row Python reference.
Determinism: the same bytes for any chunk size and worker count, and adding aggregate columns
changes no other column.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthdsl
from synthdsl.errors import SpecError
from synthdsl.expr import aggregate
from synthdsl.streams import BLOCK_ROWS
from synthdsl.values import Values

ROOT = Path(__file__).resolve().parents[2]

SHOP = """
seed 11
table customers {
  rows 2000
  id       int            = serial() key
  spent    decimal(14, 2) = sum(orders.total)
  n_orders int            = count(orders)
}
table orders {
  rows per customers ~ poisson(2)
  id          int            = serial() key
  customer_id int            = ref customers.id
  total       decimal(12, 2) = sum(order_lines.amount)
  n_lines     int            = count(order_lines)
  n_noted     int            = count(order_lines.note)
  biggest     decimal(10, 2)? = max(order_lines.amount)
  avg_qty     float?         = mean(order_lines.quantity)
  first_day   date?          = min(order_lines.day)
  last_day    date?          = max(order_lines.day)
  shipping    decimal(6, 2)  ~ uniform(0, 10) round(2)
  gross       decimal(12, 2) = total + shipping
  rule worth_it: gross > 5
}
table order_lines {
  rows per orders ~ poisson(2)
  order_id int            = ref orders.id
  quantity int            ~ poisson(2) clamp(1, 20)
  price    decimal(8, 2)  ~ lognormal(3, 0.8) clamp(1, 5000) round(2)
  amount   decimal(10, 2) = quantity * price
  day      date           ~ uniform(date("2024-01-01"), date("2024-12-31"))
  note     text?          = "gift" nulls 60%
}
table shipments {
  rows per orders ~ poisson(1)
  order_id int            = ref orders.id
  value    decimal(12, 2) = orders.gross
}
"""


@pytest.fixture(scope="module")
def shop():
    return synthdsl.loads(SHOP, "shop.synth").generate()


def _dsum(s: pd.Series) -> Decimal:
    return sum(s, Decimal(0))


def test_order_aggregates_match_pandas(shop):
    o, lines = shop["orders"].set_index("id"), shop["order_lines"]
    g = lines.groupby("order_id")
    assert (o.total == g.amount.agg(_dsum).reindex(o.index, fill_value=Decimal(0))).all()
    assert (o.n_lines == g.size().reindex(o.index, fill_value=0)).all()
    assert (o.n_noted == g.note.count().reindex(o.index, fill_value=0)).all()
    has = o.index.isin(lines.order_id)
    assert (~has).sum() > 50  # poisson(2) leaves some orders without lines
    assert (o.biggest[has] == g.amount.max().reindex(o.index[has])).all()
    assert o.biggest[~has].isna().all() and o.avg_qty[~has].isna().all()
    assert o.first_day[~has].isna().all() and o.last_day[~has].isna().all()
    mean = g.quantity.mean().reindex(o.index[has])
    assert np.allclose(o.avg_qty[has].astype(float), mean.astype(float), rtol=1e-12)
    assert (o.first_day[has] == g.day.min().reindex(o.index[has])).all()
    assert (o.last_day[has] == g.day.max().reindex(o.index[has])).all()
    assert (o.total[~has] == 0).all() and (o.n_lines[~has] == 0).all()


def test_aggregates_of_aggregates_and_late_columns(shop):
    c, o = shop["customers"].set_index("id"), shop["orders"]
    g = o.groupby("customer_id")
    assert (c.spent == g.total.agg(_dsum).reindex(c.index, fill_value=Decimal(0))).all()
    assert (c.n_orders == g.size().reindex(c.index, fill_value=0)).all()
    # a late drawn column and a rule over the aggregate, redrawing only that column
    assert (o.gross == o.total + o.shipping).all()
    assert (o.gross > 5).all()
    # a sibling child generated after the aggregates may read them
    s = shop["shipments"].merge(o[["id", "gross"]], left_on="order_id", right_on="id")
    assert len(s) and (s.value == s.gross).all()


def test_plan_shows_the_children_step_before_the_aggregates():
    plan = synthdsl.loads(SHOP, "shop.synth").plan()
    orders = plan.table("orders")
    kinds = [s.kind for s in orders.steps]
    ids = [s.id for s in orders.steps]
    children = ids[kinds.index("children")]
    assert children == "orders.rows:order_lines"
    assert kinds.index("children") < kinds.index("aggregate")
    agg = next(s for s in orders.steps if s.kind == "aggregate" and "amount" in s.id)
    assert agg.params == {"func": "sum", "child": "order_lines", "column": "amount"}
    total = next(s for s in orders.steps if s.id == "orders.total")
    assert [(i.kind, i.table) for i in total.inputs] == [("aggregate", "order_lines")]
    assert total.inputs[0].name == agg.outputs[0]
    # early columns first, then the children, then the aggregates and what reads them
    assert ids.index("orders.id") < ids.index(children) < ids.index("orders.shipping")
    rule = next(r for r in orders.rules if r.name == "worth_it")
    assert rule.redraw == ("orders.shipping",) and "after the aggregates" in rule.enforcement
    text = plan.to_text()
    assert "children                orders.rows:order_lines" in text
    assert "<- sum(order_lines.amount)" in text


def _files(spec, path, **kw) -> dict[str, bytes]:
    spec.write(path, format="csv", **kw)
    return {f.name: f.read_bytes() for f in sorted(path.iterdir()) if f.suffix == ".csv"}


def test_same_bytes_for_any_chunk_size(tmp_path):
    spec = synthdsl.loads(SHOP, "shop.synth")
    rows = {"customers": 2 * BLOCK_ROWS + 7}
    a = _files(spec, tmp_path / "a", rows=rows, chunk_size=BLOCK_ROWS)
    b = _files(spec, tmp_path / "b", rows=rows, chunk_size=3 * BLOCK_ROWS)
    assert a.keys() == {"customers.csv", "orders.csv", "order_lines.csv", "shipments.csv"}
    assert a == b


@pytest.mark.slow
def test_same_bytes_for_any_worker_count(tmp_path):
    spec = synthdsl.loads(SHOP, "shop.synth")
    rows = {"customers": 2 * BLOCK_ROWS + 7}
    a = _files(spec, tmp_path / "a", rows=rows, chunk_size=BLOCK_ROWS)
    b = _files(spec, tmp_path / "b", rows=rows, chunk_size=BLOCK_ROWS, workers=2)
    assert a == b


def test_adding_aggregate_columns_changes_no_other_value():
    path = ROOT / "examples" / "webshop.synth"
    text = path.read_text()
    plain = "\n".join(
        line
        for line in text.splitlines()
        if not line.strip().startswith(("total ", "n_lines ", "rule has_lines"))
    )
    assert plain != text
    rows = {"customers": 300, "products": 50}
    with_aggs = synthdsl.loads(text, str(path)).generate(rows=rows)
    without = synthdsl.loads(plain, str(path)).generate(rows=rows)
    for table, df in without.items():
        pd.testing.assert_frame_equal(with_aggs[table][df.columns], df)
    assert {"total", "n_lines"} <= set(with_aggs["orders"].columns)


def test_child_counts_of_at_least_one_allow_non_nullable_min_max_mean():
    for dist in ("geometric(0.5)", "1 + poisson(2)", "max(1, poisson(2))", "3"):
        spec = synthdsl.loads(
            "table p {\n rows 50\n id int = serial() key\n lo float = min(c.x)\n"
            " hi float = max(c.x)\n avg float = mean(c.x)\n}\n"
            f"table c {{\n rows per p ~ {dist}\n pid int = ref p.id\n x float ~ normal(0, 1)\n}}\n"
        )
        d = spec.generate()
        assert d["p"][["lo", "hi", "avg"]].notna().all().all(), dist
        assert (d["p"].lo <= d["p"].avg).all() and (d["p"].avg <= d["p"].hi).all()


def test_aggregate_inside_an_expression():
    spec = synthdsl.loads(
        "table p {\n rows 200\n id int = serial() key\n"
        " top float = coalesce(max(c.x), 0) * 2\n share float? = sum(c.x) / count(c)\n}\n"
        "table c {\n rows per p ~ poisson(1)\n pid int = ref p.id\n x float ~ uniform(1, 2)\n}\n"
    )
    d = spec.generate()
    p, c = d["p"].set_index("id"), d["c"]
    top = c.groupby("pid").x.max().reindex(p.index).fillna(0) * 2
    assert np.allclose(p.top, top)
    share = (c.groupby("pid").x.sum() / c.groupby("pid").size()).reindex(p.index)
    assert np.allclose(p.share.astype(float), share, equal_nan=True)
    assert p.share.isna().sum() == (~p.index.isin(c.pid)).sum() > 0  # division by zero is null


# ------------------------------------------------------------------ check errors
def _codes(text: str) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as err:
        synthdsl.loads(text)
    return [(d.code, d.message) for d in err.value.diagnostics]


PARENT = "table p {\n rows 10\n id int = serial() key\n"
CHILD = "}\ntable c {\n rows per p ~ poisson(2)\n pid int = ref p.id\n x float ~ uniform(0, 1)\n"


def test_nullable_aggregate_needs_a_nullable_column():
    ((code, msg),) = _codes(PARENT + " m float = mean(c.x)\n" + CHILD + "}\n")
    assert code == "E163" and "may have no 'c' rows" in msg
    ((code, msg),) = _codes(
        PARENT
        + " m float = max(c.y)\n"
        + CHILD.replace("poisson(2)", "geometric(0.5)")
        + " y int? ~ poisson(1) nulls 10%\n}\n"
    )
    assert code == "E163" and "'c.y' is nullable" in msg
    synthdsl.loads(PARENT + " m float? = mean(c.x)\n s float = sum(c.x)\n" + CHILD + "}\n")


def test_child_reading_its_parents_aggregate_is_a_cycle():
    ((code, msg),) = _codes(
        PARENT + " s float = sum(c.x)\n t float = s * 2\n" + CHILD + " y float = p.t\n}\n"
    )
    assert code == "E213"
    assert "c.y -> p.t -> p.s -> sum(c.x) -> c" in msg


def test_rule_over_an_aggregate_cannot_redraw_what_the_child_read():
    ((code, msg),) = _codes(
        PARENT
        + " v float ~ uniform(0, 1)\n n int = count(c)\n rule r: n < 9 or v > 0.5\n"
        + CHILD
        + " w float = p.v\n}\n"
    )
    assert code == "E196" and "'v'" in msg
    # without the child reading v, v is drawn after the aggregate and redrawn by the rule
    d = synthdsl.loads(
        PARENT
        + " v float ~ uniform(0, 1)\n n int = count(c)\n rule r: n < 3 or v > 0.5\n"
        + CHILD
        + "}\n"
    ).generate()["p"]
    assert ((d.n < 3) | (d.v > 0.5)).all() and (d.n >= 3).any()


def test_bad_aggregate_arguments():
    codes = [
        c
        for c, _ in _codes(
            PARENT + " a float = sum(c)\n b float = mean(cc.x)\n c2 int = count(1)\n"
            " d float = sum(c.t)\n e float = sum(c.nope)\n" + CHILD + ' t text = "a"\n}\n'
        )
    ]
    assert codes == ["E363", "E363", "E363", "E364", "E203"]
    # one-argument min/max that is not a child column keeps the scalar min()'s arity error
    assert [c for c, _ in _codes("table t {\n rows 1\n x int = min(3)\n}\n")] == ["E320"]


# ------------------------------------------------------------------ reduction vs a per-row reference
def _reference(func: str, vals: list):
    """The aggregate of one parent's non-null child values, one value at a time."""
    if func == "count":
        return len(vals)
    if func == "sum":
        return sum(vals) if vals else 0
    if not vals:
        return None
    if func == "mean":
        return sum(vals) / len(vals)
    return min(vals) if func == "min" else max(vals)


@pytest.mark.parametrize("func", aggregate.FUNCTIONS)
@pytest.mark.parametrize("kind", ["int", "float", "date"])
def test_compute_matches_a_per_row_reference(func, kind):
    rng = np.random.default_rng(5)
    n = 40
    counts = rng.poisson(1.5, n)
    counts[-3:] = 0  # trailing empty parents
    idx = np.repeat(np.arange(n), counts)
    m = len(idx)
    if kind == "int":
        data = rng.integers(-50, 50, m)
    elif kind == "float":
        data = rng.normal(0, 10, m)
    else:
        data = np.datetime64("2024-01-01") + rng.integers(0, 300, m).astype("timedelta64[D]")
    null = rng.random(m) < 0.2
    if kind == "date" and func in ("sum", "mean"):
        return
    got = aggregate.compute(func, Values(data, null), idx, n)
    for p in range(n):
        vals = [data[i] for i in np.flatnonzero(idx == p) if not null[i]]
        want = _reference(func, vals)
        is_null = got.null is not None and got.null[p]
        if want is None:
            assert is_null, (func, p)
        else:
            assert not is_null
            if kind == "float" or func == "mean":
                assert math.isclose(float(got.data[p]), float(want), rel_tol=1e-9, abs_tol=1e-9)
            else:
                assert got.data[p] == want
    rows = aggregate.compute("count", None, idx, n)
    assert rows.data.tolist() == counts.tolist()


def test_a_parent_column_named_like_the_aggregated_child_column_is_redrawn_alone():
    """``c0`` in the parent and ``sum(kids.c0)``: redrawing the parent's ``c0`` for a rule must not
    recompute the aggregate (a KeyError: the child rows do not exist yet), and the aggregate is the
    child's sum."""
    spec = synthdsl.loads(
        """
seed 4
table parents {
  rows 300
  id  int   = serial() key
  c0  float ~ normal(0, 1)
  c1  float ~ normal(0, 1)
  tot float = sum(kids.c0)
  rule mixed: c0 + c1 > -1
}
table kids {
  rows per parents ~ poisson(2)
  id  int   = serial() key
  pid int   = ref parents.id
  c0  float ~ uniform(0, 10)
}
""",
        "p.synth",
    )
    frames = spec.generate()
    p, k = frames["parents"], frames["kids"]
    assert (p["c0"] + p["c1"] > -1).all()
    sums = k.groupby("pid")["c0"].sum().reindex(p["id"], fill_value=0.0).to_numpy()
    np.testing.assert_allclose(p["tot"].to_numpy(dtype=float), sums, rtol=1e-9)
