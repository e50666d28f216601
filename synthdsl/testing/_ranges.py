"""The range of values a distribution draw explores under the strategies.

Input: a distribution, its parameters for one row, the bounds rules fold into the draw, and the
column's ``clamp``. Output: two intervals, found with the engine's own inverse CDF
(``sample_truncated`` maps one uniform to one value, so pinning the uniform gives a quantile):

- the *central range* (``TAIL``): all but 10⁻⁶ of the truncated distribution's mass at each end,
  then clamped. It is where the distribution's shape guides the search: values the generator
  commonly produces, so rules enforced by redrawing are met about as often as the engine meets them;
- the *domain* (``REACH``): every value the spec allows. A side the spec bounds (a ``clamp``, a rule's
  bound, a support end with mass: uniform's, binomial's ``n``) is reached exactly; a clamp beyond
  the distribution's far tail still counts, as a tester asks "does my code handle every value the
  spec allows?", not "what is likely" (``lognormal(3.25, 0.15) clamp(12, 60)`` gives all of 12 to
  60, where its central range stops at 12.6 and 52.6). A side left open (``normal``'s tails, the top
  of ``poisson``) goes as far as the engine's own draw can: the quantile of its smallest uniform
  step, 2⁻⁵³ (``normal(170, 10)`` gives 87.9 to 252.1).

Both keep exact ends where the distribution's mass reaches them, so failures shrink onto them, and
neither holds a value the engine can never give: no ``exponential(1)`` of exactly 0 (its open support
end), no ``binomial(10, 0)`` above 0.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from synthdsl.check.intervals import bound, conjuncts, null_guard
from synthdsl.syntax import ast
from synthdsl.syntax.ast_json import from_json

TAIL = 1e-6  # the central range: the mass left out at each end
REACH = 2.0**-53  # the domain's open sides: the engine's smallest uniform step (numpy's random())
SNAP = 1e-5  # a cut this close (relative to the range) to an exact end is that end


class Interval(NamedTuple):
    """``lo .. hi``; an excluded end is a value the draw comes arbitrarily close to but never takes."""

    lo: float
    hi: float
    lo_excl: bool = False
    hi_excl: bool = False


def quantile(dist, params: dict, low, high, li: bool, hi_inc: bool, q: float) -> float | None:
    """The value the engine's truncated draw gives for the uniform ``q`` (None: empty interval)."""

    class _Pinned:
        @staticmethod
        def random(n):
            return np.full(n, q)

    try:
        x = dist.sample_truncated(_Pinned, 1, params, low, high, li, hi_inc)
    except ValueError:  # an interval with no mass, or bad parameters: nothing to draw
        return None
    return float(x[0])


def central(dist, params: dict, low=None, high=None, li=True, hi_inc=True, tail: float = TAIL):
    """``(lo, hi)`` holding all but ``tail`` of the mass at each end, or None when empty.

    The inverse CDF may run from either tail (whichever keeps precision), so the two cuts are
    ordered here rather than trusted to come low first.
    """
    cuts = [quantile(dist, params, low, high, li, hi_inc, q) for q in (tail, 1 - tail)]
    if None in cuts or any(math.isnan(c) for c in cuts):
        return None
    return min(cuts), max(cuts)


def snap(cut: float, ends: list[tuple[float, bool]], span: float) -> tuple[float, bool]:
    """``(value, excluded)``: an exact end the cut lies on (within ``SNAP`` of the range), else the
    cut itself, included."""
    for end, excluded in ends:
        if math.isfinite(end) and abs(cut - end) <= SNAP * max(span, 1e-300):
            return end, excluded
    return cut, False


