"""Vectorized identifier strings: node trees drawn with numpy from Faker's own locale data.

Input: a single-locale ``faker.Faker`` plus a provider name and its literal arguments.
Output: a ``Node`` whose ``sample(rng, n)`` returns an object array of ``n`` strings drawn from
the same lists, weights and formats the Faker provider uses; ``NotVectorizable`` when the
provider (or a token it uses) has no known vectorized form, so the caller keeps the generic path.

Why a tree: most Faker providers are "pick a format, fill its ``{{tokens}}`` from other
providers, replace ``#``/``?`` placeholders". Reading that structure once (from the provider's
attributes, and for locale overrides by matching the method's source against a handful of exact
one-line shapes) lets a whole block be drawn with one ``rng`` call per token per format instead
of one Faker call per row.

The same tree describes value spaces (``Node.spaces()``: literal text and finite domains) that
``UniqueSpace`` maps a keyed bijection onto, so distinct row indices give distinct strings
without any coordination between blocks. ``_mimesis_vec`` builds the same nodes from Mimesis'
JSON data.

Not reproduced by the vectorized path (documented so nothing relies on it): Faker's exact output
for a given seed; ``slugify``'s strip/collapse at the boundary between concatenated parts of user
names (each part is folded on its own); placeholders (``#``, ``?``) inside *token values* (no
shipped data has them); ``{{token:argument_group}}`` tokens and any method whose source is not
one of the known shapes (those providers stay on the generic path). Unique draws enumerate one
format family at a time and treat optional digits (``!``, ``@``) as always present.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import string
import textwrap
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TextFn = Callable[[str], str]

# Faker's token syntax (faker.generator._re_token), copied so a Faker refactor cannot break us.
_TOKEN = re.compile(r"\{\{\s*(\w+)(:\s*\w+?)?\s*\}\}")
_MAX_BRANCHES = 10_000  # guard against format explosions in first_word()
_MAX_INT_DOMAIN = 2_000_000  # largest integer range materialized as a unique-value domain


class NotVectorizable(Exception):
    """The provider has no vectorized form here; the caller falls back to calling the library."""


def objarray(values: Iterable[Any]) -> np.ndarray:
    """A 1-D object array (np.array would turn a list of tuples into 2-D)."""
    vals = list(values)
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out


def _filled(n: int, value: str) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


class _Weights:
    """Walker/Vose alias table: O(1) weighted draws.

    ``searchsorted`` on a cumulative table costs ~15 ms per 1e5 draws from a few thousand
    weighted names (cache misses); the alias method needs two uniform draws and a gather.
    """

    def __init__(self, weights: Sequence[float]):
        w = np.asarray(list(weights), dtype=float)
        m = len(w)
        scaled = (w / w.sum() * m).tolist()
        prob, alias = [1.0] * m, list(range(m))
        small = [i for i, x in enumerate(scaled) if x < 1.0]
        large = [i for i, x in enumerate(scaled) if x >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[s], alias[s] = scaled[s], g
            scaled[g] += scaled[s] - 1.0
            (small if scaled[g] < 1.0 else large).append(g)
        self.prob = np.array(prob)
        self.alias = np.array(alias, dtype=np.intp)

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        i = rng.integers(0, len(self.prob), n)
        return np.where(rng.random(n) < self.prob[i], i, self.alias[i])


def _table(weights: Sequence[float] | None, m: int) -> _Weights | None:
    """An alias table, or None for uniform draws (faster, and exact for plain lists)."""
    if weights is None:
        return None
    w = np.asarray(list(weights), dtype=float)
    if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise NotVectorizable("weights are not a finite non-negative vector")
    if np.all(w == w[0]):
        return None
    return _Weights(w)


def _pick(rng: np.random.Generator, n: int, m: int, table: _Weights | None) -> np.ndarray:
    """``n`` indices in [0, m): uniform, or weighted like ``random_element`` on an OrderedDict."""
    if table is None:
        return rng.integers(0, m, n)
    return table.pick(rng, n)


@dataclass(frozen=True)
class Domain:
    """A finite set of distinct strings one part of a value can take (for unique draws)."""

    values: tuple[str, ...]

    @property
    def fixed_width(self) -> bool:
        return len({len(v) for v in self.values}) <= 1


Atom = str | Domain
Candidate = tuple[list[Atom], float]
_MAX_CANDIDATES = 6


class Node:
    """Draws strings for a block; subclasses mirror one Faker/Mimesis construct each."""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def spaces(self) -> list[Candidate]:
        """Enumerable slices of the value set (one per format family), most probable first.

        Each candidate is (atoms, probability of its formats); empty when not enumerable.
        """
        return []

    def map_text(self, fv: TextFn, fl: TextFn) -> Node:
        """A per-character-ish transform: ``fv`` on whole token values, ``fl`` on literal text."""
        raise NotVectorizable(f"{type(self).__name__} cannot be transformed")


class Choice(Node):
    """``random_element(list)`` / ``random.choice``; weighted when the data is an OrderedDict."""

    def __init__(self, values: Sequence[str], weights: Sequence[float] | None = None):
        vals = list(values)
        if not vals or not all(isinstance(v, str) for v in vals):
            raise NotVectorizable("data is not a non-empty list of strings")
        self.values = objarray(vals)
        self.weights = None if weights is None else [float(w) for w in weights]
        self._table = _table(self.weights, len(vals))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if len(self.values) == 1:
            return _filled(n, self.values[0])
        return self.values[_pick(rng, n, len(self.values), self._table)]

    def spaces(self) -> list[Candidate]:
        vals = list(self.values)
        if self.weights is not None:
            vals = [v for v, w in zip(vals, self.weights) if w > 0]
        return [([Domain(tuple(dict.fromkeys(vals)))], 1.0)]

    def map_text(self, fv: TextFn, fl: TextFn) -> Node:
        return Choice([fv(v) for v in self.values], self.weights)

    def affix(self, before: str, after: str) -> Choice:
        return Choice([before + v + after for v in self.values], self.weights)


@dataclass(frozen=True)
class Slot:
    """One placeholder character: drawn uniformly from ``alphabet``; ``optional`` = 50% empty."""

    alphabet: str
    optional: bool = False


_DIGITS = "0123456789"
FAKER_NUMERIFY = {
    "#": Slot(_DIGITS),
    "%": Slot(_DIGITS[1:]),
    "$": Slot(_DIGITS[2:]),
    "!": Slot(_DIGITS, optional=True),
    "@": Slot(_DIGITS[1:], optional=True),
}


class Pattern(Node):
    """A mask such as ``+31 6 ########`` or ``%### ??``: literal characters and placeholder slots.

    Drawn as a (n, width) code-point matrix viewed as fixed-width unicode, so a block costs a
    few numpy calls whatever the mask length.
    """

    def __init__(self, items: Iterable[str | Slot]):
        merged: list[str | Slot] = []
        for it in items:
            if isinstance(it, str):
                if not it:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] += it
                    continue
            elif not it.alphabet:
                raise NotVectorizable("empty placeholder alphabet")
            merged.append(it)
        self.items = merged

    @classmethod
    def from_mask(cls, text: str, slots: dict[str, Slot]) -> Pattern:
        return cls(slots.get(c, c) for c in text)

    @classmethod
    def faker(
        cls, text: str, how: str = "numerify", letters: str = string.ascii_letters
    ) -> Pattern:
        """Faker's ``numerify`` / ``lexify`` / ``bothify`` placeholders (all replaced at once)."""
        slots: dict[str, Slot] = {}
        if how in ("numerify", "bothify"):
            slots.update(FAKER_NUMERIFY)
        if how in ("lexify", "bothify"):
            slots["?"] = Slot(letters)
        return cls.from_mask(text, slots)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        width = sum(len(it) if isinstance(it, str) else 1 for it in self.items)
        if width == 0:
            return _filled(n, "")
        codes = np.empty((n, width), dtype=np.uint32)
        col, optional = 0, False
        for it in self.items:
            if isinstance(it, str):
                codes[:, col : col + len(it)] = [ord(c) for c in it]
                col += len(it)
                continue
            alphabet = np.array([ord(c) for c in it.alphabet], dtype=np.uint32)
            codes[:, col] = alphabet[rng.integers(0, len(alphabet), n)]
            if it.optional:
                codes[rng.random(n) < 0.5, col] = 0
                optional = True
            col += 1
        if optional:  # move the blanks (code 0) to the end, where numpy drops them
            order = np.argsort(codes == 0, axis=1, kind="stable")
            codes = np.ascontiguousarray(np.take_along_axis(codes, order, axis=1))
        return codes.view(f"U{width}").reshape(n).astype(object)

    def spaces(self) -> list[Candidate]:
        # Optional slots are enumerated as always present: that keeps every value the same width
        # (so concatenation stays injective) at the cost of never producing the shorter forms.
        atoms: list[Atom] = [
            it if isinstance(it, str) else Domain(tuple(dict.fromkeys(it.alphabet)))
            for it in self.items
        ]
        return [(atoms, 1.0)]

    def map_text(self, fv: TextFn, fl: TextFn) -> Node:
        items: list[str | Slot] = []
        for it in self.items:
            if isinstance(it, str):
                items.append(fl(it))
                continue
            mapped = [fv(c) for c in it.alphabet]
            if any(len(c) != 1 for c in mapped):
                raise NotVectorizable("transform does not map placeholder characters 1:1")
            items.append(Slot("".join(mapped), it.optional))
        return Pattern(items)

    def affix(self, before: str, after: str) -> Pattern:
        return Pattern([before, *self.items, after])


