"""Hand-written builders for base-class methods with logic beyond the shapes ``shapes`` reads.

Each builder gets the vectorizer (for the nodes of ``{{tokens}}``) and the provider instance, and
returns a node; ``_handwritten()`` keys them by the exact base-class function, so a locale's own
override never matches. ``first_word`` cuts a node's values at the first space (``domain_word``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Protocol

from synthdsl.expr._faker_vec.nodes import (
    Choice,
    IntRange,
    Node,
    NotVectorizable,
    Part,
    Pattern,
    Slot,
    Template,
    TextFn,
    weighted,
)

_MAX_BRANCHES = 10_000  # guard against format explosions in first_word()


class Tokens(Protocol):
    """What the builders need of ``vectorizer.FakerVectorizer`` (not imported: no cycle)."""

    def token(self, name: str) -> Node: ...

    def parse_formats(self, data: Any, how: str | None = None) -> Template: ...


def first_word(node: Node) -> Template:
    """The distribution of ``node``'s values cut at the first space (Faker's ``domain_word``).

    Walks the tree instead of splitting sampled strings: a choice whose values sometimes contain a
    space is split into two weighted branches (cut here / continue), so no per-row work is needed.
    """
    out: list[tuple[list[Part], float]] = []

    def walk(parts: list[Part], acc: list[Part], w: float) -> None:
        for i, p in enumerate(parts):
            if len(out) > _MAX_BRANCHES:
                raise NotVectorizable("too many branches")
            if isinstance(p, str):
                if " " in p:
                    out.append(([*acc, p.split(" ", 1)[0]], w))
                    return
                acc = [*acc, p]
            elif isinstance(p, Choice):
                ws = p.weights or [1.0] * len(p.values)
                total = sum(ws)
                cut = [(v.split(" ", 1)[0], x) for v, x in zip(p.values, ws) if " " in v and x > 0]
                keep = [(v, x) for v, x in zip(p.values, ws) if " " not in v and x > 0]
                if cut:
                    mass = sum(x for _, x in cut)
                    out.append(([*acc, Choice(*zip(*cut))], w * mass / total))
                if not keep:
                    return
                mass = sum(x for _, x in keep)
                acc, w = [*acc, Choice(*zip(*keep))], w * mass / total
            elif isinstance(p, Template):
                bws = p.weights or [1.0] * len(p.branches)
                total = sum(bws)
                for branch, bw in zip(p.branches, bws):
                    if bw > 0:
                        walk([*branch, *parts[i + 1 :]], acc, w * bw / total)
                return
            elif isinstance(p, Pattern):
                lits = [j for j, it in enumerate(p.items) if isinstance(it, str) and " " in it]
                if any(" " in it.alphabet for it in p.items if isinstance(it, Slot)):
                    raise NotVectorizable("placeholder may produce a space")
                if lits:
                    j = lits[0]
                    head = [*p.items[:j], p.items[j].split(" ", 1)[0]]  # type: ignore[union-attr]
                    out.append(([*acc, Pattern(head)], w))
                    return
                acc = [*acc, p]
            elif isinstance(p, IntRange):
                acc = [*acc, p]
            else:
                raise NotVectorizable(f"cannot cut {type(p).__name__} at a space")
        out.append((acc, w))

    walk([node], [], 1.0)
    return Template([b for b, _ in out], [w for _, w in out])


_SLUG_DROP = re.compile(r"[^\w\s-]", flags=re.U)
_SLUG_SPACES = re.compile(r"[-\s]+", flags=re.U)


def _slug(value: str, strip: bool) -> str:
    """Faker's ``slugify(allow_unicode=True)``; ``strip=False`` for literals inside a value."""
    value = _SLUG_DROP.sub("", unicodedata.normalize("NFKC", value))
    if strip:
        value = value.strip()
    return _SLUG_SPACES.sub("-", value.lower())


def _ascii(inst: Any) -> TextFn:
    """The locale's ``_to_ascii``: its replacement table, then unidecode."""
    from faker.decode import unidecode

    replacements = tuple(getattr(inst, "replacements", ()))

    def conv(s: str) -> str:
        for search, repl in replacements:
            s = s.replace(search, repl)
        return unidecode(s)

    return conv


def _lower(node: Node) -> Node:
    return node.map_text(str.lower, str.lower)


