"""``x int ~ uniform(a, b)`` with whole-number bounds is the discrete uniform on [a, b], ends
included: every value equally likely (a rounded float draw gave the ends half the weight)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import synthdsl


def counts(spec: str, column: str = "a") -> dict[int, int]:
    df = synthdsl.loads(spec).generate()["t"]
    values, n = np.unique(df[column].to_numpy(dtype=np.int64), return_counts=True)
    return dict(zip(values.tolist(), n.tolist()))


def test_int_uniform_gives_every_value_in_the_closed_range_equally_often():
    got = counts("table t {\n  rows 110000\n  a int ~ uniform(0, 10)\n}\n")
    assert sorted(got) == list(range(11))
    observed = np.array([got[k] for k in range(11)])
    # Rounding a float draw makes 0 and 10 half as likely: chi-square p would be ~0.
    assert stats.chisquare(observed).pvalue > 1e-4
    ends = (got[0] + got[10]) / 2
    middle = np.mean([got[k] for k in range(1, 10)])
    assert 0.9 < ends / middle < 1.1


def test_int_uniform_with_int_column_bounds_is_inclusive_per_row():
    spec = (
        "table t {\n  rows 20000\n  lo int ~ uniform(0, 3)\n  hi int = lo + 2\n"
        "  a int ~ uniform(lo, hi)\n}\n"
    )
    df = synthdsl.loads(spec).generate()["t"]
    off = (df["a"] - df["lo"]).to_numpy(dtype=np.int64)
    _, n = np.unique(off, return_counts=True)
    assert sorted(set(off.tolist())) == [0, 1, 2]
    assert n.min() / n.max() > 0.9


def test_rule_truncation_of_an_int_uniform_keeps_it_discrete():
    got = counts("table t {\n  rows 9000\n  a int ~ uniform(0, 9)\n  rule r: a >= 7\n}\n")
    assert sorted(got) == [7, 8, 9]
    assert min(got.values()) / max(got.values()) > 0.9
    assert counts("table t {\n  rows 50\n  a int ~ uniform(0, 9)\n  rule r: a == 5\n}\n") == {5: 50}


def test_float_column_and_fractional_bounds_keep_the_continuous_uniform():
    df = synthdsl.loads(
        "table t {\n  rows 1000\n  f float ~ uniform(0, 10)\n  a int ~ uniform(0.5, 2.5)\n}\n"
    ).generate()["t"]
    assert (df["f"] % 1 != 0).any()
    assert set(df["a"].tolist()) <= {0, 1, 2}  # rounded continuous draw (half-even at .5)


def test_rows_per_uniform_gives_every_whole_count_of_the_closed_range():
    spec = (
        "table p {\n  rows 9000\n  k int = serial() key\n}\n"
        "table c {\n  rows per p ~ uniform(1, 3)\n  pk int = p.k\n}\n"
    )
    per_parent = synthdsl.loads(spec).generate()["c"]["pk"].value_counts()
    assert len(per_parent) == 9000  # no parent gets 0 children
    shares = per_parent.value_counts(normalize=True)
    assert sorted(shares.index) == [1, 2, 3]
    assert all(0.3 < shares[k] < 0.37 for k in (1, 2, 3))
    with pytest.raises(synthdsl.SpecError) as exc:
        synthdsl.loads(spec.replace("uniform(1, 3)", "uniform(1, 2.5)"))
    assert [d.code for d in exc.value.diagnostics] == ["E156"]
