"""Vectorized machine identifiers: hashes, UUIDs, IPv4/IPv6 addresses, IBANs, URLs, user agents.

These Faker providers are not "pick a format, fill its tokens": they draw random bits (``uuid4``,
``md5``), walk subnets (``ipv4``) or compute a check sum (``iban``), so ``shapes`` cannot read them.
Called per row they ran at 16k-40k rows/s; rebuilt here from the same data (Faker's subnets, the
locale's BBAN format and country code, the user-agent templates and version lists) they draw whole
blocks with numpy. The values follow Faker's distributions, not its exact output for a seed.

Input: the vectorizer (for ``{{tokens}}`` such as ``domain_name``) and the provider instance.
Output: a node; ``builders()`` keys the builders by the exact base-class function, so a locale that
overrides a method (``es_ES`` computes its own IBAN) stays on the generic path.
"""

from __future__ import annotations

import functools
import ipaddress
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from synthdsl.expr._faker_vec.handwritten import Tokens
from synthdsl.expr._faker_vec.nodes import (
    Choice,
    IntRange,
    Node,
    NotVectorizable,
    Part,
    Pattern,
    Slot,
    Template,
    objarray,
)

_HEX = Slot("0123456789abcdef")


def _text(codes: np.ndarray) -> np.ndarray:
    """An (n, width) code-point matrix -> strings; zero codes are dropped wherever they are."""
    n, width = codes.shape
    if width == 0:
        return objarray([""] * n)
    order = np.argsort(
        codes == 0, axis=1, kind="stable"
    )  # blanks to the end, where numpy drops them
    codes = np.ascontiguousarray(np.take_along_axis(codes, order, axis=1).astype(np.uint32))
    return codes.view(f"U{width}").reshape(n).astype(object)


@functools.cache
def _number_codes(base: int, count: int) -> np.ndarray:
    """Row v = the code points of ``v`` in ``base`` (lowercase hex), zero-padded on the right."""
    fmt = "{:x}" if base == 16 else "{:d}"
    width = len(fmt.format(count - 1))
    table = np.zeros((count, width), dtype=np.uint32)
    for v in range(count):
        text = fmt.format(v)
        table[v, : len(text)] = [ord(c) for c in text]
    return table


class Fmt(Node):
    """A ``str.format`` template whose ``{field}`` nodes are drawn once per row.

    A field used twice repeats the row's value, as Faker's user agents repeat the WebKit version.
    """

    def __init__(self, text: str, **fields: Node | str):
        self.parts: list[tuple[str, str | None]] = []
        for literal, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in fields:
                raise NotVectorizable(f"no field {name}")
            self.parts.append((literal, name))
        self.fields = fields

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        drawn: dict[str, Any] = {}
        for _, name in self.parts:
            if name is not None and name not in drawn:
                f = self.fields[name]
                drawn[name] = f if isinstance(f, str) else f.sample(rng, n)
        acc: Any = ""
        for literal, name in self.parts:
            if literal:
                acc = acc + literal
            if name is not None:
                acc = acc + drawn[name]
        return acc if not isinstance(acc, str) else objarray([acc] * n)


