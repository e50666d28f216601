"""Declared networks: nodes and conditional tables written in the spec (no data)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import synthdsl
from synthdsl.errors import DataError, SpecError

NETWORK = """seed 3
model illness : bayesnet {
  node season ~ categorical("winter": 0.25, "spring": 0.25, "summer": 0.25, "autumn": 0.25)
  node cold given season {
    "winter": categorical(true: 0.3, false: 0.7)
    "autumn": categorical(true: 0.15, false: 0.85)
    else:     categorical(true: 0.05, false: 0.95)
  }
  node ear given cold {
    true:  categorical(true: 0.2, false: 0.8)
    false: categorical(true: 0.02, false: 0.98)
  }
  node temperature given cold {
    true:  normal(38.5, 0.6)
    false: normal(36.8, 0.3)
  }
}
table patients {
  rows ROWS
  season text
  cold bool
  ear bool
  temperature float
  DRAW
}
"""


def spec(draw: str = "(season, cold, ear, temperature) ~ illness", rows: int = 20_000) -> str:
    return NETWORK.replace("DRAW", draw).replace("ROWS", str(rows))


def test_a_declared_network_follows_its_tables() -> None:
    out = synthdsl.loads(spec()).generate()["patients"]
    winter = out[out.season == "winter"]
    assert winter.cold.mean() == pytest.approx(0.3, abs=0.03)
    assert out[out.season == "summer"].cold.mean() == pytest.approx(0.05, abs=0.02)
    assert out[out.cold].temperature.mean() == pytest.approx(38.5, abs=0.05)
    assert out[~out.cold].temperature.std() == pytest.approx(0.3, abs=0.02)


def test_evidence_on_a_child_is_exact_as_pgmpy_infers_it() -> None:
    """Drawn given ear (a grandchild of season): P(season | ear = true) as pgmpy computes it."""
    from pgmpy.inference import VariableElimination

    from synthdsl.steps.model import sampler_for

    s = synthdsl.loads(
        spec("ear bool = true\n  (season, cold, temperature) ~ illness given ear").replace(
            "  ear bool\n", ""
        )
    )
    out = s.generate()["patients"]
    assert out.ear.all()
    sampler = sampler_for(s.plan().models[0])
    net = sampler.network.to_pgmpy()
    post = VariableElimination(net).query(
        ["season"], evidence={"ear": sampler.labels["ear"].index(True)}, show_progress=False
    )
    labels = sampler.labels["season"]
    observed = out.season.value_counts().reindex(labels, fill_value=0).to_numpy()
    expected = np.asarray(post.values) * len(out)
    assert stats.chisquare(observed, expected).pvalue > 0.001
    # the winter share rises with an ear infection, as the tables say
    assert observed[labels.index("winter")] / len(out) > 0.3


def test_a_rare_given_value_is_produced_every_time() -> None:
    text = spec(
        'season text = "summer"\n  (cold, ear, temperature) ~ illness given season'
    ).replace("  season text\n", "", 1)
    out = synthdsl.loads(text.replace("rows 20000", "rows 500")).generate()["patients"]
    assert (out.season == "summer").all() and len(out) == 500


def test_a_given_value_the_network_does_not_know_is_an_error() -> None:
    text = spec(
        'season text = "monsoon"\n  (cold, ear, temperature) ~ illness given season'
    ).replace("  season text\n", "", 1)
    with pytest.raises(DataError, match="'monsoon', which is not a value of node 'season'"):
        synthdsl.loads(text).generate()


@pytest.mark.parametrize(
    ("old", "new", "code", "message", "caret"),
    [
        (
            '"winter": 0.25, "spring"',
            '"winter": 0.3, "spring"',
            "E423",
            "sum to 1.05, not 1",
            (3, 17),
        ),
        (
            '"autumn": categorical(true',
            '"autum": categorical(true',
            "E424",
            "'\"autum\"' is not a value of parent 'season'",
            (6, 5),
        ),
        (
            "    else:     categorical(true: 0.05, false: 0.95)\n",
            "",
            "E425",
            'no row for "spring" (and 1 more)',
            (4, 8),
        ),
        ("node season ~", "node season given ear ~", "E422", "cycle", (3, 8)),
        ("node ear given cold", "node ear given colds", "E421", "not another node", (9, 8)),
        (
            "true:  normal(38.5, 0.6)",
            "true:  normal(38.5, age)",
            "E426",
            "constant parameters",
            (14, 12),
        ),
    ],
)
def test_table_mistakes_are_check_errors_with_carets(old, new, code, message, caret) -> None:
    text = spec()
    assert old in text
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(text.replace(old, new, 1))
    d = next(d for d in exc.value.diagnostics if d.code == code)
    assert message in d.message
    assert (d.span.line, d.span.column) == caret
    assert "^" in exc.value.render()


def test_a_node_and_its_column_must_agree_on_the_type() -> None:
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(spec().replace("  cold bool\n", "  cold text\n"))
    assert exc.value.diagnostics[0].code == "E417"


def test_hypothesis_rows_of_a_model_spec_follow_the_network() -> None:
    """``synthdsl.hypothesis.rows`` draws model columns too (the model's own sampler)."""
    from hypothesis import given, settings

    from synthdsl.hypothesis import rows

    loaded = synthdsl.loads(spec(rows=50))
    seen = []

    @settings(max_examples=25, deadline=None, database=None)
    @given(rows(loaded, "patients"))
    def check(row):
        assert row["season"] in ("winter", "spring", "summer", "autumn")
        assert isinstance(row["cold"], bool) and 35 < row["temperature"] < 41
        seen.append(row["season"])

    check()
    assert len(set(seen)) >= 2
