"""The executor's block generator, drawing through Hypothesis instead of numpy streams.

Input: the same runtime, table and rows as ``execute.BlockGen``, plus Hypothesis's ``draw``. Output: the
block's columns, every rule true. Only *how values are drawn* changes, so computed columns, lookups,
aggregates, providers and rule checks are the engine's own code and cannot disagree with it:

- a column drawn from one distribution becomes ``st.integers``/``st.floats`` over its central range
  (``_ranges``: all but 10⁻⁶ of the mass at each end of the distribution, truncated by the rules
  the planner folds into bounds, like ``age >= 18`` or ``visit_date >= birth_date``, then
  ``clamp``ed), keeping the exact ends the mass reaches (uniform's, a rule's), so failures shrink
  onto them; a uniform date draw becomes ``st.dates``/``st.datetimes``;
- an inline ``categorical`` becomes ``st.sampled_from`` over its labels of positive weight, minus those
  a rule forbids given the row (shrinking to the first label written);
- ``nulls p%`` becomes a Hypothesis boolean per row (shrinking to "not null");
- everything else (identifier providers, references, draws inside expressions) runs the engine's
  closure with a ``HypothesisRandom``.

Rules that the plan does not enforce by construction are met the engine's way: failing rows, and only
the columns the rule depends on, are redrawn, here at most ``ATTEMPTS`` times; then the example is
rejected and the rule is counted, so ``RuleStats`` can say *which* rule Hypothesis cannot satisfy.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, reject
from hypothesis import strategies as st
from hypothesis.errors import FailedHealthCheck

from synthdsl.check.model import ColumnInfo
from synthdsl.execute.run import BlockGen, truncation_bound
from synthdsl.expr.context import Ctx
from synthdsl.plan.build import RuleExec
from synthdsl.testing._random import HypothesisRandom
from synthdsl.testing._ranges import central, snap
from synthdsl.values import Values

EMPTY = st.nothing()  # a row's range holds no value: the example is rejected
ATTEMPTS = 25  # redraws of a failing row before the example is rejected
RARE_SHARE = 0.05  # a category below this share of the weight counts as rare for edge cases


class RuleUnmet(Exception):
    """A rule still failed after every redraw: the example is rejected."""

    def __init__(self, rule: RuleExec, table: str):
        super().__init__(rule.name)
        self.rule = rule
        self.table = table


@dataclass
class RuleStats:
    """Per strategy and test run: how many examples each rule made Hypothesis reject.

    Hypothesis's own health check says only that "a lot of inputs" were filtered out, after 50
    rejections among the first 10 valid examples. Just before that, this raises the same health
    check naming the rule(s) to blame and where they are written. It also raises when a rule has
    rejected examples and has never held on a single row, even after redraws (a ``frames()`` over
    a rule that cannot hold would otherwise pass on empty frames alone). Neither
    runs once a failure is being shrunk, nor when ``filter_too_much`` is suppressed; the first only
    while Hypothesis still checks health, as its own check.
    """

    unmet: dict[tuple[str, str], int] = field(default_factory=dict)
    where: dict[tuple[str, str], str] = field(default_factory=dict)
    passed: dict[tuple[str, str], int] = field(default_factory=dict)  # rows a rule held on
    runner: int | None = None
    engine: object = None  # Hypothesis's engine running the current example
    RAISE_AT = 45  # Hypothesis fails its health check at 50 rejections
    NEVER_HELD_AT = 8  # rejections of a rule that has not held on any row

    def begin(self) -> None:
        """An example starts: a new test run (another Hypothesis engine) starts the counts anew."""
        runner = _active_runner()
        if runner is None or id(runner) != self.runner:
            self.unmet.clear()
            self.passed.clear()
            self.runner = None if runner is None else id(runner)
        self.engine = runner

    def held(self, table: str, rule: str, rows: int) -> None:
        """``rule`` was checked and held on ``rows`` rows."""
        if rows:
            self.passed[(table, rule)] = self.passed.get((table, rule), 0) + rows

    def record(self, err: RuleUnmet, where: str) -> None:
        runner = self.engine
        key = (err.table, err.rule.name)
        self.unmet[key] = self.unmet.get(key, 0) + 1
        self.where[key] = where
        if runner is None or HealthCheck.filter_too_much in runner.settings.suppress_health_check:
            return
        # A failure found (and being shrunk): ``interesting_test_cases`` in Hypothesis 6.1xx,
        # ``interesting_examples`` before; when neither is there, stay out of the way.
        found = getattr(runner, "interesting_test_cases", None)
        found = getattr(runner, "interesting_examples", True) if found is None else found
        if found:
            return
        checking = getattr(runner, "health_check_state", None) is not None
        never = self.unmet[key] >= self.NEVER_HELD_AT and not self.passed.get(key)
        if (checking and sum(self.unmet.values()) >= self.RAISE_AT) or never:
            worst = sorted(self.unmet.items(), key=lambda kv: -kv[1])
            lines = "\n".join(
                f"  rule '{rule}' of table '{table}' ({self.where[(table, rule)]}): {n} examples"
                for (table, rule), n in worst
            )
            raise FailedHealthCheck(
                f"synthdsl could not satisfy the spec's rules: examples were rejected because a "
                f"rule still failed after {ATTEMPTS} redraws of the failing rows:\n{lines}\n"
                + ("It has not held on a single row.\n" if never else "")
                + "The strategies draw each column over every value the spec allows, not from its "
                "distribution, so a rule the generator usually meets can be rare here. Enforce it "
                "by construction (a bound on one drawn column, a category rule, a computed column; "
                "`synthdsl plan` shows how each rule is enforced) or loosen it. To accept the "
                "rejections, suppress HealthCheck.filter_too_much."
            )


def _active_runner():
    """Hypothesis's engine running this draw, found on the stack (None when not found).

    Hypothesis offers no public way to ask whether it is still checking health; the engine keeps
    that in ``ConjectureRunner.health_check_state``. A version without it just gets Hypothesis's
    own, less specific, health check.
    """
    frame = sys._getframe(1)
    while frame is not None:
        obj = frame.f_locals.get("self")
        if type(obj).__name__ == "ConjectureRunner":
            return obj
        frame = frame.f_back
    return None


class HypothesisBlockGen(BlockGen):
    """``BlockGen`` with Hypothesis as its random source; see the module docstring."""

    def __init__(
        self, rt, table, block, state, stats, *, draw, edge_cases: bool, rule_stats: RuleStats
    ):
        super().__init__(rt, table, block, state, stats)
        self.draw = draw
        self.edge_cases = edge_cases
        self.rule_stats = rule_stats
        # (column, side) pairs the edge cases leave alone: the end of a column that bounds another
        # (``b > a``: a's top), where the other would have no room left and the example be lost
        self.squeezing = set()
        for tr in self.enf.truncate.values():
            if isinstance(tr.low, str):
                self.squeezing.add((tr.low, "high"))
            if isinstance(tr.high, str):
                self.squeezing.add((tr.high, "low"))

    # ---- the random source
    def ctx(self, n: int, cols, rows, key, related, aligned) -> Ctx:
        return Ctx(n, cols, rows, key, related, HypothesisRandom(self.draw), aligned)

    def null_mask(self, info: ColumnInfo, ctx: Ctx) -> np.ndarray:
        if info.node.nulls >= 1:
            return np.ones(ctx.n, dtype=bool)
        flag = st.sampled_from([True, True, True, False]) if self.edge_cases else st.booleans()
        return np.array([self.draw(flag) for _ in range(ctx.n)], dtype=bool)

    def _value(self, info: ColumnInfo, ctx: Ctx, rows, related) -> Values:
        c = info.compiled
        if (
            info.kind == "draw"
            and c is not None
            and info.name not in self.enf.unique_by_construction
        ):
            if c.cat is not None:
                return self._categorical(info, c.cat, ctx)
            if c.dist is not None and c.dist.dates:
                return self._dates(info, c.dist, ctx)
            if c.dist is not None:
                return self._numeric(info, c.dist, ctx)
        return super()._value(info, ctx, rows, related)

    def _edge(self, base, ends: list):
        """With edge cases on, the ends of a range are drawn as often as everything between."""
        return st.one_of(st.sampled_from(ends), base) if self.edge_cases and ends else base

    # ---- categorical: the labels a row may take
    def _categorical(self, info: ColumnInfo, cat, ctx: Ctx) -> Values:
        labels, weights = cat.labels, np.asarray(cat.weights, dtype=np.float64)
        keys = labels.tolist()
        base = weights > 0
        rare = base & (weights < RARE_SHARE * weights.sum())
        forbids = self.enf.forbid.get(info.name, [])
        given = {f.given: ctx.cols[f.given].data for f in forbids}
        keep = [np.array([k not in f.labels for k in keys]) for f in forbids]
        out = np.empty(ctx.n, dtype=np.int64)
        for i in range(ctx.n):
            allowed = base.copy()
            for f, mask in zip(forbids, keep):
                if given[f.given][i] in f.given_labels:
                    allowed &= mask
            choices = np.flatnonzero(allowed).tolist()
            if not choices:  # the engine raises the rule error for this row
                return super()._value(info, ctx, ctx.rows, {})
            strategy = st.sampled_from(choices)
            rares = [k for k in choices if rare[k]]
            if self.edge_cases and rares:
                strategy = st.one_of(st.sampled_from(rares), strategy)
            out[i] = self.draw(strategy)
        return Values(labels[out])

    # ---- uniform over dates: st.dates / st.datetimes between the bounds
    def _dates(self, info: ColumnInfo, draw_, ctx: Ctx) -> Values:
        """Dates go through Hypothesis's own date strategies, which draw year, month and day apart:
        a plain integer range of days would crowd around 1970 (Hypothesis favours small
        integers), leaving a century-wide range barely explored."""
        unit = "us" if info.dtype.kind == "datetime" else "D"
        lo_v, hi_v = draw_.params["low"].fn(ctx), draw_.params["high"].fn(ctx)
        lo = lo_v.data.astype(f"datetime64[{unit}]")
        hi = np.maximum(hi_v.data.astype(f"datetime64[{unit}]"), lo)
        null = lo_v.is_null() | hi_v.is_null()
        make = st.datetimes if unit == "us" else st.dates
        out = np.zeros(ctx.n, dtype=f"datetime64[{unit}]")
        for i in range(ctx.n):
            if null[i]:
                continue
            a, b = lo[i].astype(object), hi[i].astype(object)
            if not (isinstance(a, dt.date) and isinstance(b, dt.date)):  # beyond Python's dates
                return super()._value(info, ctx, ctx.rows, {})
            out[i] = np.datetime64(self.draw(self._edge(make(a, b), [a, b])), unit)
        return Values(out, null if null.any() else None)

    # ---- one distribution: its allowed range, as Hypothesis integers or floats
    def _numeric(self, info: ColumnInfo, draw_, ctx: Ctx) -> Values:
        dist = draw_.dist
        vals = {p: pc.fn(ctx) for p, pc in draw_.params.items()}
        null = np.logical_or.reduce([v.is_null() for v in vals.values()] + [np.zeros(ctx.n, bool)])
        params = {p: v.data.astype(np.float64) for p, v in vals.items()}
        low, high, li, hi_inc = self._truncation(info, ctx)
        whole = dist.kind == "discrete" or info.dtype.kind == "int"
        out = np.zeros(ctx.n, dtype=np.int64 if whole or dist.kind == "bool" else np.float64)
        if dist.kind == "bool":
            out = out.astype(bool)
        cache: dict = {}
        for i in range(ctx.n):
            if null[i]:
                continue
            p = {k: float(a[i]) for k, a in params.items()}
            lo_i = None if low is None else float(low[i])
            hi_i = None if high is None else float(high[i])
            key = (tuple(p.items()), lo_i, hi_i)
            if key not in cache:
                cache[key] = self._range_strategy(info, dist, p, lo_i, hi_i, li, hi_inc, whole)
            if cache[key] is EMPTY:
                self._empty(info)
            out[i] = self.draw(cache[key])
        return Values(out, null if null.any() else None)

    def _empty(self, info: ColumnInfo) -> None:
        """This row's range is empty given the values drawn before it (``b`` drawn at 0 leaves
        ``a < b`` no room): the rule that bounds the column rejects the example. The engine never
        meets this, as its draws never land exactly on an end."""
        tr = self.enf.truncate.get(info.name)
        names = tr.rules if tr is not None else []
        rule = next((r for r in self.enf.rules if r.name in names), None)
        if rule is None:
            reject()
        raise RuleUnmet(rule, self.t.name)

    def _truncation(self, info: ColumnInfo, ctx: Ctx):
        """The rule bounds the plan folded into this column: per-row arrays (NaN = unbounded)."""
        tr = self.enf.truncate.get(info.name)
        if tr is None:
            return None, None, True, True

        def side(b):
            x = truncation_bound(b, ctx)
            return x if x is None or np.ndim(x) else np.full(ctx.n, float(x))

        return side(tr.low), side(tr.high), tr.low_inclusive, tr.high_inclusive

    def _range_strategy(self, info, dist, p, low, high, li, hi_inc, whole):
        """A strategy over the draw's central range (see ``_ranges``), ``EMPTY`` when this row's
        interval holds nothing, None when the engine should draw it."""
        low = None if low is None or math.isnan(low) else low
        high = None if high is None or math.isnan(high) else high
        if dist.kind == "bool":
            chance = p.get("p", 0.5)
            can_true = chance > 0 and (high is None or high >= 1)
            can_false = chance < 1 and (low is None or low <= 0)
            if can_true and can_false:
                return st.booleans()
            return st.just(can_true) if can_true or can_false else EMPTY
        cut = central(dist, p, low, high, li, hi_inc)
        if cut is None:
            return EMPTY
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
        if info.clamp is not None:  # values beyond the clamp are clipped onto it
            c_lo, c_hi = info.clamp
            new_lo, new_hi = min(max(lo, c_lo), c_hi), max(min(hi, c_hi), c_lo)
            lo_excl = lo_excl and new_lo == lo
            hi_excl = hi_excl and new_hi == hi
            lo, hi = new_lo, new_hi
        ends = self._ends(info.name)
        if whole and dist.kind == "continuous":  # the engine rounds a continuous draw (half even)
            a, b = int(np.round(lo)), int(np.round(hi))
        elif whole:
            a = math.floor(lo) + 1 if lo_excl and float(lo).is_integer() else math.ceil(lo)
            b = math.ceil(hi) - 1 if hi_excl and float(hi).is_integer() else math.floor(hi)
        if whole:
            if max(abs(a), abs(b)) >= 2**63:
                raise ValueError(
                    f"a value ({b if abs(b) >= abs(a) else a:.3g}) is beyond the 64-bit integer "
                    "range; clamp the column"
                )
            return self._edge(st.integers(a, b), ends(a, b)) if a <= b else EMPTY
        a = float(np.nextafter(lo, math.inf)) if lo_excl else lo
        b = float(np.nextafter(hi, -math.inf)) if hi_excl else hi
        if not a <= b:
            return EMPTY
        if a == b:
            return st.just(a)
        tiny = max(abs(a), abs(b)) < sys.float_info.min  # only subnormal floats in between
        values = st.floats(a, b, allow_nan=False, allow_subnormal=tiny)
        return self._edge(values, ends(a, b))

    def _ends(self, column: str):
        """The range ends the edge cases favour: both, but for the end that squeezes another."""

        def ends(a, b) -> list:
            keep = [(a, "low"), (b, "high")]
            return [x for x, side in keep if (column, side) not in self.squeezing]

        return ends

    # ---- rules: redraw failing rows a few times, then reject the example
    def _rules(self, cols, rows, related, rules: list[RuleExec]) -> None:
        order = self.enf.order
        touched = None
        for attempt in range(1, ATTEMPTS + 1):
            checked = len(rows) if touched is None else len(touched)
            failing = []
            for r in rules:
                mask = self.failures(r, cols, rows, related, touched)
                self.rule_stats.held(self.t.name, r.name, checked - int(mask.sum()))
                if mask.any():
                    failing.append((r, mask))
            if not failing:
                self.commit_state(cols, rules)
                return
            stuck = next((r for r, _ in failing if not r.redraw), None)
            if stuck is not None or attempt == ATTEMPTS:
                raise RuleUnmet(stuck or failing[0][0], self.t.name)
            touched = np.flatnonzero(np.logical_or.reduce([m for _, m in failing]))
            for j, (r, mask) in enumerate(failing):
                self._redraw(r, np.flatnonzero(mask), cols, rows, related, attempt, j, order)
