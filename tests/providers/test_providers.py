"""Tests for synthdsl.expr.providers: resolution errors, determinism, locale data, unique draws, speed.

No mocks: every check runs the real Faker/Mimesis data through the real providers. Expected values
come from the libraries themselves (their locale lists and masks), never from our own tables.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter

import numpy as np
import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from synthdsl.expr._faker_vec import Domain, UniqueSpace, feistel_permute
from synthdsl.expr.providers import ProviderError, available, resolve

EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
KEY = [20240601, 7, 3]
OTHER_KEY = [20240601, 7, 4]


def faker_data(locale: str, method: str, attr: str):
    """The list/OrderedDict Faker's own provider for ``method`` holds in ``attr``."""
    return getattr(getattr(Faker(locale), method).__self__, attr)


def mask_regex(masks, slots: dict[str, str]) -> re.Pattern[str]:
    """A regex matching any of ``masks``, each placeholder char replaced by its character class."""
    alts = ["".join(slots.get(c, re.escape(c)) for c in m) for m in masks]
    return re.compile("^(?:" + "|".join(alts) + ")$")


# --- resolve errors ---------------------------------------------------------------------------


def test_unknown_faker_provider_suggests_close_names():
    with pytest.raises(ProviderError) as exc:
        resolve("faker", ("nmae",))
    assert "name" in exc.value.suggestions
    assert "nmae" in exc.value.message


def test_unknown_mimesis_provider_suggests_within_group():
    with pytest.raises(ProviderError) as exc:
        resolve("mimesis", ("person", "emial"))
    assert "email" in exc.value.suggestions


def test_unknown_mimesis_group_suggests_group():
    with pytest.raises(ProviderError) as exc:
        resolve("mimesis", ("persn", "email"))
    assert "person" in exc.value.suggestions


def test_provider_in_wrong_mimesis_group_points_to_the_right_one():
    with pytest.raises(ProviderError) as exc:
        resolve("mimesis", ("person", "city"))
    assert "address.city" in exc.value.suggestions


def test_wrong_path_shapes():
    with pytest.raises(ProviderError) as exc:
        resolve("faker", ("person", "name"))
    assert exc.value.suggestions == ["name"]
    with pytest.raises(ProviderError) as exc:
        resolve("mimesis", ("email",))
    assert "person.email" in exc.value.suggestions


def test_unknown_library():
    with pytest.raises(ProviderError) as exc:
        resolve("fakr", ("name",))
    assert exc.value.suggestions == ["faker"]


def test_unknown_locale_lists_close_locales():
    with pytest.raises(ProviderError) as exc:
        resolve("faker", ("name",), locale="nl_NX")
    assert "nl_NL" in exc.value.suggestions
    with pytest.raises(ProviderError):
        resolve("mimesis", ("person", "email"), locale="xx_YY")


def test_locale_mapping_for_mimesis():
    # nl_NL -> "nl" (no "nl-nl" in Mimesis), de_AT -> "de-at"
    nl = resolve("mimesis", ("person", "first_name"), locale="nl_NL")
    at = resolve("mimesis", ("address", "city"), locale="de_AT")
    from mimesis import Address, Locale, Person

    nl_names = Person(Locale.NL)._extract(["names"])
    assert set(nl.generate(KEY, 500)) <= set(nl_names["male"]) | set(nl_names["female"])
    assert set(at.generate(KEY, 500)) <= set(Address(Locale.DE_AT)._extract(["city"]))


def test_unknown_keyword_argument_suggests_parameter():
    with pytest.raises(ProviderError) as exc:
        resolve("faker", ("date_of_birth",), kwargs={"minimum_agee": 18})
    assert "minimum_age" in exc.value.suggestions


