"""``unique`` on a column whose generator runs out of distinct values (no vectorized unique path):
the error says how many distinct values were found and how many the table needs, not just that a
rule's acceptance rate fell to 0%.
"""

from __future__ import annotations

import re

import pytest

import synthdsl
from synthdsl.errors import RuleError


def test_provider_without_vectorized_unique_reports_distinct_values_found():
    s = synthdsl.loads("table t {\n  rows 500\n  d text = faker.day_of_week() unique\n}\n")
    with pytest.raises(RuleError) as exc:
        s.generate()
    msg = str(exc.value)
    assert "column 'd' (faker.day_of_week())" in msg
    assert "found only 7 distinct values" in msg
    assert "the table needs 500" in msg
    assert "acceptance rate" not in msg


def test_user_unique_rule_over_a_small_draw_names_the_rule_and_count():
    s = synthdsl.loads(
        "table t {\n  rows 300\n  a int ~ uniform(0, 3)\n  b bool\n  rule pair: unique(a, b)\n}\n"
    )
    with pytest.raises(RuleError) as exc:
        s.generate()
    msg = str(exc.value)
    assert msg.startswith("rule 'pair': columns 'a', 'b' of table 't' must be unique")
    found = int(re.search(r"found only (\d+) distinct", msg).group(1))
    assert found <= 8  # 4 values of a (inclusive bounds) times 2 of b at most
    assert "the table needs 300" in msg
