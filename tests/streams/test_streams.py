"""Stream keys: purpose-tagged, fixed-width, and never the same for two different keys."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdsl.streams import PURPOSES, Streams, generator, key

parts = st.lists(
    st.one_of(
        st.text(max_size=6), st.integers(0, 2**64 - 1), st.sampled_from(["", "0", "__rows__"])
    ),
    max_size=5,
)
keys = st.tuples(st.integers(0, 2**64 - 1), st.sampled_from(sorted(PURPOSES)), parts)


def _state(words: list[int]) -> tuple[int, ...]:
    return tuple(np.random.SeedSequence(words).generate_state(4, dtype=np.uint64).tolist())


@settings(max_examples=300)
@given(a=keys, b=keys)
def test_different_keys_give_different_streams(a, b):
    ka, kb = key(a[0], a[1], *a[2]), key(b[0], b[1], *b[2])
    same = (a[0], a[1], [(type(p), p) for p in a[2]]) == (b[0], b[1], [(type(p), p) for p in b[2]])
    assert (ka == kb) == same
    if not same:
        assert _state(ka) != _state(kb)


@settings(max_examples=100)
@given(k=keys)
def test_keys_are_fixed_width_32_bit_words(k):
    words = key(k[0], k[1], *k[2])
    assert len(words) == 5 + 3 * len(k[2])
    assert all(0 <= w < 2**32 for w in words)


def test_the_collisions_of_variable_width_words_are_gone():
    # SeedSequence splits big ints into 32-bit words and pads short entropy with zeros:
    # [2**32] == [0, 1] and [1] == [1, 0] there; not here.
    assert key(0, "draw", 2**32) != key(0, "draw", 0, 1)
    assert key(0, "draw", 1) != key(0, "draw", 1, 0)
    assert key(0, "draw", "5") != key(0, "draw", 5)  # a name is not the integer it spells
    assert key(0, "draw", "t", "__rows__", 3) != key(0, "rows", "t", 3)


def test_purposes_never_share_a_stream():
    s = Streams(7, ("patients", "bmi", 0))
    ks = [s.for_(p) for p in ("draw", "nulls", "provider", "rows")]
    ks.append(s.redraw(1, 0).for_("draw"))
    assert len({tuple(k) for k in ks}) == len(ks)
    draws = [tuple(generator(k).random(4)) for k in ks]
    assert len(set(draws)) == len(draws)
    # a column's null mask and its provider's first call (the old keys [*key, 1]) differ
    assert s.for_("nulls", "bmi") != s.for_("provider", 1)


def test_bad_parts_are_refused():
    with pytest.raises(ValueError, match="unknown stream purpose"):
        key(0, "nope")
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        key(0, "draw", -1)
    with pytest.raises(TypeError):
        key(0, "draw", 1.5)
    with pytest.raises(TypeError):
        key(0, "draw", True)


def test_extend_is_key_with_more_parts():
    from synthdsl.streams import extend, key

    base = key(11, "sim", "patients", "simulate", 3)
    for extra in [(0,), (5, 2, 0), ("x", 2**63), ()]:
        assert extend(base, *extra) == key(11, "sim", "patients", "simulate", 3, *extra)
