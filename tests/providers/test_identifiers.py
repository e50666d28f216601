"""The vectorized machine identifiers (issue 10): hashes, UUIDs, IP addresses, IBANs, URLs, user agents.

Each value is checked against the standard it claims (Python's ``uuid``/``ipaddress`` parse it back
to the same text, the IBAN's mod-97 check holds) and against Faker's own data (its excluded
subnets, the locale's BBAN format and country code, the user-agent version lists); ``plan`` says
which providers take the vectorized path.
"""

from __future__ import annotations

import ipaddress
import re
import string
import uuid
from collections import Counter

import pytest
from faker import Faker
from faker.providers.internet import _IPv4Constants

import synthdsl
from synthdsl.expr.providers import resolve

KEY = [20261202, 10]


def draw(name: str, n: int = 20_000, locale: str = "en_US", **kwargs):
    prov = resolve("faker", (name,), (), kwargs, locale)
    assert prov.vectorized, prov
    values = prov.generate(KEY, n).tolist()
    assert values == prov.generate(KEY, n).tolist()  # a pure function of the key
    return values


@pytest.mark.parametrize(("name", "width"), [("md5", 32), ("sha1", 40), ("sha256", 64)])
def test_hex_digests_are_uniform_hex(name, width):
    values = draw(name)
    assert all(re.fullmatch(f"[0-9a-f]{{{width}}}", v) for v in values)
    counts = Counter("".join(values))
    assert len(counts) == 16 and max(counts.values()) / min(counts.values()) < 1.05


def test_uuid4_is_a_version_4_uuid_in_pythons_text_form():
    values = draw("uuid4")
    assert all(str(uuid.UUID(v)) == v and uuid.UUID(v).version == 4 for v in values)
    assert len(set(values)) == len(values)


def test_ipv4_avoids_fakers_excluded_networks_and_is_pythons_text():
    values = draw("ipv4")
    addrs = [ipaddress.IPv4Address(v) for v in values]
    assert [str(a) for a in addrs] == values
    excluded = _IPv4Constants._excluded_networks
    assert not any(a in net for a in addrs[:5000] for net in excluded)
    first = Counter(int(a) >> 24 for a in addrs)
    assert len(first) > 200  # spread over the whole space, not a few subnets


def test_ipv4_private_public_class_and_network():
    private = [ipaddress.IPv4Address(v) for v in draw("ipv4_private", 5000)]
    assert all(a.is_private for a in private)
    public = [ipaddress.IPv4Address(v) for v in draw("ipv4_public", 5000, address_class="b")]
    assert all(not a.is_private and 128 <= int(a) >> 24 < 192 for a in public)
    nets = [
        ipaddress.IPv4Network(v) for v in draw("ipv4", 5000, network=True)
    ]  # strict: host bits 0
    assert all(str(n) == v for n, v in zip(nets, draw("ipv4", 5000, network=True)))
    assert len({n.prefixlen for n in nets}) > 10


def test_ipv6_is_pythons_compressed_text():
    values = draw("ipv6", 50_000)
    assert all(str(ipaddress.IPv6Address(v)) == v for v in values)
    assert all(int(ipaddress.IPv6Address(v)) >= 2**32 for v in values)


@pytest.mark.parametrize("locale", ["en_US", "nl_NL", "de_DE", "fr_FR"])
def test_iban_has_the_locales_country_format_and_a_valid_check(locale):
    bank = Faker(locale).iban.__self__
    values = draw("iban", 5000, locale)
    fmt = bank.bban_format
    pattern = "".join("[A-Z]" if c == "?" else r"\d" if c == "#" else re.escape(c) for c in fmt)
    for v in values:
        assert v[:2] == bank.country_code and re.fullmatch(r"\d\d" + pattern, v[2:])
        moved = v[4:] + v[:4]
        assert int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    bbans = draw("bban", 2000, locale)
    assert all(re.fullmatch(pattern, b) for b in bbans)


def test_a_locale_with_its_own_bban_stays_on_the_generic_path():
    assert not resolve("faker", ("iban",), locale="es_ES").vectorized


def test_url_uses_the_schemes_and_domains():
    values = draw("url")
    assert all(re.fullmatch(r"https?://(www\.)?[a-z0-9.-]+\.[a-z]+/", v) for v in values)
    assert {v.split(":")[0] for v in values} == {"http", "https"}
    assert all(v.startswith("ftp://") for v in draw("url", 100, schemes=["ftp"]))


def test_user_agent_comes_from_fakers_templates():
    values = draw("user_agent", 20_000)
    ua = Faker().user_agent.__self__
    starts = Counter(v.split("/")[0] for v in values)
    assert set(starts) == {"Mozilla", "Opera"}
    assert 0.15 < starts["Opera"] / len(values) < 0.25  # one browser in five
    browsers = ("Chrome/", "CriOS/", "Firefox/", "FxiOS/", "MSIE ", "Version/", "Presto/")
    assert all(any(b in v for b in browsers) for v in values)
    for v in values:  # the WebKit version is the same in both places, as Faker writes it
        m = re.search(r"AppleWebKit/([\d.]+) .* Safari/6?([\d.]+)$", v)
        if m:
            assert m.group(1) == m.group(2)
    windows = set(ua.windows_platform_tokens)
    seen = {t for v in values for t in windows if f"{t};" in v or f"{t})" in v}
    assert seen == windows
    gecko = [re.search(r"Gecko/(\S+ \S+) ", v) for v in values if "Gecko/2" in v or "Gecko/3" in v]
    assert gecko and all(g is None or g.group(1)[:4].isdigit() for g in gecko)


def test_plan_says_which_providers_are_vectorized():
    text = (
        synthdsl.loads(
            "table t {\n  rows 5\n  a text = faker.ipv4()\n  b text = upper(faker.iban())"
            "\n  c text = faker.pystr()\n  d text = faker.name() + faker.pytimezone()\n}\n"
        )
        .plan()
        .to_text()
    )
    lines = {line.split(":")[0].split()[-1]: line for line in text.splitlines() if " t." in line}
    assert "[faker.ipv4 (vectorized)]" in lines["t.a"]
    assert "[faker.iban (vectorized)]" in lines["t.b"]
    assert "[faker.pystr (per row)]" in lines["t.c"]
    assert "faker.name (vectorized); faker.pytimezone (per row)" in lines["t.d"]


def test_upper_letters_only_in_bban_slots():
    values = draw("bban", 2000, "nl_NL")
    assert set("".join(v[:4] for v in values)) <= set(string.ascii_uppercase)
