"""The ``simulate`` step: a table's rows (entities) stepped through time, all of a block at once.

Input: the plan's ``simulate`` step (the block as AST JSON, its calendar as numbers, the state
columns, the emitted tables, the rules checked at every step) and the block's columns (the state at
entry). Output: the state after the last step (the columns the table writes), and rows emitted into
child tables: the ``emit`` tables and the ``record`` history table, in (entity, step) order, each
with its entity's state as it was at that step (``Emitted.parent``) and its ``step_date``.

Within a step (docs/simulate.md): entities start (``start when``/``start at``), those already active
stop if ``stop when`` holds on the state they enter the step with, then the updates and transitions
apply in the order written, the rules are checked on the new state (a failing entity's updates are
redrawn, and after ``MAX_REDRAWS`` it keeps its state), then events emit rows and the history row
is recorded. Every draw of step k and line i comes from the stream (table, block, k, i), drawn for
every entity of the block whether active or not: one entity's stop never moves another's numbers,
and the bytes do not depend on the chunk size or the worker count.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from synthdsl.calendar import step_dates
from synthdsl.errors import DataError, SynthError
from synthdsl.expr.context import Compiled, Ctx, truth
from synthdsl.expr.functions import discrete_uniform
from synthdsl.plan.model import StepSpec
from synthdsl.steps.base import BuildEnv, Emitted, SimpleKind, StepOutput, register
from synthdsl.streams import Streams, extend
from synthdsl.syntax import ast
from synthdsl.syntax.ast_json import from_json
from synthdsl.values import Values, concat, scatter

STEP_DATE = "step_date"
MAX_REDRAWS = 100  # redraws of a failing entity's random updates before it keeps its state
HOPELESS_AFTER = 1000  # redraws of a block after which an acceptance under 1% stops them
MAX_ROWS = 50_000_000  # rows of one emitted table per block: beyond this memory runs out
_EXTRA = {STEP_DATE: "date"}
_STOPS = 2**32  # stream slots of the stop rules (updates and events count from 0)


class _Update:
    def __init__(self, column: str, fn: Compiled, span) -> None:
        self.column, self.fn, self.span = column, fn, span


class _Transition:
    def __init__(self, column: str, moves: list[tuple[object, object, Compiled, object]], span):
        self.column, self.moves, self.span = column, moves, span
        labels = list(dict.fromkeys(x for m in moves for x in m[:2]))
        self.labels = np.empty(len(labels), dtype=object)
        self.labels[:] = labels
        self.coded = [(labels.index(m[0]), labels.index(m[1])) for m in moves]


class SimulationStep:
    """See the module docstring."""

    def __init__(self, spec: StepSpec, env: BuildEnv):
        self.spec = spec
        p = spec.params
        table = spec.table
        node = from_json(p["block"], env.source_for)
        if not isinstance(node, ast.Simulate):  # only a plan edited by hand
            raise ValueError(f"its block is a {type(node).__name__}, not a simulate block")
        self.dates = step_dates(p["start"], p["unit"], int(p["every"]), p["end"])
        self.state = tuple(p["state"])
        # the tables it makes rows in: all of them, unless a plan pruned some (the Hypothesis
        # strategies of one table); the lines of the others are not evaluated
        self.history = p["history"] if p["history"] in spec.emits else None
        self.history_columns = tuple(p["history_columns"])
        self.record_span = node.records[0].span if node.records else node.span
        plan_t = env.table(table)
        self.dtypes = {c.name: c.dtype for c in plan_t.columns}
        self._prefix: list[int] | None = None  # the block's "sim" key, extended per step and line

        def compile_(expr: ast.Expr) -> Compiled:
            return env.compile_node(table, expr, extra=_EXTRA)

        self.updates: list[_Update | _Transition] = []
        # columns only transitions write: those move active entities only, so need no masking
        updated = {u.column for u in node.updates if isinstance(u, ast.SimUpdate)}
        self.moved = {
            u.column
            for u in node.updates
            if isinstance(u, ast.SimTransition) and u.column not in updated
        }
        for u in node.updates:
            if isinstance(u, ast.SimUpdate):
                fn = compile_(u.expr)
                if self.dtypes[u.column].kind == "int":
                    fn = discrete_uniform(fn)
                self.updates.append(_Update(u.column, fn, u.expr.span))
            else:
                moves = [
                    (
                        compile_(r.source).const,
                        compile_(r.target).const,
                        compile_(r.prob),
                        r.prob.span,
                    )
                    for r in u.rows
                ]
                self.updates.append(_Transition(u.column, moves, u.span))
        self.emits = [
            (
                j,  # the line's place among the emit lines: its stream
                e.table,
                None if e.count is None else discrete_uniform(compile_(e.count)),
                None if e.when is None else compile_(e.when),
                e.span,
                (e.count or e.when or e).span,
            )
            for j, e in enumerate(node.emits)
            if e.table in spec.emits
        ]
        self.stops = [(compile_(s.cond), s.cond.span) for s in node.stops]
        self.start = None
        if node.starts:
            s = node.starts[0]
            self.start = (compile_(s.cond), s.on_date, s.cond.span)
        # with no random update, a redraw would only compute the same state again
        self.random = any(isinstance(u, _Transition) or u.fn.random for u in self.updates)
        by_name = {r.name: r for r in plan_t.rules}
        self.rules = [
            (name, env.compile(table, by_name[name].expr)) for name in p["rules"] if name in by_name
        ]

    def describe(self) -> str:
        return self.spec.describe

    # ---- contexts
    def _ctx(self, base: Ctx, cols: dict[str, Values], parts: tuple[int, ...]) -> Ctx:
        streams = Streams(base.streams.root, (*base.streams.parts, *parts))
        if self._prefix is not None and not base.streams.redo:
            words = extend(self._prefix, *parts)  # == streams.for_("sim"), without re-hashing
        else:
            words = streams.for_("sim")
        return Ctx(
            base.n,
            cols,
            base.rows,
            words,
            base.related,
            None,
            {},
            streams,
            base.source,
            base.env,
        )

    # ---- one step
    def _apply(self, base: Ctx, cols: dict[str, Values], k: int, attempt: int, active=None) -> dict:
        """The state after step ``k``'s updates, for every entity (the caller keeps the active
        ones; transitions move only those); ``attempt`` > 0 is a redraw, from its own streams."""
        cols = dict(cols)
        for i, u in enumerate(self.updates):
            ctx = self._ctx(base, cols, (k, i, attempt))
            try:
                if isinstance(u, _Update):
                    with np.errstate(all="ignore"):
                        raw = u.fn.fn(ctx)
                    cols[u.column] = base.env.finish_update(u.column, raw, ctx, u.span)
                else:
                    cols[u.column] = self._transition(u, ctx, cols[u.column], active)
            except SynthError as err:
                raise err.at(u.span) from None
            except (ValueError, TypeError, ArithmeticError) as exc:
                raise DataError(
                    f"table '{self.spec.table}': the update of column '{u.column}' could not be "
                    f"computed: {exc}",
                    column=u.column,
                ).at(u.span) from None
        return cols

    def _codes(self, u: _Transition, cur: Values) -> np.ndarray:
        """The column's values as positions in ``u.labels`` (-1: null or another label). Text
        compares slowly in numpy, so a transition works on these; the codes of the values the
        last transition wrote are kept, and found again by identity."""
        hit = self._coded.get(id(u))
        if hit is not None and hit[0] is cur.data:
            return hit[1]
        codes = np.full(len(cur.data), -1, dtype=np.int64)
        for i, label in enumerate(u.labels):
            codes[cur.data == label] = i
        return np.where(cur.is_null(), -1, codes)

    def _transition(self, u: _Transition, ctx: Ctx, cur: Values, active) -> Values:
        """Moves of the active entities (all of ``ctx`` when ``active`` is None)."""
        n = ctx.n
        uniform = ctx.rng.random(n)
        codes = self._codes(u, cur)
        new = codes.copy()
        acc = np.zeros(n)
        moved = np.zeros(n, dtype=bool)
        for (source, target, prob, span), (a, b) in zip(u.moves, u.coded):
            at = codes == a
            if active is not None:
                at &= active
            if not at.any():
                continue
            with np.errstate(all="ignore"):
                p = prob.fn(ctx)
            pv = np.asarray(p.data, dtype=np.float64)
            pv = np.where(p.is_null(), 0.0, pv)
            acc = np.where(at, acc + pv, acc)
            bad = at & ~((pv >= 0) & (pv <= 1) & (acc <= 1 + 1e-9))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"table '{self.spec.table}': the chance of {source!r} -> {target!r} in "
                    f"column '{u.column}' is {pv[i]:g}, and the chances of leaving {source!r} "
                    f"add up to {acc[i]:g}: each must be in [0, 1] and their sum at most 1",
                    column=u.column,
                    row=int(ctx.rows[i]) + 1,
                ).at(span)
            hit = at & ~moved & (uniform < acc)
            new[hit] = b
            moved |= hit
        data = cur.data.copy()
        data[moved] = u.labels[new[moved]]
        self._coded[id(u)] = (data, new)
        return Values(data, cur.null)

    def _failing(self, base: Ctx, cols: dict[str, Values], among: np.ndarray) -> np.ndarray:
        """For each entity of ``among``, the first rule its state breaks (-1: none)."""
        first = np.full(base.n, -1, dtype=np.int64)
        ctx = Ctx(base.n, cols, base.rows, [0], base.related)
        for r, (_name, rule) in enumerate(self.rules):
            first[~truth(rule.fn(ctx)) & among & (first < 0)] = r
        return first

    def _count(self, base: Ctx, first: np.ndarray, kept: bool = False) -> None:
        """Entities redrawn (or kept) per rule, for the card."""
        counts = np.bincount(first[first >= 0], minlength=len(self.rules))
        for (name, _rule), n in zip(self.rules, counts.tolist()):
            if n:
                (base.env.count_kept if kept else base.env.count_redrawn)(name, n)

    def _enforce(self, base: Ctx, before: dict, after: dict, active, k: int) -> dict:
        """Redraw the updates of entities whose new state breaks a rule, those entities only, from
        the streams of (step, line, attempt); after ``MAX_REDRAWS`` they keep the state they had
        (which held every rule). With no random update, or once this block's redraws for the
        rule an entity fails have met the rules in under 1% of 1,000 or more, it keeps its state
        at once: redrawing is hopeless."""
        first = self._failing(base, after, active)
        bad = np.flatnonzero(first >= 0)
        first = first[bad]
        attempt = 0
        after = dict(after)
        kept: list[tuple[np.ndarray, np.ndarray]] = []
        while bad.size:
            hopeless = self._hopeless()[first] | (attempt >= MAX_REDRAWS) | (not self.random)
            if hopeless.any():  # these keep their state; the others are drawn again
                kept.append((bad[hopeless], first[hopeless]))
                bad, first = bad[~hopeless], first[~hopeless]
                if not bad.size:
                    break
            attempt += 1
            self._count(base, first)
            sub = _subset(base, bad)
            again = self._apply(sub, {c: v.take(bad) for c, v in before.items()}, k, attempt)
            still = self._failing(sub, again, np.ones(bad.size, dtype=bool))
            fixed = np.flatnonzero(still < 0)
            np.add.at(self._tried, first, 1)
            np.add.at(self._fixed, first[fixed], 1)
            for c in self.state:
                after[c] = scatter(after[c], bad[fixed], again[c].take(fixed))
            keep = still >= 0
            bad, first = bad[keep], still[keep]
        for idx, rules in kept:
            for c in self.state:
                after[c] = scatter(after[c], idx, before[c].take(idx))
            self._count(base, rules, kept=True)
        return after

    def _hopeless(self) -> np.ndarray:
        """Per rule: whether this block's redraws for it have met the rules in under 1% of
        ``HOPELESS_AFTER`` or more (then further redraws for it are skipped)."""
        return (self._tried >= HOPELESS_AFTER) & (self._fixed < 0.01 * self._tried)

    # ---- the whole simulation
    def run(self, ctx: Ctx) -> StepOutput:
        # per transition line: the values it last wrote and their codes in its labels
        self._coded: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._prefix = None if ctx.streams.redo else ctx.streams.for_("sim")
        # per rule: this block's redraws of entities failing it, and how many then met the rules
        self._tried = np.zeros(len(self.rules), dtype=np.int64)
        self._fixed = np.zeros(len(self.rules), dtype=np.int64)
        n = ctx.n
        cols = dict(ctx.cols)
        started = np.zeros(n, dtype=bool) if self.start is not None else np.ones(n, dtype=bool)
        stopped = np.zeros(n, dtype=bool)
        events: dict[str, list[tuple[np.ndarray, int, dict]]] = {e[1]: [] for e in self.emits}
        history: list[tuple[np.ndarray, int, dict]] = []
        made: dict[str, int] = {}  # rows per emitted table so far in this block
        for k, day in enumerate(self.dates):
            cols[STEP_DATE] = Values(np.full(n, day, dtype="datetime64[D]"))
            if self.start is not None:
                cond, at, span = self.start
                value = _evaluate(cond, self._ctx(ctx, cols, (k,)), span, self.spec.table)
                if at:  # a null start date never comes
                    value = Values(value.data.astype("datetime64[D]") <= day, value.null)
                started |= truth(value)
            live = started & ~stopped
            for s, (stop, span) in enumerate(self.stops):
                sctx = self._ctx(ctx, cols, (k, _STOPS + s, 0))
                stopped |= live & truth(_evaluate(stop, sctx, span, self.spec.table))
            active = started & ~stopped
            if not active.any():
                continue
            before = cols
            after = self._apply(ctx, cols, k, 0, active)
            masked = {
                c: _where(active, after[c], cols[c]) for c in self.state if c not in self.moved
            }
            after = {**cols, **after, **masked}
            if self.rules:
                after = self._enforce(ctx, before, after, active, k)
            cols = after
            cols[STEP_DATE] = before[STEP_DATE]
            for j, table, count, when, span, at in self.emits:
                ectx = self._ctx(ctx, cols, (k, len(self.updates) + j))
                many = active.astype(np.int64)
                if when is not None:
                    many &= truth(_evaluate(when, ectx, at, self.spec.table))
                if count is not None:  # counted for the entities that emit, checked for those
                    value = _evaluate(count, ectx, at, self.spec.table)
                    many = _counts(value, many.astype(bool), table, at, ctx)
                if many.any():
                    made[table] = made.get(table, 0) + int(many.sum())
                    _cap(table, made[table], span)
                    idx = np.repeat(np.arange(n), many)
                    events[table].append((idx, k, {c: cols[c].take(idx) for c in self.state}))
            if self.history is not None:
                idx = np.flatnonzero(active)
                made[self.history] = made.get(self.history, 0) + len(idx)
                _cap(self.history, made[self.history], self.record_span)
                history.append((idx, k, {c: cols[c].take(idx) for c in self.state}))
        cols.pop(STEP_DATE, None)
        out = StepOutput(columns={c: cols[c] for c in self.state})
        for table in events:
            out.emitted[table] = self._emitted(events[table], cols, ctx)
        if self.history is not None:
            em = self._emitted(history, cols, ctx)
            em.columns = self._history_columns(em, ctx)
            # the state was finished as each step wrote it, and the key as the table's first step
            em.finished = frozenset(em.columns) - {STEP_DATE}
            out.emitted[self.history] = em
        return out

    def _emitted(self, parts, cols: dict[str, Values], ctx: Ctx) -> Emitted:
        """Rows in (entity, step) order, with the entity as it was at each row's step."""
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            state = {c: cols[c].take(empty) for c in self.state}
            return Emitted(empty, {STEP_DATE: Values(self.dates[:0])}, _AtStep(cols, empty, state))
        idx = np.concatenate([p[0] for p in parts])
        steps = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts])
        order = np.lexsort((steps, idx))  # stable: several rows of one step keep their order
        idx, steps = idx[order], steps[order]
        state = {c: concat([p[2][c] for p in parts]).take(order) for c in self.state}
        return Emitted(idx, {STEP_DATE: Values(self.dates[steps])}, _AtStep(cols, idx, state))

    def _history_columns(self, em: Emitted, ctx: Ctx) -> dict[str, Values]:
        out: dict[str, Values] = {}
        for name in self.history_columns:
            if name == STEP_DATE:
                out[name] = em.columns[STEP_DATE]
            elif name in em.parent:
                out[name] = em.parent[name]
            else:  # no key: the entity's row number, from 1
                out[name] = Values(ctx.rows[em.parent_index] + 1)
        return out


