"""Value spaces of nodes: the literal text and finite domains a value is made of (unique draws).

``Node.spaces()`` describes each format family as atoms (literal strings and ``Domain`` values);
this module merges and ranks those candidates. ``unique.UniqueSpace`` enumerates one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
