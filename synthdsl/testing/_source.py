"""The engine's random source and rule policy for the Hypothesis strategies.

Input: the plan a strategy runs, and per example Hypothesis's ``draw``. Output: a ``HypothesisSource``
(an ``EngineSource``) and a ``HypothesisPolicy`` (a ``Policy``) that a plain ``execute.Runtime`` takes
(``Runtime(plan, datasets, source_for, source=..., policy=...)``). Nothing of the executor is
subclassed: every step kind draws through ``ctx.source`` and the rule loop asks ``run.policy``, so
computed columns, lookups, aggregates, providers, references and rule checks are the engine's own code
and cannot disagree with it. Only *how values are drawn* changes:

- a column drawn from one distribution (``value`` for a plain draw, ``truncated`` for one the plan
  truncates with a rule's bounds, like ``age >= 18`` or ``visit_date >= birth_date``) becomes
  ``st.integers``/``st.floats`` over its *domain* (``_ranges``: every value the spec allows, to the
  clamp, the rules' bounds and the type's range, as far as the engine's draw goes where none is
  declared), half the time from its central range (all but 10⁻⁶ of the mass at each end), where
  its shape guides the search, and half the time from the rest, each side as often: the shape
  guides but never bounds (issue 10: ``lognormal(3.25, 0.15) clamp(12, 60)`` reaches 12 and 60).
  Exact ends are kept (a clamp's, uniform's, a rule's), so failures shrink onto them; a uniform date
  draw becomes ``st.dates``/``st.datetimes``;
- an inline ``categorical`` (``value``, and ``categorical`` for a conditional one) becomes
  ``st.sampled_from`` over its labels of positive weight, minus those a rule forbids given the row
  (shrinking to the first label written);
- ``nulls p%`` (``nulls``) becomes a Hypothesis boolean per row (shrinking to "not null");
- a child table's rows per parent row (``counts``) come from the count's central range, up to
  ``max_children``;
- references and enum defaults (``integers``) and bool defaults (``booleans``) are one Hypothesis
  integer or boolean per row;
- everything else (draws inside expressions, a count given by an expression, lookups' random rows)
  runs the engine's closure with ``rng()``, a ``HypothesisRandom``; identifier providers draw from the
  run's keyed streams, under the seed each example draws (``strategies``).

Rules that the plan does not enforce by construction are met by the engine's rule loop (failing rows
are redrawn, with what depends on them) under ``HypothesisPolicy``: after ``ATTEMPTS`` checks a rule
still failing raises ``RuleUnmet``; the strategy rejects the example and counts the rule, so
``RuleStats`` can say *which* rule Hypothesis cannot satisfy.
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

from synthdsl.execute.blocks import Policy
from synthdsl.expr.context import CatDraw, Compiled, Ctx, DistDraw
from synthdsl.plan.model import ColumnSpec, Plan, StepSpec
from synthdsl.steps.source import EngineSource
from synthdsl.testing._random import MAX_NATIVE, HypothesisRandom
from synthdsl.testing._ranges import REACH, TAIL, Interval, central, interval, narrow, rule_bounds
from synthdsl.values import Values

EMPTY = st.nothing()  # a row's range holds no value: the example is rejected
ATTEMPTS = 25  # checks of a rule (the first, then after each redraw) before the example is rejected
RARE_SHARE = 0.05  # a category below this share of the weight counts as rare for edge cases
_MOSTLY_NULL = st.sampled_from([True, True, True, False])  # edge cases: 3 rows in 4 null
# A drawn value leaves its distribution's central range for the rest of its domain one time in
# BEYOND (shrinking to the central range): the values the distribution rarely gives are where bugs are
BEYOND = 2
_BEYOND = st.sampled_from([False] * (BEYOND - 1) + [True])


class RuleUnmet(Exception):
    """A rule still failed after every redraw: the example is rejected."""

    def __init__(self, rule: str, table: str):
        super().__init__(rule)
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
        key = (err.table, err.rule)
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


class HypothesisPolicy(Policy):
    """The rule loop under the strategies: ``ATTEMPTS`` checks, then the example is rejected (never
    the engine's ``RuleError``: a rule rare in the strategies' values may be common in the engine's).
    Every check reports the rows a rule held on to ``RuleStats``."""

    max_attempts = ATTEMPTS

    def __init__(self, stats: RuleStats):
        self.stats = stats

    def held(self, table: str, rule: str, rows: int) -> None:
        self.stats.held(table, rule, rows)

    def give_up(self, block, r, mask, attempt: int, tried: int, failed_again: int) -> None:
        if not r.spec.redraw or attempt >= self.max_attempts:
            raise RuleUnmet(r.name, block.t.name)

    def give_up_together(self, block, rules, mask, attempt: int, tried: int, failed: int) -> None:
        """``ATTEMPTS`` bounds the loop here (``give_up``): no floor on the rules together."""


class HypothesisSource(EngineSource):
    """The random source of the strategies (see the module docstring).

    Built once per strategy (and thread) with the plan it runs; ``begin(draw)`` binds it to one
    example's ``draw`` and ``end()`` lets go of it, so one runtime serves every example.
    """

    def __init__(
        self,
        plan: Plan,
        *,
        edge_cases: bool = False,
        max_children: int = 3,
        target: str | None = None,
        draw=None,
    ):
        self.draw = draw
        self.edge_cases = edge_cases
        self.max_children = max_children
        self.target = target  # the table a frames()/rows() returns: its child sets are not cut
        self.totals: dict[str, int] = {}
        self._counts: dict[tuple[int, ...], np.ndarray] = {}
        self.columns = {(t.name, c.name): c for t in plan.tables for c in t.columns}
        self.rule_order = {t.name: [r.name for r in t.rules] for t in plan.tables}
        self.rule_bounds = rule_bounds(plan)  # ``bmi <= 40`` met by redrawing: still a bound
        # (table, column, side) the edge cases leave alone: the end of a column that bounds another
        # (``b > a``: a's top), where the other would have no room left and the example be lost
        self.squeezing: set[tuple[str, str, str]] = set()
        for t in plan.tables:
            for s in t.steps:
                if s.kind != "truncated_draw":
                    continue
                low, high = s.params.get("low"), s.params.get("high")
                if low is not None and "column" in low:
                    self.squeezing.add((t.name, low["column"], "high"))
                if high is not None and "column" in high:
                    self.squeezing.add((t.name, high["column"], "low"))

    def begin(self, draw, totals: dict[str, int]) -> None:
        """One example starts: its ``draw``, and its runtime's ``totals`` (rows per table), which
        ``counts`` fills in for child tables."""
        self.draw = draw
        self.totals = totals
        self._counts.clear()

    def end(self) -> None:
        self.draw = None
        self.totals = {}
        self._counts.clear()

    def _column(self, step: StepSpec) -> ColumnSpec | None:
        return self.columns.get((step.table, step.outputs[0])) if step.outputs else None

    def _edge(self, base, ends: list):
        """With edge cases on, the ends of a range are drawn as often as everything between."""
        return st.one_of(st.sampled_from(ends), base) if self.edge_cases and ends else base

    def _per_row(self, strategy, n: int, dtype) -> np.ndarray:
        return np.array([self.draw(strategy) for _ in range(n)], dtype=dtype)

    # ---- the hooks
    def rng(self, key: list[int]):
        return HypothesisRandom(self.draw)

    def nulls(self, column: ColumnSpec, ctx: Ctx) -> np.ndarray:
        if column.nulls >= 1:
            return np.ones(ctx.n, dtype=bool)
        return self._per_row(_MOSTLY_NULL if self.edge_cases else st.booleans(), ctx.n, bool)

    def integers(self, step: StepSpec, ctx: Ctx, high: int) -> np.ndarray:
        if ctx.n > MAX_NATIVE:  # ctx.rng: a generator seeded by Hypothesis (its data is capped)
            return super().integers(step, ctx, high)
        return self._per_row(st.integers(0, high - 1), ctx.n, np.int64)

    def booleans(self, step: StepSpec, ctx: Ctx) -> np.ndarray:
        if ctx.n > MAX_NATIVE:
            return super().booleans(step, ctx)
        return self._per_row(st.booleans(), ctx.n, bool)

    def value(self, step: StepSpec, compiled: Compiled, ctx: Ctx) -> Values:
        col = self._column(step)
        if col is not None:
            if compiled.cat is not None:
                return self._categorical(step, compiled.cat, [], ctx)
            draw = compiled.dist
            if draw is not None and draw.dates:
                return self._dates(col, compiled, ctx)
            if draw is not None:
                vals = {p: pc.fn(ctx) for p, pc in draw.params.items()}
                null = np.zeros(ctx.n, dtype=bool)
                for v in vals.values():
                    null |= v.is_null()
                params = {p: v.data.astype(np.float64) for p, v in vals.items()}
                data = self._numeric(step, col, draw, params, null, None, None, True, True, ctx)
                return Values(data, null if null.any() else None)
        return compiled.fn(ctx)

    def truncated(
        self, step: StepSpec, draw: DistDraw, params: dict, low, high, li: bool, hi: bool, ctx: Ctx
    ) -> np.ndarray:
        col = self._column(step)
        per_row = {
            k: np.broadcast_to(np.asarray(a, dtype=np.float64), (ctx.n,)) for k, a in params.items()
        }
        # rows the step makes null (a null parameter) are not drawn: their placeholder can be a
        # parameter the distribution rejects
        null = np.zeros(ctx.n, dtype=bool)
        for a in per_row.values():
            null |= np.isnan(a)
        for pc in draw.params.values():
            if not pc.random:  # pure, so evaluating it again gives the same values
                null |= pc.fn(ctx).is_null()
        return self._numeric(step, col, draw, per_row, null, low, high, li, hi, ctx)

    def categorical(self, step: StepSpec, cat: CatDraw, forbids: list[dict], ctx: Ctx) -> Values:
        return self._categorical(step, cat, forbids, ctx)

    def counts(self, step, ctx: Ctx) -> np.ndarray:
        """Drawn once per example and step, when the block reaches the step (the parent's values
        first, as a failing example then shrinks better), and remembered: the runtime asks again
        before it generates the child rows. No counts pass runs before the block, so this sets
        the child table's row total too (``unique`` providers need it)."""
        key = tuple(ctx.key)
        hit = self._counts.get(key)
        if hit is None:
            hit = self._counts[key] = self._draw_counts(step, ctx)
            self.totals[step.spec.emits[0]] = int(hit.sum())
        return hit.copy()

    # ---- categorical: the labels a row may take
    def _categorical(self, step: StepSpec, cat: CatDraw, forbids: list[dict], ctx: Ctx) -> Values:
        labels, weights = cat.labels, np.asarray(cat.weights, dtype=np.float64)
        keys = labels.tolist()
        base = weights > 0
        rare = base & (weights < RARE_SHARE * weights.sum())
        given = [ctx.cols[f["given"]].data for f in forbids]
        given_labels = [set(f["given_labels"]) for f in forbids]
        banned = [set(f["labels"]) for f in forbids]
        keep = [np.array([k not in b for k in keys], dtype=bool) for b in banned]
        strategies: dict[tuple[int, ...], object] = {}
        out = np.empty(ctx.n, dtype=np.int64)
        for i in range(ctx.n):
            allowed = base.copy()
            for g, gl, mask in zip(given, given_labels, keep):
                if g[i] in gl:
                    allowed &= mask
            choices = tuple(np.flatnonzero(allowed).tolist())
            if not choices:  # the engine raises the rule error for this row
                return super().categorical(step, cat, forbids, ctx)
            strategy = strategies.get(choices)
            if strategy is None:
                strategy = st.sampled_from(choices)
                rares = [k for k in choices if rare[k]]
                if self.edge_cases and rares:
                    strategy = st.one_of(st.sampled_from(rares), strategy)
                strategies[choices] = strategy
            out[i] = self.draw(strategy)
        return Values(labels[out])

    # ---- uniform over dates: st.dates / st.datetimes between the bounds
    def _dates(self, col: ColumnSpec, compiled: Compiled, ctx: Ctx) -> Values:
        """Dates go through Hypothesis's own date strategies, which draw year, month and day apart:
        a plain integer range of days would crowd around 1970 (Hypothesis favours small
        integers), leaving a century-wide range barely explored."""
        draw_ = compiled.dist
        unit = "us" if col.dtype.kind == "datetime" else "D"
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
                return compiled.fn(ctx)
            out[i] = np.datetime64(self.draw(self._edge(make(a, b), [a, b])), unit)
        return Values(out, null if null.any() else None)

    # ---- one distribution: its allowed range, as Hypothesis integers or floats
    def _numeric(
        self, step, col: ColumnSpec, draw_: DistDraw, params, null, low, high, li, hi_inc, ctx
    ):
        """One value per row that is not null; ``params`` are per-row float arrays, ``low`` and
        ``high`` the truncation's bounds (None, a constant, or per-row arrays, infinite or NaN
        where a side is open)."""
        dist = draw_.dist
        whole = dist.kind == "discrete" or col.dtype.kind == "int"
        out = np.zeros(ctx.n, dtype=np.int64 if whole or dist.kind == "bool" else np.float64)
        if dist.kind == "bool":
            out = out.astype(bool)
        cache: dict = {}
        for i in range(ctx.n):
            if null[i]:
                continue
            p = {k: float(a[i]) for k, a in params.items()}
            lo_i, hi_i = _side(low, i, -math.inf), _side(high, i, math.inf)
            key = (tuple(p.items()), lo_i, hi_i)
            if key not in cache:
                cache[key] = self._range_strategy(
                    step.table, col, dist, p, lo_i, hi_i, li, hi_inc, whole
                )
            if cache[key] is EMPTY:
                self._empty(step)
            out[i] = self.draw(cache[key])
        return out

    def _empty(self, step: StepSpec) -> None:
        """This row's range is empty given the values drawn before it (``b`` drawn at 0 leaves
        ``a < b`` no room): the rule that bounds the column rejects the example. The engine never
        meets this, as its draws never land exactly on an end."""
        names = step.params.get("rules") or []
        rule = next((r for r in self.rule_order[step.table] if r in names), None)
        if rule is None:
            reject()
        raise RuleUnmet(rule, step.table)

    def _range_strategy(self, table, col: ColumnSpec, dist, p, low, high, li, hi_inc, whole):
        """A strategy over the draw's domain (see ``_ranges``), guided by its central range: one
        value in ``BEYOND`` from the domain's parts outside it, each side as often however narrow
        (lognormal's 12 to 12.6 as often as its 52.6 to 60), plus the domain's ends with edge cases;
        ``EMPTY`` when this row's interval holds nothing. A failure shrinks to a common value where
        one fails, and otherwise onto the edge of the failing region (``bmi >= 59`` to 59.0)."""
        if dist.kind == "bool":
            chance = p.get("p", 0.5)
            can_true = chance > 0 and (high is None or high >= 1)
            can_false = chance < 1 and (low is None or low <= 0)
            if can_true and can_false:
                return st.booleans()
            return st.just(can_true) if can_true or can_false else EMPTY
        cap = _type_range(col)
        ruled = self.rule_bounds.get((table, col.name))
        domain = narrow(interval(dist, p, low, high, li, hi_inc, col.clamp, REACH), ruled)
        guided = narrow(interval(dist, p, low, high, li, hi_inc, col.clamp, TAIL), ruled)
        span = domain and _span(_capped(domain, cap), whole, dist)
        if span is None:
            return EMPTY
        if guided is not None and _capped(guided, cap) != guided:
            # the values the distribution commonly gives do not fit the type: the engine fails
            # on them (a decimal's message, from finishing), and so does the strategy
            if whole:  # an int: the values could not even be held until finishing
                bad = guided.hi if abs(guided.hi) >= abs(guided.lo) else guided.lo
                raise ValueError(
                    f"a value ({bad:.3g}) is beyond the 64-bit integer range; clamp the column"
                )
            near = _span(guided, whole, dist)
            return EMPTY if near is None else _values(near)
        base = _values(span)
        near = guided and _span(guided, whole, dist)
        if near is not None and near != span:
            base = _guided(_values(near), [_values(t) for t in _tails(span, near)])
        return self._edge(base, self._ends(table, col.name)(span[0], span[1]))

    def _ends(self, table: str, column: str):
        """The range ends the edge cases favour: both, but for the end that squeezes another."""

        def ends(a, b) -> list:
            keep = [(a, "low"), (b, "high")]
            return [x for x, side in keep if (table, column, side) not in self.squeezing]

        return ends

    # ---- rows per parent row
    def _draw_counts(self, step, ctx: Ctx) -> np.ndarray:
        child = step.spec.emits[0]
        fn = getattr(step, "count_fn", None)
        choices = None
        if fn is not None:
            choices = count_choices(fn, getattr(step, "clamp", None), self.max_children)
        if choices is None:  # not a plain distribution: the engine's count, drawn by Hypothesis
            return np.asarray(step.count(ctx), dtype=np.int64)
        # a run of counts is an integer range (it shrinks numerically), a few labels a choice
        contiguous = choices == list(range(choices[0], choices[-1] + 1))
        strategy = st.integers(choices[0], choices[-1]) if contiguous else st.sampled_from(choices)
        if self.edge_cases and choices[0] == 0 and child != self.target:
            strategy = st.one_of(st.just(0), strategy)  # empty child sets (not in a child's frame)
        return self._per_row(strategy, ctx.n, np.int64)


def _type_range(col: ColumnSpec) -> tuple[float, float]:
    """The values the column's type holds: a decimal's digits, int64, finite floats. The engine
    rejects a value beyond them (a decimal that does not fit, an int that would wrap around)."""
    t = col.dtype
    if t.kind == "decimal":
        scale = t.scale or 0
        top = 10.0 ** ((t.precision or 18) - scale) - 10.0**-scale
        return -top, top
    if t.kind == "int":
        return -(2.0**63) + 1024, 2.0**63 - 1024  # the largest floats that cast into int64
    return -sys.float_info.max, sys.float_info.max


def _capped(iv: Interval, cap: tuple[float, float]) -> Interval:
    """``iv`` within the type's range ``cap`` (an end moved onto the cap is included)."""
    lo, hi = min(max(iv.lo, cap[0]), cap[1]), max(min(iv.hi, cap[1]), cap[0])
    return Interval(lo, hi, iv.lo_excl and lo == iv.lo, iv.hi_excl and hi == iv.hi)


def _span(iv: Interval, whole: bool, dist) -> tuple | None:
    """``(a, b, whole)``: the closed range of values an interval holds, None when it holds none."""
    lo, hi = iv.lo, iv.hi
    if whole and dist.kind == "continuous":  # the engine rounds a continuous draw (half even)
        a, b = int(np.round(lo)), int(np.round(hi))
    elif whole:
        a = math.floor(lo) + 1 if iv.lo_excl and float(lo).is_integer() else math.ceil(lo)
        b = math.ceil(hi) - 1 if iv.hi_excl and float(hi).is_integer() else math.floor(hi)
    else:
        a = float(np.nextafter(lo, math.inf)) if iv.lo_excl else float(lo)
        b = float(np.nextafter(hi, -math.inf)) if iv.hi_excl else float(hi)
    return (a, b, whole) if a <= b else None


def _tails(span: tuple, near: tuple) -> list[tuple]:
    """The parts of a domain's ``span`` outside the central range ``near`` (inside it)."""
    (a, b, whole), (c, d, _) = span, near
    step = 1 if whole else 0  # floats share the cut; integers start past it
    parts = [(a, c - step, whole), (d + step, b, whole)]
    return [(x, y, w) for x, y, w in parts if x <= y and (x, y) != (c, d)]


def _guided(near, beyond: list):
    """``near`` but one time in ``BEYOND``, a value from one of ``beyond`` (each as often);
    shrinks to ``near``."""
    elsewhere = st.one_of(*beyond)

    @st.composite
    def guided(draw):
        return draw(elsewhere) if draw(_BEYOND) else draw(near)

    return guided()


def _values(span: tuple):
    """Hypothesis's integers or floats over a span from ``_span``."""
    a, b, whole = span
    if whole:
        return st.integers(a, b)
    if a == b:
        return st.just(a)
    tiny = max(abs(a), abs(b)) < sys.float_info.min  # only subnormal floats in between
    return st.floats(a, b, allow_nan=False, allow_subnormal=tiny)


def _side(bound, i: int, open_end: float) -> float | None:
    """Row ``i``'s bound on one side, None where that side is open."""
    if bound is None:
        return None
    x = float(bound[i]) if np.ndim(bound) else float(bound)
    return None if math.isnan(x) or x == open_end else x


def count_choices(
    c: Compiled, clamp: tuple[int, int] | None, max_children: int
) -> list[int] | None:
    """The rows per parent row a child table may get, smallest first: the count distribution's
    central range (``_ranges``), clamped, up to ``max_children`` or the smallest count above zero
    the spec allows, whichever is more. None when the count is an expression (``1 + poisson(2)``,
    ``mixture(...)``): the engine's own count is drawn then, through Hypothesis."""
    if c.is_const:
        labels = [max(0, math.floor(float(c.const)))]
    elif c.cat is not None:
        labels = [int(x) for x, w in zip(c.cat.labels.tolist(), c.cat.weights) if w > 0]
    elif (
        c.dist is not None and not c.dist.dates and all(p.is_const for p in c.dist.params.values())
    ):
        params = {k: float(p.const) for k, p in c.dist.params.items()}
        cut = central(c.dist.dist, params)
        if cut is None:
            return None
        labels = list(range(max(0, math.floor(cut[0])), max(0, math.floor(cut[1])) + 1))
    else:
        return None
    if clamp is not None:
        lo, hi = clamp
        labels = [min(max(x, lo), hi) for x in labels]
    labels = sorted(set(labels))
    cap = max(max_children, min((x for x in labels if x > 0), default=0))
    return [x for x in labels if x <= cap]
