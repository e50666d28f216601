"""Unique values: a keyed bijection over an enumerable, injective value space.

``UniqueSpace`` turns a value space (see ``space``) into an injective enumeration; ``draw`` maps
row numbers through a keyed Feistel permutation, so distinct rows give distinct values without
any coordination between blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from synthdsl.expr._faker_vec.nodes import _filled, objarray
from synthdsl.expr._faker_vec.space import Atom, normalize_atoms

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