class IPv4(Node):
    """Faker's ``ipv4``: a subnet weighted by its size, a uniform address in it, ``/prefix`` maybe.

    ``groups`` are equally likely subnet lists: ``ipv4_private()`` without a class first draws the
    class ``a``, ``b`` or ``c`` per row. Weighting a subnet by its size and then drawing an offset
    is one uniform draw over the concatenated subnets, mapped back with ``searchsorted``.
    """

    def __init__(self, groups: Sequence[Sequence[ipaddress.IPv4Network]], network: bool):
        self.groups = []
        for nets in groups:
            if not nets:
                raise NotVectorizable("no subnets")
            sizes = np.array([net.num_addresses for net in nets], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            base = np.array([int(net.network_address) for net in nets], dtype=np.int64)
            prefix = np.array([net.prefixlen for net in nets], dtype=np.int64)
            self.groups.append((base, starts, int(sizes.sum()), prefix))
        self.network = network

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        which = rng.integers(0, len(self.groups), n) if len(self.groups) > 1 else np.zeros(n, int)
        addr = np.zeros(n, dtype=np.int64)
        low = np.zeros(n, dtype=np.int64)
        for g, (base, starts, total, prefix) in enumerate(self.groups):
            rows = np.flatnonzero(which == g)
            u = rng.integers(0, total, len(rows))
            i = np.searchsorted(starts, u, side="right") - 1
            addr[rows] = base[i] + (u - starts[i])
            low[rows] = prefix[i]
        width = 15
        if self.network:  # Faker's IPv4Network(address/p, strict=False): the host bits cleared
            plen = rng.integers(low, 33)
            addr &= ((1 << 32) - 1) ^ ((1 << (32 - plen)) - 1)
            width = 18
        octets = _number_codes(10, 256)
        codes = np.zeros((n, width), dtype=np.uint32)
        for k in range(4):
            codes[:, 4 * k : 4 * k + 3] = octets[(addr >> (24 - 8 * k)) & 255]
            if k < 3:
                codes[:, 4 * k + 3] = ord(".")
        if self.network:
            codes[:, 15] = ord("/")
            codes[:, 16:18] = _number_codes(10, 33)[plen]
        return _text(codes)


class IPv6(Node):
    """Faker's ``ipv6``: uniform over [2**32, 2**128), in Python's compressed text form.

    Eight random 16-bit groups are written without leading zeros; the rare rows with two zero
    groups in a row (where ``::`` shortens the text, about 1 in 10**9) are formatted by Python.
    """

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        groups = rng.integers(0, 1 << 16, (n, 8), dtype=np.int64)
        low = ~groups[:, :6].any(axis=1)  # below 2**32: Faker never draws those
        while low.any():
            groups[low] = rng.integers(0, 1 << 16, (int(low.sum()), 8), dtype=np.int64)
            low = ~groups[:, :6].any(axis=1)
        hexes = _number_codes(16, 1 << 16)
        codes = np.zeros((n, 39), dtype=np.uint32)
        for k in range(8):
            codes[:, 5 * k : 5 * k + 4] = hexes[groups[:, k]]
            if k < 7:
                codes[:, 5 * k + 4] = ord(":")
        out = _text(codes)
        zero = groups == 0
        for r in np.flatnonzero((zero[:, :-1] & zero[:, 1:]).any(axis=1)).tolist():
            value = sum(int(g) << (16 * (7 - k)) for k, g in enumerate(groups[r]))
            out[r] = str(ipaddress.IPv6Address(value))
        return out


class Iban(Node):
    """``country + check digits + BBAN`` with ISO 7064 mod-97 check digits, as Faker's ``iban``.

    The check is computed column by column over the drawn code matrix: a digit shifts the running
    remainder by 10, a letter (A=10 ... Z=35) by 100.
    """

    def __init__(self, bban: Pattern, country: str):
        if any(isinstance(it, Slot) and it.optional for it in bban.items):
            raise NotVectorizable("optional digits in the BBAN format")
        text = "".join(it for it in bban.items if isinstance(it, str)) + country
        alphabets = "".join(it.alphabet for it in bban.items if isinstance(it, Slot))
        if not all(c in string.digits + string.ascii_uppercase for c in text + alphabets):
            raise NotVectorizable("BBAN format outside 0-9 and A-Z")
        if len(country) != 2:
            raise NotVectorizable("country code is not two letters")
        self.bban, self.country = bban, country

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        bban = self.bban.sample(rng, n)
        width = len(bban[0]) if n else 0
        codes = np.asarray(bban.astype(f"U{width}")).view(np.uint32).reshape(n, width)
        tail = np.array([ord(c) for c in self.country + "00"], dtype=np.uint32)
        rem = np.zeros(n, dtype=np.int64)
        for col in [*codes.T, *(np.full(n, c) for c in tail)]:
            col = col.astype(np.int64)
            digit = col < 58
            rem = np.where(digit, rem * 10 + (col - 48), rem * 100 + col % 55) % 97
        check = 98 - rem
        head = np.zeros((n, 4), dtype=np.uint32)
        head[:, 0], head[:, 1] = ord(self.country[0]), ord(self.country[1])
        head[:, 2], head[:, 3] = check // 10 + 48, check % 10 + 48
        return _text(np.concatenate([head, codes], axis=1))


class DateTimeText(Node):
    """``str(datetime)`` of a uniform instant in [lo, hi] (microseconds; ``.ffffff`` when not 0)."""

    def __init__(self, lo: str, hi: str):
        self.lo = np.datetime64(lo, "us").astype(np.int64)
        self.hi = np.datetime64(hi, "us").astype(np.int64)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        us = rng.integers(self.lo, self.hi + 1, n)
        text = np.datetime_as_string(us.astype("datetime64[us]"), unit="us")
        text = np.strings.replace(text, "T", " ")
        whole = us % 1_000_000 == 0
        text = np.where(whole, text.astype("U19"), text)
        return text.astype(object)


# --- builders -------------------------------------------------------------------------------------


def _hexdigest(width: int) -> Callable[..., Node]:
    """``md5``/``sha1``/``sha256`` of a random float: uniformly random hex digits."""

    def build(vec: Tokens, inst: Any, raw_output: bool = False) -> Node:
        if raw_output:
            raise NotVectorizable("raw bytes")
        return Pattern([_HEX] * width)

    return build


def _h_uuid4(vec: Tokens, inst: Any, cast_to: Any = str) -> Node:
    if cast_to is not str:
        raise NotVectorizable("uuid4 cast to something else")
    h = [_HEX]
    return Pattern([*h * 8, "-", *h * 4, "-4", *h * 3, "-", Slot("89ab"), *h * 3, "-", *h * 12])


def _h_url(vec: Tokens, inst: Any, schemes: Any = None) -> Node:
    schemes = ["http", "https"] if schemes is None else schemes
    if not isinstance(schemes, list | tuple) or not all(isinstance(s, str) for s in schemes):
        raise NotVectorizable("schemes are not a list of strings")
    scheme: Part = Choice(list(schemes)) if schemes else ""
    return Template([[scheme, "://", vec.parse_formats(inst.url_formats)]])


def _h_ipv4(
    vec: Tokens, inst: Any, network: bool = False, address_class: Any = None, private: Any = None
) -> Node:
    if private is True:
        return _h_subnets("private")(vec, inst, network, address_class)
    if private is False:
        return _h_subnets("public")(vec, inst, network, address_class)
    nets, _ = inst._get_all_networks_and_weights(address_class=address_class)
    return IPv4([list(nets)], bool(network))


def _h_subnets(kind: str) -> Callable[..., Node]:
    """``ipv4_private``/``ipv4_public``: without a valid class, Faker draws one per call."""

    def build(vec: Tokens, inst: Any, network: bool = False, address_class: Any = None) -> Node:
        get = getattr(inst, f"_get_{kind}_networks_and_weights")
        classes = [address_class] if address_class in ("a", "b", "c") else ["a", "b", "c"]
        return IPv4([list(get(address_class=c)[0]) for c in classes], bool(network))

    return build


def _h_ipv6(vec: Tokens, inst: Any, network: bool = False) -> Node:
    if network:
        raise NotVectorizable("ipv6 networks")
    return IPv6()


def _h_bban(vec: Tokens, inst: Any) -> Node:
    return Pattern.faker(inst.bban_format, "bothify", string.ascii_uppercase)


def _h_iban(vec: Tokens, inst: Any) -> Node:
    from faker.providers.bank import Provider as Bank

    if type(inst).bban is not Bank.bban:  # es_ES, no_NO, ...: the locale computes its own BBAN
        raise NotVectorizable("the locale overrides bban")
    return Iban(
        Pattern.faker(inst.bban_format, "bothify", string.ascii_uppercase), inst.country_code
    )


def _ints(lo: int, hi: int) -> IntRange:
    return IntRange(lo, hi)


def _h_user_agent(vec: Tokens, inst: Any) -> Node:
    """``random_element(user_agents)``, then that browser's templates, as Faker writes them."""
    from faker.providers import BaseProvider
    from faker.providers.user_agent import Provider as UA

    for name in ("chrome", "firefox", "safari", "opera", "internet_explorer", "user_agent"):
        if getattr(type(inst), name) is not getattr(UA, name):
            raise NotVectorizable(f"the locale overrides {name}")
    for name in ("windows", "linux", "mac", "android", "ios"):
        if getattr(type(inst), f"{name}_platform_token") is not getattr(
            UA, f"{name}_platform_token"
        ):
            raise NotVectorizable(f"the locale overrides {name}_platform_token")
    codes = BaseProvider.language_locale_codes
    loc = Template([[f"{lang}-", Choice(list(codes[lang]))] for lang in codes])
    win = Choice(list(inst.windows_platform_tokens))
    lin = Choice([f"X11; Linux {p}" for p in inst.linux_processors])
    mac = Fmt(
        "Macintosh; {p} Mac OS X 10_{a}_{b}",
        p=Choice(list(inst.mac_processors)),
        a=_ints(5, 12),
        b=_ints(0, 9),
    )
    android = Choice([f"Android {v}" for v in inst.android_versions])
    ios = Fmt(
        "{d}; CPU {d} OS {v} like Mac OS X",
        d=Choice(list(inst.apple_devices)),
        v=Choice([v.replace(".", "_") for v in inst.ios_versions]),
    )
    bld = Pattern.faker("##?###", "bothify", string.ascii_uppercase)
    bld2 = Pattern.faker("#?####", "bothify", string.ascii_lowercase)

    def saf(a: int, b: int) -> Node:
        return Fmt("{a}.{b}", a=_ints(a, b), b=_ints(0, 2))

    chrome_t = "({p}) AppleWebKit/{s} (KHTML, like Gecko) Chrome/{v}.0.{b}.0 Safari/{s}"
    chrome_ios = "({p}) AppleWebKit/{s} (KHTML, like Gecko) CriOS/{v}.0.{b}.0 Mobile/{m} Safari/{s}"
    cr = {"s": saf(531, 536), "v": _ints(13, 63), "b": _ints(800, 899)}
    chrome = Template(
        [[Fmt(chrome_t, p=p, **cr)] for p in (lin, win, mac, Template([["Linux; ", android]]))]
        + [[Fmt(chrome_ios, p=ios, m=bld, **cr)]]
    )
    gecko = Template(
        [
            ["Gecko/", DateTimeText("2011-01-01", _ALMOST_MAX), " Firefox/", _ints(4, 15), ".0"],
            ["Gecko/", DateTimeText("2010-01-01", _ALMOST_MAX), " Firefox/3.6.", _ints(1, 20)],
            ["Gecko/", DateTimeText("2010-01-01", _ALMOST_MAX), " Firefox/3.8"],
        ]
    )
    firefox = Template(
        [
            [Fmt("({p}; {l}; rv:1.9.{r}.20) {g}", p=win, l=loc, r=_ints(0, 2), g=gecko)],
            [Fmt("({p}; rv:1.9.{r}.20) {g}", p=lin, r=_ints(5, 7), g=gecko)],
            [Fmt("({p}; rv:1.9.{r}.20) {g}", p=mac, r=_ints(2, 6), g=gecko)],
            [Fmt("({p}; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0", p=android, v=_ints(5, 68))],
            [
                Fmt(
                    "({p}) AppleWebKit/{s} (KHTML, like Gecko) FxiOS/{v}.{b2}.0 Mobile/{b} Safari/{s}",
                    p=ios,
                    s=saf(531, 536),
                    v=_ints(9, 18),
                    b2=bld2,
                    b=bld,
                )
            ],
        ]
    )
    s_saf = Fmt("{a}.{b}.{c}", a=_ints(531, 535), b=_ints(1, 50), c=_ints(1, 7))
    s_ver = Template(
        [
            [Fmt("{a}.{b}", a=_ints(4, 5), b=_ints(0, 1))],
            [Fmt("{a}.0.{b}", a=_ints(4, 5), b=_ints(1, 5))],
        ]
    )
    kit = "AppleWebKit/{s} (KHTML, like Gecko)"
    safari = Template(
        [
            [Fmt("(Windows; U; {p}) " + kit + " Version/{v} Safari/{s}", p=win, s=s_saf, v=s_ver)],
            [
                Fmt(
                    "({p} rv:{r}.0; {l}) " + kit + " Version/{v} Safari/{s}",
                    p=mac,
                    r=_ints(2, 6),
                    l=loc,
                    s=s_saf,
                    v=s_ver,
                )
            ],
            [
                Fmt(
                    "(iPod; U; CPU iPhone OS {a}_{b} like Mac OS X; {l}) "
                    + kit
                    + " Version/{c}.0.5 Mobile/8B{d} Safari/6{s}",
                    a=_ints(3, 4),
                    b=_ints(0, 3),
                    l=loc,
                    s=s_saf,
                    c=_ints(3, 4),
                    d=_ints(111, 119),
                )
            ],
        ]
    )
    browsers = {
        "chrome": Template([["Mozilla/5.0 ", chrome]]),
        "firefox": Template([["Mozilla/5.0 ", firefox]]),
        "safari": Template([["Mozilla/5.0 ", safari]]),
        "opera": Fmt(
            "Opera/{a}.{b}.({t}; {l}) Presto/2.9.{c} Version/{d}.00",
            a=_ints(8, 9),
            b=_ints(10, 99),
            t=Template([[lin], [win]]),
            l=loc,
            c=_ints(160, 190),
            d=_ints(10, 12),
        ),
        "internet_explorer": Fmt(
            "Mozilla/5.0 (compatible; MSIE {a}.0; {p}; Trident/{b}.{c})",
            a=_ints(5, 9),
            p=win,
            b=_ints(3, 5),
            c=_ints(0, 1),
        ),
    }
    names = list(inst.user_agents)
    if not names or any(n not in browsers for n in names):
        raise NotVectorizable("unknown browser in user_agents")
    return Template([[browsers[n]] for n in names])


_ALMOST_MAX = "9999-12-30T23:59:59.999999"  # Faker's datetime.max - 1 day


@functools.cache
def builders() -> dict[Callable, Callable[..., Node]]:
    """Builders keyed by the exact base-class function, so a locale override never matches."""
    from faker.providers.bank import Provider as Bank
    from faker.providers.internet import Provider as Internet
    from faker.providers.misc import Provider as Misc
    from faker.providers.user_agent import Provider as UA

    return {
        Misc.md5: _hexdigest(32),
        Misc.sha1: _hexdigest(40),
        Misc.sha256: _hexdigest(64),
        Misc.uuid4: _h_uuid4,
        Internet.url: _h_url,
        Internet.ipv4: _h_ipv4,
        Internet.ipv4_private: _h_subnets("private"),
        Internet.ipv4_public: _h_subnets("public"),
        Internet.ipv6: _h_ipv6,
        Bank.bban: _h_bban,
        Bank.iban: _h_iban,
        UA.user_agent: _h_user_agent,
    }