class _AtStep(Mapping):
    """The entity of each emitted row as it was at the row's step: its state columns as recorded
    then, its other columns (which never change) taken when a child's expression reads them."""

    def __init__(self, cols: dict[str, Values], idx: np.ndarray, state: dict[str, Values]):
        self._cols, self._idx, self._state = cols, idx, state
        self._taken: dict[str, Values] = {}

    def __getitem__(self, name: str) -> Values:
        if name in self._state:
            return self._state[name]
        hit = self._taken.get(name)
        if hit is None:
            hit = self._taken[name] = self._cols[name].take(self._idx)
        return hit

    def __iter__(self):
        return iter(self._cols)

    def __len__(self) -> int:
        return len(self._cols)


def _subset(base: Ctx, idx: np.ndarray) -> Ctx:
    """The step's context for the entities at ``idx`` (a redraw draws for these only)."""
    related = {t: (c, i[idx]) for t, (c, i) in base.related.items()}
    return Ctx(
        len(idx),
        {},
        base.rows[idx],
        base.key,
        related,
        None,
        {},
        base.streams,
        base.source,
        base.env,
    )


def _where(mask: np.ndarray, a: Values, b: Values) -> Values:
    data = a.data
    if data.dtype != b.data.dtype and data.dtype.kind != "O":
        data = data.astype(np.result_type(data.dtype, b.data.dtype))
    data = np.where(mask, data, b.data)
    null = None
    if a.null is not None or b.null is not None:
        null = np.where(mask, a.is_null(), b.is_null())
    return Values(data, null)