def interval(
    dist, p: dict, low, high, li: bool, hi_inc: bool, clamp, tail: float
) -> Interval | None:
    """The values a draw explores: ``tail`` left out of the mass at each end, exact ends kept, then
    the clamp (see the module docstring). With ``tail=REACH``, a clamp bound beyond the far tail on
    a side where mass goes on is that side's end. None when the interval holds no value."""
    cut = central(dist, p, low, high, li, hi_inc, tail)
    if cut is None:
        return None
    lo, hi = cut
    lo_excl = hi_excl = False
    if dist.kind == "continuous":
        s_lo, s_hi = dist.support(p)
        own = dist.name == "uniform"  # the only continuous draw whose ends have mass
        # a rule's bound is an end only inside the support (``x > 0`` on an exponential is not)
        lo_ends = [(low, not li)] if low is not None and low > s_lo else []
        hi_ends = [(high, not hi_inc)] if high is not None and high < s_hi else []
        lo_ends += [(s_lo, False)] if own else []
        hi_ends += [(s_hi, bool(getattr(dist, "_open_high", False)))] if own else []
        lo, lo_excl = snap(lo, lo_ends, hi - lo)
        hi, hi_excl = snap(hi, hi_ends, hi - lo)
    if clamp is None:
        return Interval(lo, hi, lo_excl, hi_excl)
    c_lo, c_hi = clamp
    if tail == REACH:  # the clamp is declared: reach it where the distribution's mass goes on
        s_lo, s_hi = dist.support(p)
        end_lo = s_lo if low is None else max(s_lo, low)  # the draw's own ends, never passed
        end_hi = s_hi if high is None else min(s_hi, high)
        if end_lo < c_lo < lo and _mass(dist, p, low, lo, li, False) > 0:
            lo, lo_excl = c_lo, False
        if hi < c_hi < end_hi and _mass(dist, p, hi, high, False, hi_inc) > 0:
            hi, hi_excl = c_hi, False
    # values beyond the clamp are clipped onto it
    new_lo, new_hi = min(max(lo, c_lo), c_hi), max(min(hi, c_hi), c_lo)
    return Interval(new_lo, new_hi, lo_excl and new_lo == lo, hi_excl and new_hi == hi)


def _mass(dist, p: dict, low, high, li: bool, hi_inc: bool) -> float:
    """The mass strictly beyond a cut (0 where it cannot be computed: the cut is then an end)."""
    if low is not None and high is not None and not low < high:
        return 0.0
    try:
        return dist.interval_mass(p, low, high, li, hi_inc)
    except ValueError:
        return 0.0


# ---- rule bounds: ``rule r: bmi <= 40`` enforced by redrawing still bounds what the column takes
def _literal(e) -> float:
    """A number written in a rule (``40``, ``-1.5``); anything else is no constant here."""
    if isinstance(e, ast.Number):
        return e.value
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, ast.Number):
        return -e.operand.value
    raise LookupError


def rule_bounds(plan) -> dict[tuple[str, str], Interval]:
    """Per (table, column), the interval its row rules of the form ``col OP number`` allow.

    The plan folds such a rule into the draw when it can (a truncated draw); when it cannot (the
    column is rounded, say) the rule is met by redrawing, and the strategies narrow the column's
    domain to it instead: its values stay inside, and the rule's bound is an end that edge cases
    reach, as a clamp bound is."""
    out: dict[tuple[str, str], Interval] = {}
    for t in plan.tables:
        for r in t.rules:
            if r.kind != "row" or r.expr is None:
                continue
            for part in conjuncts(from_json(r.expr)):
                guard = null_guard(part)
                found = bound(guard[1] if guard else part, _literal, r.name)
                if found is None:
                    continue
                col, iv = found
                lo = -math.inf if iv.low is None else float(iv.low)
                hi = math.inf if iv.high is None else float(iv.high)
                here = Interval(lo, hi, not iv.low_inclusive, not iv.high_inclusive)
                key = (t.name, col)
                out[key] = narrow(out[key], here) if key in out else here
    return out


def narrow(iv: Interval | None, by: Interval | None) -> Interval | None:
    """``iv`` inside ``by`` (None when nothing is left)."""
    if iv is None or by is None:
        return iv
    lo, lo_excl = max((iv.lo, iv.lo_excl), (by.lo, by.lo_excl))
    hi, hi_excl = min((iv.hi, not iv.hi_excl), (by.hi, not by.hi_excl))
    hi_excl = not hi_excl
    if lo > hi or (lo == hi and (lo_excl or hi_excl)):
        return None
    return Interval(lo, hi, lo_excl, hi_excl)
