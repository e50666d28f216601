"""The node tree: each node draws an object array of strings for a whole block at once.

``Choice`` (a weighted list), ``Pattern`` (a mask with placeholder slots), ``IntRange`` (a
formatted integer) and ``Template`` (weighted formats of literals and sub-nodes) mirror one Faker
or Mimesis construct each; ``spaces()`` gives their value spaces (see ``space``).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthdsl.expr._faker_vec.space import (
    Atom,
    Candidate,
    Domain,
    _keep_best,
    _merge_branch,
    normalize_atoms,
)

TextFn = Callable[[str], str]

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


def weighted(data: Any) -> tuple[list[Any], list[float] | None]:
    """Elements and weights as Faker's ``random_element`` treats them (OrderedDict = weighted)."""
    if isinstance(data, dict):
        return list(data.keys()), [float(w) for w in data.values()]
    if isinstance(data, list | tuple | str):
        return list(data), None
    raise NotVectorizable(f"unsupported element container {type(data).__name__}")