def _cap(table: str, rows: int, span) -> None:
    if rows > MAX_ROWS:
        raise DataError(
            f"the simulation would make more than {MAX_ROWS:,} rows of '{table}' for one block of "
            "16,384 entities: step less often, emit fewer rows, or record fewer steps"
        ).at(span)


def _evaluate(fn: Compiled, ctx: Ctx, span, table: str) -> Values:
    """A condition or count of the block, its run errors pointed at its own text."""
    try:
        with np.errstate(all="ignore"):
            return fn.fn(ctx)
    except SynthError as err:
        raise err.at(span) from None
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise DataError(f"table '{table}': the simulation could not compute: {exc}").at(
            span
        ) from None


def _counts(v: Values, emitting: np.ndarray, table: str, span, ctx: Ctx) -> np.ndarray:
    """Rows per entity: ``v`` where ``emitting``, else 0 (a null count emits nothing)."""
    data = np.asarray(v.data)
    if data.dtype.kind == "f":
        data = np.where(np.isfinite(data), np.floor(data), -1)
    counts = np.where(v.is_null() | ~emitting, 0, data).astype(np.int64)
    if (counts < 0).any():
        i = int(np.flatnonzero(counts < 0)[0])
        raise DataError(
            f"emit {table} count is {v.data[i]}: a count of rows is a whole number >= 0",
            row=int(ctx.rows[i]) + 1,
        ).at(span)
    return counts


register(SimpleKind("simulate", SimulationStep))