def _h_affix(kind: str) -> Callable[..., Node]:
    def build(vec: Tokens, inst: Any) -> Node:
        from faker.utils.datasets import add_ordereddicts

        plural = f"{kind}es"
        if hasattr(inst, plural):
            return Choice(*weighted(getattr(inst, plural)))
        names = [f"{plural}_{g}" for g in ("male", "female", "nonbinary")]
        if all(hasattr(inst, n) for n in names):
            return Choice(*weighted(add_ordereddicts(*(getattr(inst, n) for n in names))))
        if hasattr(inst, names[0]) and hasattr(inst, names[1]):
            return Template([[Choice(*weighted(getattr(inst, n)))] for n in names[:2]])
        return Choice([""])

    return build


def _h_gendered_name(gender: str) -> Callable[..., Node]:
    def build(vec: Tokens, inst: Any) -> Node:
        data = getattr(inst, f"formats_{gender}", None)
        return vec.parse_formats(inst.formats if data is None else data)

    return build


def _h_user_name(vec: Tokens, inst: Any) -> Node:
    conv = _ascii(inst)
    return vec.parse_formats(inst.user_name_formats, "bothify").map_text(
        lambda v: _slug(conv(v.lower()), strip=True), lambda s: _slug(conv(s.lower()), strip=False)
    )


def _h_email(vec: Tokens, inst: Any, safe: bool = True, domain: Any = None) -> Node:
    user = vec.token("user_name")
    if domain:
        return _lower(Template([[user, f"@{domain}"]]))
    if safe:
        return _lower(Template([[user, "@", vec.token("safe_domain_name")]]))

    def nospace(s: str) -> str:
        return s.replace(" ", "")

    return _lower(vec.parse_formats(inst.email_formats).map_text(nospace, nospace))


def _h_email_at(domain_token: str) -> Callable[..., Node]:
    def build(vec: Tokens, inst: Any) -> Node:
        return _lower(Template([[vec.token("user_name"), "@", vec.token(domain_token)]]))

    return build


def _h_lower_choice(attr: str) -> Callable[..., Node]:
    def build(vec: Tokens, inst: Any) -> Node:
        return _lower(Choice(*weighted(getattr(inst, attr))))

    return build


def _h_domain_name(vec: Tokens, inst: Any, levels: int = 1) -> Node:
    if not isinstance(levels, int) or levels < 1 or levels > 8:
        raise NotVectorizable("unsupported levels")
    parts: list[Part] = []
    for _ in range(levels):
        parts += [vec.token("domain_word"), "."]
    return _lower(Template([[*parts, vec.token("tld")]]))


def _h_domain_word(vec: Tokens, inst: Any) -> Node:
    conv = _ascii(inst)
    return first_word(vec.token("company")).map_text(
        lambda v: _slug(conv(v), strip=True), lambda s: _slug(conv(s), strip=False)
    )


def _h_state_abbr(
    vec: Tokens,
    inst: Any,
    include_territories: bool = True,
    include_freely_associated_states: bool = True,
) -> Node:
    abbr = tuple(inst.states_abbr)
    if include_territories:
        abbr += tuple(inst.territories_abbr)
    if include_freely_associated_states:
        abbr += tuple(inst.freely_associated_states_abbr)
    return Choice(abbr)


@functools.cache
def _handwritten() -> dict[Callable, Callable[..., Node]]:
    """Builders keyed by the exact base-class function, so a locale override never matches."""
    from faker.providers.address.en_US import Provider as AddressUS
    from faker.providers.internet import Provider as Internet
    from faker.providers.person import Provider as Person

    table: dict[Callable, Callable[..., Node]] = {
        Person.prefix: _h_affix("prefix"),
        Person.suffix: _h_affix("suffix"),
        Internet.user_name: _h_user_name,
        Internet.email: _h_email,
        Internet.safe_email: _h_email_at("safe_domain_name"),
        Internet.free_email: _h_email_at("free_email_domain"),
        Internet.company_email: _h_email_at("domain_name"),
        Internet.free_email_domain: _h_lower_choice("free_email_domains"),
        Internet.safe_domain_name: _h_lower_choice("safe_domain_names"),
        Internet.domain_name: _h_domain_name,
        Internet.domain_word: _h_domain_word,
        AddressUS.state_abbr: _h_state_abbr,
    }
    for g in ("male", "female", "nonbinary"):
        table[getattr(Person, f"name_{g}")] = _h_gendered_name(g)
    return table