@pytest.mark.parametrize(
    ("library", "path", "args", "kwargs"),
    [
        ("faker", ("date_of_birth",), (), {"minimum_age": 30, "maximum_age": 3}),
        ("faker", ("name",), ("extra",), {}),
        ("faker", ("domain_name",), (0,), {}),
        ("mimesis", ("person", "full_name"), (), {"gender": "alien"}),
        ("mimesis", ("person", "username"), (), {"mask": "ddd"}),
    ],
)
def test_bad_arguments_raise_provider_error(library, path, args, kwargs):
    with pytest.raises(ProviderError) as exc:
        resolve(library, path, args, kwargs)
    assert "bad arguments" in exc.value.message
    assert "signature" in exc.value.message


def test_available_lists_names():
    assert {"name", "email", "phone_number", "iban"} <= set(available("faker", "nl_NL"))
    assert {"person.email", "address.city", "finance.company"} <= set(available("mimesis"))


# --- vectorized coverage and determinism --------------------------------------------------------

FAKER_VECTORIZED = [
    "name",
    "first_name",
    "last_name",
    "first_name_male",
    "first_name_female",
    "email",
    "free_email",
    "safe_email",
    "user_name",
    "city",
    "phone_number",
    "street_name",
    "street_address",
    "address",
    "postcode",
    "country",
    "company",
]
MIMESIS_VECTORIZED = [
    ("person", "full_name"),
    ("person", "first_name"),
    ("person", "last_name"),
    ("person", "email"),
    ("person", "phone_number"),
    ("person", "telephone"),
    ("address", "city"),
]


@pytest.mark.parametrize("locale", ["en_US", "nl_NL", "de_DE"])
@pytest.mark.parametrize("name", FAKER_VECTORIZED)
def test_common_faker_providers_are_vectorized(name, locale):
    p = resolve("faker", (name,), locale=locale)
    assert p.vectorized, p
    assert p.result_kind == "text"
    assert p.qualname == f"faker.{name}"
    values = p.generate(KEY, 200)
    assert values.shape == (200,) and values.dtype == object
    assert all(isinstance(v, str) and v for v in values)


@pytest.mark.parametrize("locale", ["en_US", "nl_NL", "de_AT"])
@pytest.mark.parametrize("path", MIMESIS_VECTORIZED)
def test_common_mimesis_providers_are_vectorized(path, locale):
    p = resolve("mimesis", path, locale=locale)
    assert p.vectorized, p
    assert p.qualname == "mimesis." + ".".join(path)
    assert all(isinstance(v, str) and v for v in p.generate(KEY, 200))


@pytest.mark.parametrize(
    ("library", "path", "kwargs"),
    [
        ("faker", ("name",), {}),
        ("faker", ("email",), {}),
        ("faker", ("phone_number",), {}),
        ("faker", ("address",), {}),
        ("faker", ("iban",), {}),
        ("faker", ("pyint",), {"min_value": 0, "max_value": 10**9}),
        ("mimesis", ("person", "email"), {}),
        ("mimesis", ("person", "password"), {}),
    ],
)
def test_same_key_same_values_other_key_other_values(library, path, kwargs):
    p = resolve(library, path, kwargs=kwargs, locale="nl_NL")
    a, b, c = p.generate(KEY, 300), p.generate(list(KEY), 300), p.generate(OTHER_KEY, 300)
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()
    assert len(set(a.tolist())) > 250  # not stuck on a few values


def test_generate_is_pure_across_resolves_and_sizes():
    p = resolve("faker", ("name",), locale="en_US")
    assert p.generate(KEY, 0).shape == (0,)
    assert len(p.generate(KEY, 1)) == 1
    assert resolve("faker", ("name",), locale="en_US") is p  # cached


# --- values come from the locale's own data -------------------------------------------------------


def test_nl_first_and_last_names_come_from_fakers_lists():
    first = set(faker_data("nl_NL", "first_name", "first_names"))
    last = set(faker_data("nl_NL", "last_name", "last_names"))
    assert set(resolve("faker", ("first_name",), locale="nl_NL").generate(KEY, 5000)) <= first
    assert set(resolve("faker", ("last_name",), locale="nl_NL").generate(KEY, 5000)) <= last
    male = set(faker_data("nl_NL", "first_name_male", "first_names_male"))
    assert set(resolve("faker", ("first_name_male",), locale="nl_NL").generate(KEY, 2000)) <= male