class _MaskTable:
    """Many masks drawn at once (e.g. 640 US phone masks): per-row mask rows of one code table.

    Grouping rows by mask costs one numpy round per mask; for many masks it is cheaper to gather
    the chosen masks' literal codes into an (n, width) matrix and fill each placeholder kind in
    one call. For a few dozen masks grouping is faster (~18 vs ~32 ms per 1e5), hence the
    threshold in ``Template._compile``.
    """

    def __init__(self, patterns: Sequence[Pattern]):
        width = max(sum(len(it) if isinstance(it, str) else 1 for it in p.items) for p in patterns)
        self.width = max(width, 1)
        self.codes = np.zeros((len(patterns), self.width), dtype=np.uint32)
        self.kinds = np.zeros((len(patterns), self.width), dtype=np.int16)
        self.slots: list[Slot] = []
        for row, p in enumerate(patterns):
            col = 0
            for it in p.items:
                if isinstance(it, str):
                    self.codes[row, col : col + len(it)] = [ord(c) for c in it]
                    col += len(it)
                    continue
                if it not in self.slots:
                    self.slots.append(it)
                self.kinds[row, col] = self.slots.index(it) + 1
                col += 1

    def sample(self, choice: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(choice)
        codes, kinds = self.codes[choice], self.kinds[choice]
        optional = False
        for kind, slot in enumerate(self.slots, 1):
            where = kinds == kind
            count = int(where.sum())
            if not count:
                continue
            alphabet = np.array([ord(c) for c in slot.alphabet], dtype=np.uint32)
            drawn = alphabet[rng.integers(0, len(alphabet), count)]
            if slot.optional:
                drawn[rng.random(count) < 0.5] = 0
                optional = True
            codes[where] = drawn
        if optional:  # blanks (code 0) to the end, where numpy drops them
            order = np.argsort(codes == 0, axis=1, kind="stable")
            codes = np.ascontiguousarray(np.take_along_axis(codes, order, axis=1))
        return codes.view(f"U{self.width}").reshape(n).astype(object)


class IntRange(Node):
    """``str(randint(lo, hi))``, zero-padded to ``width`` like ``"%05d" % n``."""

    def __init__(self, lo: int, hi: int, width: int = 0):
        if lo > hi:
            raise NotVectorizable("empty integer range")
        self.lo, self.hi, self.width = int(lo), int(hi), int(width)

    def _fmt(self, v: int) -> str:
        return str(v).zfill(self.width) if self.width else str(v)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        ints = rng.integers(self.lo, self.hi + 1, n)
        width = max(self.width, len(str(self.hi)))
        if self.lo >= 0 and len(self._fmt(self.lo)) == width:  # all values have the same width
            codes = np.empty((n, width), dtype=np.uint32)
            for col in range(width - 1, -1, -1):
                ints, digit = np.divmod(ints, 10)
                codes[:, col] = digit + 48
            return codes.view(f"U{width}").reshape(n).astype(object)
        text = ints.astype(np.str_)
        if self.width:
            text = np.strings.zfill(text, self.width)
        return text.astype(object)

    def spaces(self) -> list[Candidate]:
        if self.hi - self.lo + 1 > _MAX_INT_DOMAIN:
            return []
        return [([Domain(tuple(self._fmt(v) for v in range(self.lo, self.hi + 1)))], 1.0)]

    def map_text(self, fv: TextFn, fl: TextFn) -> Node:
        if all(fv(c) == c for c in "0123456789-"):
            return self
        raise NotVectorizable("transform changes digits")


Part = str | Node


class Template(Node):
    """Weighted alternatives (Faker formats), each a sequence of literals and sub-nodes.

    Rows are grouped by the branch they drew and each group is filled with whole-array
    operations, so the Python loop runs once per format, not once per row.
    """

    def __init__(self, branches: Sequence[Sequence[Part]], weights: Sequence[float] | None = None):
        if not branches:
            raise NotVectorizable("no formats")
        self.branches = [list(b) for b in branches]
        self.weights = None if weights is None else [float(w) for w in weights]
        self._table = _table(self.weights, len(self.branches))
        self._compiled: list[list[Part]] | None = None
        self._masks: _MaskTable | None = None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        comp = self._compile()
        if len(comp) == 1:
            return _concat(comp[0], rng, n)
        if self._masks is not None:
            return self._masks.sample(_pick(rng, n, len(comp), self._table), rng)
        choice = _pick(rng, n, len(comp), self._table).astype(np.int16)
        order = np.argsort(choice, kind="stable")
        counts = np.bincount(choice, minlength=len(comp))
        out = np.empty(n, dtype=object)
        start = 0
        for b, count in enumerate(counts.tolist()):
            if count:
                out[order[start : start + count]] = _concat(comp[b], rng, count)
                start += count
        return out

    def _compile(self) -> list[list[Part]]:
        """Inline single-branch sub-templates and fold literals into neighbouring nodes.

        Every literal folded into a Choice/Pattern saves one object-array concatenation
        (about 10 ms per 1e5 rows), the dominant cost of building strings.
        """
        if self._compiled is None:
            if len(self.branches) > 32_000:
                raise NotVectorizable("too many formats")
            comp = [_fold(_inline(b)) for b in self.branches]
            if len(comp) > 64 and all(len(b) == 1 and isinstance(b[0], Pattern) for b in comp):
                self._masks = _MaskTable([b[0] for b in comp])  # type: ignore[misc]
            self._compiled = comp
        return self._compiled

    def spaces(self) -> list[Candidate]:
        """Candidates of every format (parts' candidates combined), merged where compatible.

        Formats are kept apart (rather than enumerating their union) because two formats may
        render the same string; only formats that ``_merge_branch`` can join exactly-ish are
        joined. Only the ``_MAX_CANDIDATES`` most probable plus the largest are kept.
        """
        weights = self.weights or [1.0] * len(self.branches)
        total = sum(weights)
        combos: list[Candidate] = []
        for branch, w in zip(self.branches, weights):
            if w <= 0:
                continue
            partial: list[Candidate] = [([], w / total)]
            for part in branch:
                subs = [([part], 1.0)] if isinstance(part, str) else part.spaces()
                partial = _keep_best(
                    [(a + sa, p * sp) for a, p in partial for sa, sp in subs]  # type: ignore[operator]
                )
            combos.extend((normalize_atoms(a), p) for a, p in partial)
        merged: list[Candidate] = []
        for atoms, p in combos:
            for i, (group, gp) in enumerate(merged):
                joined = _merge_branch(group, atoms)
                if joined is not None:
                    merged[i] = (joined, gp + p)
                    break
            else:
                merged.append((atoms, p))
        return _keep_best(merged)

    def map_text(self, fv: TextFn, fl: TextFn) -> Node:
        return Template(
            [
                [fl(p) if isinstance(p, str) else p.map_text(fv, fl) for p in b]
                for b in self.branches
            ],
            self.weights,
        )


def _inline(parts: Sequence[Part]) -> list[Part]:
    out: list[Part] = []
    for p in parts:
        if isinstance(p, Template) and len(p.branches) == 1:
            out.extend(_inline(p.branches[0]))
        else:
            out.append(p)
    return out


def _fold(parts: list[Part]) -> list[Part]:
    out: list[Part] = []
    pending = ""
    for p in parts:
        if isinstance(p, str):
            if out and isinstance(out[-1], Choice | Pattern):
                out[-1] = out[-1].affix("", p)
            else:
                pending += p
            continue
        if pending:
            if isinstance(p, Choice | Pattern):
                p = p.affix(pending, "")
            else:
                out.append(pending)
            pending = ""
        out.append(p)
    if pending:
        out.append(pending)
    return out


def _concat(parts: list[Part], rng: np.random.Generator, n: int) -> np.ndarray:
    acc: Any = None
    for p in parts:
        value = p if isinstance(p, str) else p.sample(rng, n)
        acc = value if acc is None else acc + value
    return _filled(n, acc or "") if acc is None or isinstance(acc, str) else acc


def _union(a: Domain, b: Domain) -> Domain:
    return Domain(tuple(dict.fromkeys(a.values + b.values)))


def _merge_branch(group: list[Atom], atoms: list[Atom]) -> list[Atom] | None:
    """One value space for two formats of the same skeleton, or None when they differ more.

    Same literals: domains are unioned position-wise (male/female first names; this may pair
    values the two formats never pair). Same domains with literals that differ in one position
    only (phone masks with different area codes): that position becomes a domain of the
    literals, which enumerates exactly the union of the formats.
    """
    if len(group) != len(atoms):
        return None
    varying = [i for i, a in enumerate(group) if isinstance(a, _Literals)]
    out: list[Atom] = []
    for i, (a, b) in enumerate(zip(group, atoms)):
        if isinstance(b, Domain):
            if isinstance(a, str | _Literals):
                return None
            out.append(_union(a, b))
        elif isinstance(a, _Literals):
            out.append(_Literals(tuple(dict.fromkeys((*a.values, b)))))
        elif isinstance(a, str) and a != b:
            varying.append(i)
            out.append(_Literals((a, b)))
        elif isinstance(a, str):
            out.append(a)
        else:
            return None
    if len(varying) > 1:
        return None
    if varying and any(
        isinstance(a, Domain) and not isinstance(a, _Literals) and a != b
        for a, b in zip(group, atoms)
    ):
        return None
    return out


class _Literals(Domain):
    """A domain made of the differing literal of merged formats (see ``_merge_branch``)."""


def _keep_best(cands: list[Candidate]) -> list[Candidate]:
    """The most probable candidates plus the one with the largest raw capacity."""
    ranked = sorted(cands, key=lambda c: -c[1])
    best = ranked[:_MAX_CANDIDATES]
    if ranked:
        largest = max(ranked, key=lambda c: _raw_capacity(c[0]))
        if all(largest is not c for c in best):
            best.append(largest)
    return best


def _raw_capacity(atoms: list[Atom]) -> int:
    cap = 1
    for a in atoms:
        if isinstance(a, Domain):
            cap *= len(a.values)
    return cap


def normalize_atoms(atoms: Iterable[Atom]) -> list[Atom]:
    """Merge adjacent literals and turn one-value domains into literals."""
    out: list[Atom] = []
    for a in atoms:
        if isinstance(a, Domain) and len(a.values) == 1:
            a = a.values[0]
        if isinstance(a, str):
            if not a:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += a
                continue
        out.append(a)
    return out


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


# --- unique values: a keyed bijection over an enumerable, injective value space -------------------

_MASK62 = (1 << 62) - 1
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: a fast, well-mixing 64-bit hash (uint64 arithmetic wraps)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _C1
    x = x ^ (x >> np.uint64(27))
    x = x * _C2
    return x ^ (x >> np.uint64(31))


def feistel_permute(idx: np.ndarray, size: int, keys: np.ndarray) -> np.ndarray:
    """A keyed permutation of [0, size) applied to ``idx`` (uint64), for ``size`` <= 2**62.

    A balanced Feistel network over the smallest even bit width that covers ``size`` is a
    permutation of [0, 2**bits); cycle-walking (re-encrypting outputs >= size) restricts it to
    [0, size) and stays a permutation. Fewer than 4 walks are needed on average.
    """
    bits = max(2, (size - 1).bit_length())
    half = (bits + 1) // 2
    shift, mask, limit = np.uint64(half), np.uint64((1 << half) - 1), np.uint64(size)

    def encrypt(x: np.ndarray) -> np.ndarray:
        left, right = x >> shift, x & mask
        for k in keys:
            left, right = right, left ^ (_mix(right ^ k) & mask)
        return (left << shift) | right

    y = encrypt(idx.astype(np.uint64))
    todo = np.flatnonzero(y >= limit)
    while todo.size:
        z = encrypt(y[todo])
        y[todo] = z
        todo = todo[z >= limit]
    return y


def _prefix_free(strings: Iterable[str]) -> set[str]:
    """The strings that have no other string of the set as a proper prefix.

    After sorting, any string with a prefix in the set sorts after that prefix with only
    strings sharing it in between, so comparing with the last kept string is enough.
    """
    kept: set[str] = set()
    last: str | None = None
    for s in sorted(set(strings)):
        if last is not None and s.startswith(last):
            continue
        kept.add(s)
        last = s
    return kept


class UniqueSpace:
    """An injective enumeration of values: ``L0 D1 L1 D2 ... Dk Lk`` (literals L, domains D).

    Injectivity is guaranteed by construction: domains left of a pivot are pruned so that
    ``{v + L_i}`` is prefix-free (the string can be parsed from the left), domains right of it so
    that ``{L_(i-1) + v}`` is suffix-free (parsed from the right); the pivot just needs distinct
    values. Fixed-width domains need no pruning. The pivot keeping the most values wins.
    ``capacity`` is the exact number of distinct strings.
    """

    def __init__(self, atoms: Iterable[Atom]):
        lits, doms = [""], []
        for a in normalize_atoms(atoms):
            if isinstance(a, str):
                lits[-1] += a
            else:
                doms.append(list(a.values))
                lits.append("")
        k = len(doms)
        left = [self._prune(d, lits[i + 1], True) for i, d in enumerate(doms)]
        right = [self._prune(d, lits[i], False) for i, d in enumerate(doms)]
        best, best_cap = 0, -1
        for p in range(k):
            cap = len(doms[p])
            for i in range(k):
                cap *= len(left[i]) if i < p else len(right[i]) if i > p else 1
            if cap > best_cap:
                best, best_cap = p, cap
        self.literals = lits
        self.domains = [
            left[i] if i < best else right[i] if i > best else doms[i] for i in range(k)
        ]
        self.radices = [len(d) for d in self.domains]
        self.capacity = 1
        for r in self.radices:
            self.capacity *= r
        self._parts = self._render_parts()

    @staticmethod
    def _prune(values: list[str], lit: str, from_left: bool) -> list[str]:
        if len({len(v) for v in values}) <= 1:
            return values
        if from_left:
            keep = _prefix_free(v + lit for v in values)
            return [v for v in values if v + lit in keep]
        keep = _prefix_free((lit + v)[::-1] for v in values)
        return [v for v in values if (lit + v)[::-1] in keep]

    def _render_parts(self) -> list[tuple[str, Any]]:
        """Domain value arrays with the literals folded in; fixed-width runs as code matrices."""
        parts: list[tuple[str, Any]] = []
        for i, dom in enumerate(self.domains):
            vals = [v + self.literals[i + 1] for v in dom]
            if i == 0:
                vals = [self.literals[0] + v for v in vals]
            widths = {len(v) for v in vals}
            if len(widths) == 1 and 0 < (w := widths.pop()) <= 64:
                codes = np.array(vals, dtype=f"U{w}").view(np.uint32).reshape(len(vals), w)
                parts.append(("fixed", codes))
            else:
                parts.append(("var", objarray(vals)))
        return parts

    def draw(self, key: Sequence[int], start: int, n: int) -> np.ndarray:
        """Values for rows ``start .. start+n-1``; distinct rows give distinct values."""
        if not self.domains:
            return _filled(n, self.literals[0])
        k = len(self.radices)
        state = np.random.SeedSequence(list(key)).generate_state(8 + 6 * k, dtype=np.uint64)
        size = min(self.capacity, _MASK62 + 1)
        idx = np.arange(start, start + n, dtype=np.uint64)
        y = feistel_permute(idx, size, state[:8])
        digits = []
        for r in self.radices:  # mixed-radix decoding, least significant first
            digits.append(y % np.uint64(r))
            y = y // np.uint64(r)
        if self.capacity > size:
            _mix_digits(digits, self.radices, state[8:].reshape(3, 2 * k))
        return self._render(digits, n)

    def _render(self, digits: list[np.ndarray], n: int) -> np.ndarray:
        acc: Any = None
        run: list[np.ndarray] = []

        def flush() -> None:
            nonlocal acc, run
            if run:
                mat = np.concatenate(run, axis=1) if len(run) > 1 else run[0]
                text = np.ascontiguousarray(mat).view(f"U{mat.shape[1]}").reshape(n).astype(object)
                acc = text if acc is None else acc + text
                run = []

        for (kind, table), d in zip(self._parts, digits):
            if kind == "fixed":
                run.append(table[d.astype(np.intp)])
            else:
                flush()
                vals = table[d.astype(np.intp)]
                acc = vals if acc is None else acc + vals
        flush()
        return acc


def _mix_digits(digits: list[np.ndarray], radices: list[int], keys: np.ndarray) -> None:
    """Spread values over a mixed-radix space larger than 2**62 (in place).

    Each step adds to one digit (mod its radix) a hash of all the *other* digits, which is
    invertible, so the whole map stays a bijection of the product space. Needed because the
    Feistel permutation only covers indices below 2**62, where high digits would stay near 0.
    """
    for rnd in range(keys.shape[0]):
        hashes = [_mix(d ^ keys[rnd, 2 * j]) for j, d in enumerate(digits)]
        total = np.zeros_like(digits[0])
        for h in hashes:
            total ^= h
        for j, r in enumerate(radices):
            if r == 1:
                continue
            others = total ^ hashes[j]
            step = _mix(others + keys[rnd, 2 * j + 1]) % np.uint64(r)
            digits[j] = (digits[j] + step) % np.uint64(r)
            total ^= hashes[j]
            hashes[j] = _mix(digits[j] ^ keys[rnd, 2 * j])
            total ^= hashes[j]


# --- Faker: providers -> nodes --------------------------------------------------------------------


def weighted(data: Any) -> tuple[list[Any], list[float] | None]:
    """Elements and weights as Faker's ``random_element`` treats them (OrderedDict = weighted)."""
    if isinstance(data, dict):
        return list(data.keys()), [float(w) for w in data.values()]
    if isinstance(data, list | tuple | str):
        return list(data), None
    raise NotVectorizable(f"unsupported element container {type(data).__name__}")


def _formats(data: Any) -> tuple[list[str], list[float] | None]:
    """Formats with repeats merged into weights (Faker weights formats by listing them twice)."""
    keys, weights = weighted(data)
    merged: dict[str, float] = {}
    for i, k in enumerate(keys):
        if not isinstance(k, str):
            raise NotVectorizable("format is not a string")
        merged[k] = merged.get(k, 0.0) + (1.0 if weights is None else weights[i])
    return list(merged), list(merged.values())


class FakerVectorizer:
    """Builds nodes for one Faker locale; tokens are memoized because formats share them."""

    def __init__(self, fake: Any):
        self.fake = fake
        self._memo: dict[str, Node | NotVectorizable] = {}
        self._busy: set[Any] = set()
        # One build at a time: the memo and the recursion guard are shared, and a spurious
        # "recursive" failure would silently move a column to the (differently drawn) generic path.
        self._lock = threading.RLock()

    def node(
        self, name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
    ) -> Node:
        """The node for ``faker.<name>(*args, **kwargs)``; raises NotVectorizable."""
        with self._lock:
            if not args and not kwargs:
                return self.token(name)
            return self._method(getattr(self.fake, name, None), tuple(args), dict(kwargs or {}))

    def token(self, name: str) -> Node:
        """The node for ``{{name}}`` in a format (called without arguments)."""
        hit = self._memo.get(name)
        if hit is None:
            try:
                hit = self._method(getattr(self.fake, name, None), (), {})
            except NotVectorizable as exc:
                hit = exc
            self._memo[name] = hit
        if isinstance(hit, NotVectorizable):
            raise hit
        return hit

    def _method(self, bm: Any, args: tuple, kwargs: dict[str, Any]) -> Node:
        if not inspect.ismethod(bm):
            raise NotVectorizable("not a provider method")
        func, inst = bm.__func__, bm.__self__
        if func in self._busy:
            raise NotVectorizable("recursive format")
        self._busy.add(func)
        try:
            hand = _handwritten().get(func)
            if hand is not None:
                bound = inspect.signature(bm).bind(*args, **kwargs)
                bound.apply_defaults()
                return hand(self, inst, **bound.arguments)
            if args or kwargs:
                raise NotVectorizable("arguments are only vectorized for known providers")
            shape = _shape(func)
            if shape is None:
                raise NotVectorizable(f"{func.__qualname__} has no known shape")
            return self._from_shape(inst, shape)
        finally:
            self._busy.discard(func)

    def _from_shape(self, inst: Any, shape: tuple) -> Node:
        kind = shape[0]
        if kind == "choice":
            return Choice(*weighted(getattr(inst, shape[1])))
        if kind == "parse":
            return self.parse_formats(getattr(inst, shape[1]))
        if kind == "alias":
            return self._method(getattr(inst, shape[1], None), (), {})
        if kind == "hasattr":
            _, attr, fallback = shape
            if hasattr(inst, attr):
                return Choice(*weighted(getattr(inst, attr)))
            return self._method(getattr(inst, fallback, None), (), {})
        if kind == "intfmt":
            return IntRange(shape[1], shape[2], shape[3])
        if kind == "pattern":
            _, how, source, what, case = shape
            if source == "const":
                node: Node = Pattern.faker(what, how)
            elif source == "attr":
                text = getattr(inst, what)
                if not isinstance(text, str):
                    raise NotVectorizable("mask attribute is not a string")
                node = Pattern.faker(text, how)
            else:
                keys, weights = _formats(getattr(inst, what))
                node = Template([[Pattern.faker(k, how)] for k in keys], weights)
            if case:
                fn = getattr(str, case)
                node = node.map_text(fn, fn)
            return node
        raise NotVectorizable(f"unknown shape {kind}")

    def parse_formats(self, data: Any, how: str | None = None) -> Template:
        """``generator.parse(random_element(formats))``; ``how`` also applies bothify/numerify."""
        keys, weights = _formats(data)
        return Template([self._parse(k, how) for k in keys], weights)

    def _parse(self, fmt: str, how: str | None) -> list[Part]:
        parts: list[Part] = []
        pos = 0
        for m in _TOKEN.finditer(fmt):
            if m.start() > pos:
                parts.append(self._literal(fmt[pos : m.start()], how))
            if m.group(2):
                raise NotVectorizable("argument groups are not vectorized")
            parts.append(self.token(m.group(1)))
            pos = m.end()
        if pos < len(fmt):
            parts.append(self._literal(fmt[pos:], how))
        return parts

    @staticmethod
    def _literal(text: str, how: str | None) -> Part:
        if how is None:
            return text
        pat = Pattern.faker(text, how)
        return text if all(isinstance(it, str) for it in pat.items) else pat


# --- method shapes --------------------------------------------------------------------------------


def _self_attr(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "self" else None
    return None


def _self_call(node: ast.AST | None) -> tuple[tuple[str, ...], list[ast.expr]] | None:
    """``self.a.b(args)`` -> (("a", "b"), args); None for anything else or keyword arguments."""
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    names, f = [], node.func
    while isinstance(f, ast.Attribute):
        names.append(f.attr)
        f = f.value
    if not (isinstance(f, ast.Name) and f.id == "self"):
        return None
    return tuple(reversed(names)), list(node.args)


def _call_args(node: ast.AST | None, *path: str) -> list[ast.expr] | None:
    got = _self_call(node)
    return got[1] if got is not None and got[0] == path else None


def _element_attr(node: ast.AST | None) -> str | None:
    """``self.random_element(self.X)`` -> "X"."""
    args = _call_args(node, "random_element")
    return _self_attr(args[0]) if args is not None and len(args) == 1 else None


def _const(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _const(node.operand)
        return -inner if isinstance(inner, int) else None
    return None


def _shape_expr(e: ast.expr) -> tuple | None:
    if (attr := _element_attr(e)) is not None:
        return ("choice", attr)
    case = None
    if (
        isinstance(e, ast.Call)
        and not e.args
        and not e.keywords
        and isinstance(e.func, ast.Attribute)
        and e.func.attr in ("upper", "lower")
    ):
        case, e = e.func.attr, e.func.value
    for how in ("numerify", "bothify", "lexify"):
        args = _call_args(e, how)
        if args is None or len(args) != 1:
            continue
        inner = args[0]
        if (attr := _element_attr(inner)) is not None:
            return ("pattern", how, "choice", attr, case)
        if (attr := _self_attr(inner)) is not None:
            return ("pattern", how, "attr", attr, case)
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            return ("pattern", how, "const", inner.value, case)
    if case:
        return None
    args = _call_args(e, "generator", "parse")
    if args is not None and len(args) == 1 and (attr := _element_attr(args[0])) is not None:
        return ("parse", attr)
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod) and isinstance(e.left, ast.Constant):
        fmt = re.fullmatch(r"%(?:0(\d+))?d", str(e.left.value))
        args = _call_args(e.right, "generator", "random", "randint")
        if fmt and args is not None and len(args) == 2:
            lo, hi = _const(args[0]), _const(args[1])
            if isinstance(lo, int) and isinstance(hi, int):
                return ("intfmt", lo, hi, int(fmt.group(1) or 0))
    got = _self_call(e)
    if got is not None and len(got[0]) == 1 and not got[1]:
        return ("alias", got[0][0])
    return None


def method_body(func: Callable) -> list[ast.stmt] | None:
    """The statements of a plain ``def m(self)`` (docstring dropped), or None for anything else.

    Reads the library's own source (never spec content) to recognize data-only methods.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, ast.FunctionDef) or fn.decorator_list:
        return None
    a = fn.args
    if a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or len(a.args) != 1:
        return None
    return [
        s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]


@functools.cache
def _shape(func: Callable) -> tuple | None:
    """Classify a provider method by its source, accepting only a few exact shapes.

    Locale providers override many methods with one-liners such as
    ``return self.random_element(self.cities)``; recognizing those keeps e.g. nl_NL cities
    vectorized. Anything else (extra logic, arguments, decorators) returns None: generic path.
    """
    body = method_body(func)
    if body is None:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return _shape_expr(body[0].value)
    if len(body) != 2 or not isinstance(body[1], ast.Return):
        return None
    first, ret = body
    target = value = None
    if isinstance(first, ast.Assign) and len(first.targets) == 1:
        target, value = first.targets[0], first.value
    elif isinstance(first, ast.AnnAssign):
        target, value = first.target, first.value
    if isinstance(target, ast.Name) and (attr := _element_attr(value)) is not None:
        args = _call_args(ret.value, "generator", "parse")
        if args and len(args) == 1 and isinstance(args[0], ast.Name) and args[0].id == target.id:
            return ("parse", attr)
        return None
    if isinstance(first, ast.If) and not first.orelse and len(first.body) == 1:
        test, inner = first.test, first.body[0]
        got = _self_call(ret.value)
        if (
            isinstance(test, ast.Call)
            and isinstance(test.func, ast.Name)
            and test.func.id == "hasattr"
            and len(test.args) == 2
            and isinstance(test.args[0], ast.Name)
            and test.args[0].id == "self"
            and isinstance(inner, ast.Return)
            and _element_attr(inner.value) == _const(test.args[1])
            and got is not None
            and len(got[0]) == 1
            and not got[1]
        ):
            return ("hasattr", _const(test.args[1]), got[0][0])
    return None


# --- hand-written builders for base-class methods with logic beyond the shapes above --------------

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
    def build(vec: FakerVectorizer, inst: Any) -> Node:
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
    def build(vec: FakerVectorizer, inst: Any) -> Node:
        data = getattr(inst, f"formats_{gender}", None)
        return vec.parse_formats(inst.formats if data is None else data)

    return build


def _h_user_name(vec: FakerVectorizer, inst: Any) -> Node:
    conv = _ascii(inst)
    return vec.parse_formats(inst.user_name_formats, "bothify").map_text(
        lambda v: _slug(conv(v.lower()), strip=True), lambda s: _slug(conv(s.lower()), strip=False)
    )


def _h_email(vec: FakerVectorizer, inst: Any, safe: bool = True, domain: Any = None) -> Node:
    user = vec.token("user_name")
    if domain:
        return _lower(Template([[user, f"@{domain}"]]))
    if safe:
        return _lower(Template([[user, "@", vec.token("safe_domain_name")]]))

    def nospace(s: str) -> str:
        return s.replace(" ", "")

    return _lower(vec.parse_formats(inst.email_formats).map_text(nospace, nospace))


def _h_email_at(domain_token: str) -> Callable[..., Node]:
    def build(vec: FakerVectorizer, inst: Any) -> Node:
        return _lower(Template([[vec.token("user_name"), "@", vec.token(domain_token)]]))

    return build


def _h_lower_choice(attr: str) -> Callable[..., Node]:
    def build(vec: FakerVectorizer, inst: Any) -> Node:
        return _lower(Choice(*weighted(getattr(inst, attr))))

    return build


def _h_domain_name(vec: FakerVectorizer, inst: Any, levels: int = 1) -> Node:
    if not isinstance(levels, int) or levels < 1 or levels > 8:
        raise NotVectorizable("unsupported levels")
    parts: list[Part] = []
    for _ in range(levels):
        parts += [vec.token("domain_word"), "."]
    return _lower(Template([[*parts, vec.token("tld")]]))


def _h_domain_word(vec: FakerVectorizer, inst: Any) -> Node:
    conv = _ascii(inst)
    return first_word(vec.token("company")).map_text(
        lambda v: _slug(conv(v), strip=True), lambda s: _slug(conv(s), strip=False)
    )


def _h_state_abbr(
    vec: FakerVectorizer,
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
