"""Properties of the engine over random valid specs (``strategies.specs``).

Every property compares engine output with an oracle built beside the spec text, never with the
engine's own compiled rules or expressions:

* every rule holds on every output row (rules evaluated by the strategy's own ``Expr`` trees);
* output is identical across chunk sizes (Arrow tables, ``.equals``) and, in the slow test, across
  worker counts (CSV files written by ``Spec.write``, byte for byte);
* inserting a drawn column in the middle of a table leaves every other column unchanged;
* declared types hold: Arrow types, nulls only in ``?`` columns, enum and label domains, clamp
  bounds, round digits, supports of distributions, serial keys, references, and computed columns
  equal an independent recomputation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import synthdsl

from .strategies import (
    BLOCK_ROWS,
    Column,
    SpecCase,
    column_values,
    drawn_column,
    specs,
)


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def load(case: SpecCase) -> synthdsl.Spec:
    return synthdsl.loads(case.text(), path="prop.synth")


def arrow_tables(spec: synthdsl.Spec, **kwargs) -> dict[str, pa.Table]:
    """Every table as one Arrow table, batches concatenated in the order they were yielded."""
    parts: dict[str, list[pa.Table]] = defaultdict(list)
    for table, batch in spec.batches(**kwargs):
        parts[table].append(batch)
    return {t: pa.concat_tables(parts[t]) for t in spec.tables}


def _show(df, rows, cols) -> str:
    return df.iloc[rows][sorted(cols)].to_string()


# ------------------------------------------------------------------------------- rules hold
@_settings(200)
@given(case=specs())
def test_every_rule_holds_on_every_row(case: SpecCase):
    out = load(case).generate()
    for table, rule in case.rules:
        df = out[table]
        ok = rule.holds(df)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            pytest.fail(
                f"{table}.{rule.text()} fails on {len(bad)} of {len(df)} rows, e.g.\n"
                + _show(df, bad[:5], rule.columns)
            )


# ------------------------------------------------------------------------------- chunking
def _assert_same(a: dict[str, pa.Table], b: dict[str, pa.Table], what: str) -> None:
    assert a.keys() == b.keys()
    for t in a:
        assert a[t].schema.equals(b[t].schema), f"{t}: schemas differ ({what})"
        if not a[t].equals(b[t]):
            diff = [c for c in a[t].column_names if not a[t][c].equals(b[t][c])]
            pytest.fail(f"table {t}: columns {diff} differ ({what})")


@_settings(30)
@given(case=specs(big=True))
def test_output_does_not_depend_on_chunk_size(case: SpecCase):
    spec = load(case)
    one_block = arrow_tables(spec, chunk_size=1)
    two_blocks = arrow_tables(spec, chunk_size=2 * BLOCK_ROWS)
    whole = arrow_tables(spec)
    _assert_same(one_block, two_blocks, "chunk_size=1 vs 2 blocks")
    _assert_same(one_block, whole, "chunk_size=1 vs default")


@pytest.mark.slow
@_settings(5)
@given(case=specs(big=True))
def test_csv_does_not_depend_on_workers(case: SpecCase, tmp_path_factory):
    # Each workers=2 run spawns two interpreters (seconds), so this compares only the CSV files: one
    # process with the default chunks vs two workers with one block per chunk.
    spec = load(case)
    a, b = tmp_path_factory.mktemp("w1"), tmp_path_factory.mktemp("w2")
    spec.write(a, format="csv")
    spec.write(b, format="csv", chunk_size=BLOCK_ROWS, workers=2)
    files = sorted(p.name for p in Path(a).iterdir() if p.suffix == ".csv")
    assert files == sorted(p.name for p in Path(b).iterdir() if p.suffix == ".csv")
    assert len(files) == len(case.tables)
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


# ------------------------------------------------------------------------------- adding a column
@_settings(100)
@given(case=specs(big=False), data=st.data())
def test_adding_a_column_leaves_the_others_unchanged(case: SpecCase, data):
    table = data.draw(st.sampled_from(case.tables), label="table")
    index = data.draw(st.integers(1, len(table.columns) - 1), label="position")
    extra = data.draw(drawn_column("zz_new"), label="new column")
    bigger = case.with_column(table.name, index, extra)
    before = arrow_tables(load(case))
    after = arrow_tables(load(bigger))
    for t in case.tables:
        names = [c.name for c in t.columns]
        assert after[t.name].column_names == (
            [*names[:index], "zz_new", *names[index:]] if t.name == table.name else names
        )
        changed = [c for c in names if not before[t.name][c].equals(after[t.name][c])]
        assert not changed, f"adding {extra.decl()!r} to {table.name} changed {t.name}.{changed}"


# ------------------------------------------------------------------------------- declared types
_ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "text": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
}


def _violations(col: Column, arr: pa.ChunkedArray, df, tables) -> list[str]:
    out = []
    if arr.type != _ARROW[col.kind]:
        out.append(f"arrow type {arr.type}, declared {col.kind}")
        return out
    nulls = arr.null_count
    if nulls and not col.nullable:
        out.append(f"{nulls} nulls in a non-nullable column")
    if nulls and col.role != "computed" and not col.nulls:
        out.append(f"{nulls} nulls without a nulls modifier")
    data, null = column_values(df, col.name, col.expr_kind)
    live = data[~null]
    if col.labels is not None and col.kind in ("text", "enum"):
        odd = set(live.tolist()) - set(col.labels)
        if odd:
            out.append(f"values {sorted(odd)[:5]} outside {col.labels}")
    if col.enum_values is not None:
        odd = set(live.tolist()) - set(col.enum_values)
        if odd:
            out.append(f"values {sorted(odd)[:5]} outside the enum")
    if col.kind == "int" and len(live) and not np.array_equal(live, np.round(live)):
        out.append("int column holds fractional values")
    if col.clamp is not None and len(live):
        lo, hi = col.clamp[0].value, col.clamp[1].value
        if live.min() < lo or live.max() > hi:
            out.append(f"values in [{live.min()}, {live.max()}] outside clamp [{lo}, {hi}]")
    if col.support is not None and len(live):
        lo, hi = col.support
        eps = 1e-9 * max(
            1.0, abs(lo) if math.isfinite(lo) else 1, abs(hi) if math.isfinite(hi) else 1
        )
        if live.min() < lo - eps or live.max() > hi + eps:
            out.append(f"values in [{live.min()}, {live.max()}] outside support [{lo}, {hi}]")
    if col.round is not None and len(live):
        scaled = live * 10.0**col.round
        off = np.abs(scaled - np.rint(scaled)) > 1e-6 * np.maximum(1.0, np.abs(scaled))
        if off.any():
            out.append(
                f"{int(off.sum())} values not rounded to {col.round} digits: {live[off][:3]}"
            )
    if col.date_range is not None and len(live):
        lo, hi = (np.datetime64(x, "D") for x in col.date_range)
        if live.min() < lo or live.max() > hi:
            out.append(f"dates in [{live.min()}, {live.max()}] outside [{lo}, {hi}]")
    if col.gen in ("~ bernoulli(0)", "~ bernoulli(1)") and len(live):
        want = col.gen.endswith("(1)")
        if not (live == want).all():
            out.append(f"{col.gen} drew {(live != want).sum()} other values")
    if col.role == "serial" and not np.array_equal(data, np.arange(1, len(df) + 1)):
        out.append("serial() is not 1..n")
    if col.role == "ref":
        target = tables[col.ref[0]][col.ref[1]].to_numpy()
        if not np.isin(data, target).all():
            out.append(f"references outside {col.ref[0]}.{col.ref[1]}")
    if col.expect is not None:
        want, want_null = col.expect(df)
        if not np.array_equal(null, want_null):
            out.append(
                f"null mask differs from {col.gen!r} in {int((null != want_null).sum())} rows"
            )
        both = ~null & ~want_null
        differ = np.flatnonzero(data[both] != want[both])
        if len(differ):
            i = differ[0]
            out.append(
                f"{len(differ)} values differ from {col.gen!r}: got {data[both][i]!r}, "
                f"expected {want[both][i]!r}"
            )
    return out


@_settings(150)
@given(case=specs())
def test_declared_types_and_values_hold(case: SpecCase):
    tables = arrow_tables(load(case))
    problems = []
    for t in case.tables:
        tbl = tables[t.name]
        if t.rows is not None and tbl.num_rows != t.rows:
            problems.append(f"{t.name}: {tbl.num_rows} rows, declared {t.rows}")
        if t.parent is not None:
            pid = tbl["parent_id"].to_numpy()
            if len(pid) and (np.diff(pid) < 0).any():
                problems.append(f"{t.name}: children are not in parent order")
        df = tbl.to_pandas()
        for col in t.columns:
            problems += [
                f"{t.name}.{col.decl()}: {p}" for p in _violations(col, tbl[col.name], df, tables)
            ]
    assert not problems, "\n".join(problems)