def test_nl_full_names_are_first_name_then_last_names():
    first = set(faker_data("nl_NL", "first_name", "first_names"))
    last = set(faker_data("nl_NL", "last_name", "last_names"))
    for value in resolve("faker", ("name",), locale="nl_NL").generate(KEY, 2000):
        head, _, tail = value.partition(" ")
        assert head in first, value
        assert tail in last or any(
            tail[: i - 1] in last and tail[i:] in last
            for i in range(len(tail))
            if tail[i - 1] == "-"
        ), value


def test_weights_of_the_locale_data_are_respected():
    weights = faker_data("en_US", "last_name", "last_names")  # OrderedDict of frequencies
    counts = Counter(resolve("faker", ("last_name",), locale="en_US").generate(KEY, 100_000))
    total = sum(weights.values())
    for name in ("Smith", "Johnson", "Williams"):
        expected = weights[name] / total * 100_000
        assert abs(counts[name] - expected) < 5 * expected**0.5 + 5, (name, counts[name], expected)
    rare = min(weights, key=weights.get)
    assert counts[rare] < counts["Smith"] / 5


def test_nl_cities_come_from_the_locale_list():
    cities = set(faker_data("nl_NL", "city", "cities"))
    assert set(resolve("faker", ("city",), locale="nl_NL").generate(KEY, 3000)) <= cities


@pytest.mark.parametrize("locale", ["nl_NL", "en_US", "de_DE"])
def test_phone_numbers_match_the_locale_masks(locale):
    masks = faker_data(locale, "phone_number", "formats")
    rx = mask_regex(masks, {"#": r"\d", "%": "[1-9]", "$": "[2-9]", "!": r"\d?", "@": "[1-9]?"})
    values = resolve("faker", ("phone_number",), locale=locale).generate(KEY, 3000)
    assert all(rx.match(v) for v in values), [v for v in values if not rx.match(v)][:5]


def test_nl_postcodes_match_the_locale_formats_in_upper_case():
    formats = faker_data("nl_NL", "postcode", "postcode_formats")
    rx = mask_regex(formats, {"#": r"\d", "%": "[1-9]", "?": "[A-Z]"})
    values = resolve("faker", ("postcode",), locale="nl_NL").generate(KEY, 2000)
    assert all(rx.match(v) for v in values)


def test_mimesis_phone_numbers_match_the_locale_masks():
    from mimesis import Locale, Person

    masks = Person(Locale.NL)._extract(["telephone_fmt"])
    rx = mask_regex(masks, {"#": r"\d"})
    values = resolve("mimesis", ("person", "phone_number"), locale="nl_NL").generate(KEY, 2000)
    assert all(rx.match(v) for v in values)


def test_mimesis_enum_arguments_accept_strings():
    from mimesis import Locale, Person

    female = set(Person(Locale.DE)._extract(["names", "female"]))
    p = resolve("mimesis", ("person", "first_name"), kwargs={"gender": "female"}, locale="de_DE")
    assert p.vectorized
    assert set(p.generate(KEY, 1000)) <= female


@pytest.mark.parametrize("locale", ["en_US", "nl_NL", "de_DE", "ru_RU"])
@pytest.mark.parametrize("name", ["email", "free_email", "safe_email", "company_email"])
def test_faker_emails_have_email_shape(name, locale):
    values = resolve("faker", (name,), locale=locale).generate(KEY, 2000)
    bad = [v for v in values if not EMAIL.match(v)]
    assert not bad, bad[:5]


def test_free_email_domains_are_the_locales():
    domains = set(faker_data("de_DE", "free_email_domain", "free_email_domains"))
    values = resolve("faker", ("free_email",), locale="de_DE").generate(KEY, 2000)
    assert {v.split("@")[1] for v in values} <= domains
    # umlauts are transliterated the locale's way (ä -> ae), not dropped
    assert all(v.isascii() for v in values)


def test_email_arguments_are_vectorized():
    p = resolve("faker", ("email",), kwargs={"domain": "acme.org"}, locale="en_US")
    assert p.vectorized
    assert all(v.endswith("@acme.org") and EMAIL.match(v) for v in p.generate(KEY, 500))
    p = resolve("faker", ("email",), kwargs={"safe": False}, locale="en_US")
    assert p.vectorized and all(EMAIL.match(v) for v in p.generate(KEY, 500))


def test_mimesis_email_shape_and_domains():
    from mimesis.datasets import EMAIL_DOMAINS

    values = resolve("mimesis", ("person", "email"), locale="en_US").generate(KEY, 2000)
    assert all(EMAIL.match(v) for v in values)
    assert {"@" + v.split("@")[1] for v in values} <= set(EMAIL_DOMAINS)


# --- generic path ------------------------------------------------------------------------------


def test_generic_faker_iban():
    p = resolve("faker", ("iban",), locale="es_ES")  # es_ES computes its own BBAN: per row
    assert not p.vectorized and p.capacity is None and p.result_kind == "text"
    values = p.generate(KEY, 50)
    assert all(re.fullmatch(r"ES\d{22}", v) for v in values)


def test_generic_faker_date_of_birth_is_a_date():
    p = resolve("faker", ("passport_dob",), locale="en_US")  # a date provider on the generic path
    assert p.result_kind == "date" and not p.vectorized
    values = p.generate(KEY, 200)
    assert all(isinstance(v, dt.date) and v <= dt.date(2025, 1, 1) for v in values)  # `today`


def test_vectorized_faker_date_of_birth_is_a_date_before_the_reference_date():
    p = resolve("faker", ("date_of_birth",), kwargs={"minimum_age": 18}, locale="en_US")
    assert p.result_kind == "date" and p.vectorized
    values = p.generate(KEY, 200)
    assert values.dtype == np.dtype("datetime64[D]")
    assert values.max() < np.datetime64("2007-01-01")  # 18 years before today 2025-01-01


def test_generic_int_results_fit_an_int_array():
    p = resolve("faker", ("pyint",), kwargs={"min_value": 5, "max_value": 9})
    values = p.generate(KEY, 100)
    assert p.result_kind == "int" and values.dtype == np.int64
    assert values.min() >= 5 and values.max() <= 9


def test_mimesis_finance_company():
    from mimesis import Finance, Locale

    p = resolve("mimesis", ("finance", "company"), locale="nl_NL")
    assert p.result_kind == "text"
    assert set(p.generate(KEY, 300)) <= set(Finance(Locale.NL)._extract(["company", "name"]))


def test_generic_mimesis_date():
    p = resolve("mimesis", ("datetime", "date"), kwargs={"start": 2000, "end": 2001})
    assert not p.vectorized and p.result_kind == "date"
    assert all(dt.date(2000, 1, 1) <= v <= dt.date(2001, 12, 31) for v in p.generate(KEY, 50))


def test_generic_provider_refuses_unique():
    p = resolve("faker", ("iban",), locale="es_ES")
    with pytest.raises(ProviderError) as exc:
        p.generate_unique(KEY, 0, 10, 10)
    assert "de-duplication" in exc.value.message


# --- unique values ------------------------------------------------------------------------------


def blocks(p, total: int, sizes: list[int], key=KEY) -> list[str]:
    out, start = [], 0
    for n in sizes:
        out.extend(p.generate_unique(key, start, n, total).tolist())
        start += n
    assert start == total
    return out


@pytest.mark.parametrize(
    ("library", "path", "locale"),
    [
        ("faker", ("name",), "en_US"),
        ("faker", ("name",), "nl_NL"),
        ("faker", ("email",), "nl_NL"),
        ("faker", ("phone_number",), "en_US"),
        ("faker", ("address",), "en_US"),  # value space > 2**62: digit mixing path
        ("faker", ("postcode",), "nl_NL"),
        ("mimesis", ("person", "email"), "en_US"),
        ("mimesis", ("person", "full_name"), "de_DE"),
        ("mimesis", ("person", "telephone"), "en_US"),
    ],
)
def test_unique_blocks_are_distinct_across_the_table(library, path, locale):
    p = resolve(library, path, locale=locale)
    total = 40_000
    values = blocks(p, total, [16_384, 16_384, 7_232])
    assert len(set(values)) == total
    # blocks are independent: any split gives the same rows
    assert blocks(p, total, [5_000, 35_000]) == values
    assert p.generate_unique(OTHER_KEY, 0, 100, total).tolist() != values[:100]


def test_unique_enumerates_a_small_domain_exactly():
    p = resolve("faker", ("first_name",), locale="nl_NL")
    first = set(faker_data("nl_NL", "first_name", "first_names"))
    assert p.capacity == len(first)
    values = blocks(p, p.capacity, [100] * (p.capacity // 100) + [p.capacity % 100])
    assert set(values) == first and len(values) == len(first)


def test_unique_values_come_from_the_data_too():
    p = resolve("faker", ("city",), locale="nl_NL")
    cities = set(faker_data("nl_NL", "city", "cities"))
    assert set(p.generate_unique(KEY, 0, 1000, 2000)) <= cities


def test_unique_beyond_capacity_raises():
    p = resolve("faker", ("first_name",), locale="nl_NL")
    with pytest.raises(ProviderError) as exc:
        p.generate_unique(KEY, 0, 10, 10_000)
    msg = exc.value.message
    assert msg.startswith(f"faker.first_name can produce only {p.capacity:,} distinct values")
    assert "nl_NL" in msg and "10,000" in msg


def test_unique_prefers_the_common_format():
    # en_US names are "first last" 97% of the time; unique draws should look the same
    values = resolve("faker", ("name",), locale="en_US").generate_unique(KEY, 0, 500, 10_000)
    assert all(len(v.split(" ")) == 2 for v in values)


def test_unique_rejects_rows_outside_the_table():
    p = resolve("faker", ("name",))
    with pytest.raises(ValueError):
        p.generate_unique(KEY, 90, 20, 100)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 3000), key=st.integers(0, 2**63))
def test_feistel_is_a_permutation(size, key):
    keys = np.random.SeedSequence(key).generate_state(8, dtype=np.uint64)
    out = feistel_permute(np.arange(size, dtype=np.uint64), size, keys)
    assert sorted(out.tolist()) == list(range(size))


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.text("ab-", min_size=0, max_size=2),
            st.sets(st.text("ab", min_size=0, max_size=3), min_size=2, max_size=6),
        ),
        min_size=1,
        max_size=4,
    ),
    key=st.integers(0, 2**32),
)
def test_unique_space_is_injective_even_with_prefix_collisions(parts, key):
    atoms = [p if isinstance(p, str) else Domain(tuple(sorted(p))) for p in parts]
    space = UniqueSpace(atoms)
    values = space.draw([key], 0, space.capacity).tolist()
    assert len(set(values)) == space.capacity


# --- speed (printed, not asserted) ----------------------------------------------------------


def test_speed_report(capsys):
    rows, loop_rows = 100_000, 2_000
    fake = Faker("en_US")
    fake.seed_instance(1)
    lines = []
    for name in ("name", "email", "city", "phone_number"):
        p = resolve("faker", (name,), locale="en_US")
        p.generate(KEY, 1_000)  # warm-up (lazy compilation)
        t0 = time.perf_counter()
        p.generate(KEY, rows)
        vec = time.perf_counter() - t0
        fn = getattr(fake, name)
        t0 = time.perf_counter()
        for _ in range(loop_rows):
            fn()
        loop = (time.perf_counter() - t0) * rows / loop_rows
        lines.append(
            f"faker.{name:13s} 1e5 rows: vectorized {vec * 1e3:7.1f} ms | "
            f"Faker loop ~{loop:6.2f} s (from {loop_rows} rows) | x{loop / vec:,.0f}"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
