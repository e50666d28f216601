"""The block loop: one block of one table, steps in plan order, every output finished, rules enforced.

Input: a ``TableRun`` (built steps and rules), the block's global row numbers and its related rows.
Output: the block's columns (and, through ``BlockEnv``, its child tables' rows). The loop never names a
step kind: it runs each step with a context keyed by (table, step stream, block), finishes the outputs
that are columns, and, for a rule that fails on some rows, redraws the *steps* that rule lists (all
outputs of a multi-column step together) and what reads them, for the failing rows only, until every rule
holds or the acceptance rate falls under a floor (then a ``RuleError`` names the rule).

Phases: a table's own steps and rules, then the child tables it aggregates, then its late steps
(aggregates and what reads them) and their rules, then its other child tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthdsl.errors import DataError, RuleError, SynthError
from synthdsl.execute import rules as rule_checks
from synthdsl.execute.finish import finish
from synthdsl.execute.tables import TableRun
from synthdsl.expr.context import Ctx
from synthdsl.steps.base import StepOutput
from synthdsl.steps.source import InvalidParameter
from synthdsl.streams import Streams
from synthdsl.values import Values, scatter

# A hard stop far beyond what the acceptance floor allows: a rule with acceptance p needs about
# ln(rows) / p attempts, and the floor (below) stops hopeless rules long before this.
MAX_ATTEMPTS = 20_000
FLOOR_AFTER = 10
ACCEPTANCE_FLOOR = 0.001
FLOOR_MIN_TRIED = 1000  # judge the acceptance rate only on enough redrawn rows; else MAX_ATTEMPTS


@dataclass
class Stats:
    rows: dict[str, int] = field(default_factory=dict)
    redrawn: dict[tuple[str, str], int] = field(default_factory=dict)
    # (table, rule) -> simulated entity-steps that kept their state: no redraw met the rule
    kept: dict[tuple[str, str], int] = field(default_factory=dict)

    def merge(self, other: Stats) -> None:
        for k, v in other.rows.items():
            self.rows[k] = self.rows.get(k, 0) + v
        for k, v in other.redrawn.items():
            self.redrawn[k] = self.redrawn.get(k, 0) + v
        for k, v in other.kept.items():
            self.kept[k] = self.kept.get(k, 0) + v


def acceptance(tried: int, failed_again: int) -> float:
    """The share of redrawn rows that passed right after their redraw (1 before any redraw)."""
    return 1 - failed_again / tried if tried else 1.0


class Policy:
    """What the rule loop does when rows keep failing: the engine's acceptance floor. The
    Hypothesis strategies pass another policy (a few redraws, then reject the example)."""

    max_attempts = MAX_ATTEMPTS

    def held(self, table: str, rule: str, rows: int) -> None:
        """``rule`` was checked and held on ``rows`` rows (the strategies count these)."""

    def give_up(self, block: Block, r, mask, attempt: int, tried: int, failed_again: int) -> None:
        """Raise when the rule should stop being retried."""
        accepted = acceptance(tried, failed_again)
        if not r.spec.redraw:
            block.fail(r, mask, 0.0, "has no random column to redraw")
        floor = attempt > FLOOR_AFTER and tried >= FLOOR_MIN_TRIED
        if attempt > MAX_ATTEMPTS or (floor and accepted < ACCEPTANCE_FLOOR):
            if r.spec.kind == "unique":
                rule_checks.fail_unique(block, r, mask)
            block.fail(r, mask, accepted, "could not be met")

    def give_up_together(
        self, block: Block, rules, mask, attempt: int, tried: int, failed: int
    ) -> None:
        """Raise when the redrawn rows almost never pass every rule at once, though each rule's own
        redraws pass it: rules that contradict each other (each redraw of one breaks the other).
        ``rules`` failed in this attempt or the one before; ``mask``: the rows failing now."""
        accepted = acceptance(tried, failed)
        floor = attempt > FLOOR_AFTER and tried >= FLOOR_MIN_TRIED
        if floor and accepted < ACCEPTANCE_FLOOR:
            block.fail_together(rules, mask, accepted)


ENGINE_POLICY = Policy()


class Block:
    """One block of one table (see the module docstring)."""

    def __init__(self, run, table: TableRun, block: int, state: dict, stats: Stats):
        self.run = run  # execute.runtime.Runtime: seed, services for steps, child generation
        self.t = table
        self.block = block
        self.state = state
        self.stats = stats
        self.children: dict[str, tuple[dict[str, Values], np.ndarray]] = {}
        # steps a redraw must not run again: a simulation and the steps of the columns it updated
        self.frozen: set[int] = set()

    # ---- contexts
    def ctx(self, n: int, cols, rows, related, streams: Streams) -> Ctx:
        source = self.run.source
        key = streams.for_("draw")
        ctx = Ctx(
            n, cols, rows, key, related, source.rng(key), {}, streams, source, self.run.env(self)
        )
        return ctx

    def streams(self, step) -> Streams:
        return Streams(self.run.seed, (*step.spec.stream, self.block))

    # ---- the loop
    def generate(
        self,
        rows: np.ndarray,
        related: dict,
        preset: dict[str, Values],
        finished: frozenset[str] = frozenset(),
    ) -> dict:
        self._rows = rows
        cols: dict[str, Values] = {}
        for name, raw in preset.items():  # values a parent's step emitted with the rows
            col = self.t.columns.get(name)
            if col is None and name == "step_date" and self.t.plan.fed_by is not None:
                cols[name] = raw  # the date of the simulation step that made each row
                continue
            if col is None:
                raise DataError(
                    f"a step emitted rows into '{self.t.name}' with an unknown column '{name}'"
                )
            if name in finished:
                cols[name] = raw
                continue
            streams = Streams(self.run.seed, (self.t.name, name, self.block))
            ctx = self.ctx(len(rows), cols, rows, related, streams)
            cols[name] = finish(raw, col, self.t.dtypes[name], self.t.name, ctx)
        steps = self.t.steps
        for phase, positions in enumerate(self.t.phases):
            for pos in positions:
                step = steps[pos]
                if set(step.spec.outputs) and set(step.spec.outputs) <= set(preset):
                    continue  # rows emitted with these values by the parent's step
                updated = set(step.spec.outputs) & set(cols)
                out = self.step(step, len(rows), cols, rows, related, self.streams(step))
                self.absorb(out, cols, related, None)
                if updated:
                    self.refresh(pos, updated, cols, rows, related)
            if phase in (0, 2):
                late = phase == 2
                self.rules(cols, rows, related, [r for r in self.t.rules if r.spec.late == late])
        return cols

    def refresh(self, pos: int, updated: set[str], cols, rows, related) -> None:
        """A step changed columns that earlier steps had filled (a simulation's final state):
        recompute the earlier steps that read them, then check the rules over what changed.
        Neither that step nor the steps that first filled its columns run again."""
        steps = self.t.steps
        fillers = {i for i, s in enumerate(steps) if i != pos and set(s.spec.outputs) & updated}
        # and what those steps were computed from: redrawing it would leave them stale
        filled_by = {o: i for i, s in enumerate(steps) for o in s.spec.outputs if i != pos}
        stack = list(fillers)
        while stack:
            for col in self.t.reads[stack.pop()]:
                up = filled_by.get(col)
                if up is not None and up not in fillers:
                    fillers.add(up)
                    stack.append(up)
        self.frozen |= fillers | {pos}
        redo = [
            p
            for p in self.t.descendants({steps[pos].spec.id})
            if p < pos and p not in self.frozen and not steps[p].spec.emits
        ]
        changed = set(updated)
        for p in redo:
            out = self.step(steps[p], len(rows), cols, rows, related, self.streams(steps[p]))
            self.absorb(out, cols, related, None)
            changed |= set(steps[p].spec.outputs)
        recheck = [r for r in self.t.rules if set(r.spec.columns) & changed]
        self.rules(cols, rows, related, recheck)

    def step(self, step, n: int, cols, rows, related, streams: Streams) -> StepOutput:
        ctx = self.ctx(n, cols, rows, related, streams)
        try:
            # numpy's overflow and invalid-value warnings never reach the user: what they flag
            # (an infinite float, a value out of range) is refused by name when the column is
            # finished, or is the documented result
            with np.errstate(all="ignore"):
                out = step.run(ctx)
                for name, raw in out.columns.items():
                    col = self.t.columns.get(name)
                    if col is not None:  # `nulls p%` applies once, where a column is first filled
                        out.columns[name] = finish(
                            raw,
                            col,
                            self.t.dtypes[name],
                            self.t.name,
                            ctx,
                            nulls=not step.spec.updates,
                        )
        except InvalidParameter as exc:
            err = DataError(f"table '{self.t.name}': {exc}", column=self._column(step))
            raise err.at(self._span(step)) from None
        except SynthError as err:
            raise err.at(self._span(step)) from None
        except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. a date past year 9999
            col = self._column(step)
            err = DataError(
                f"table '{self.t.name}': column '{col}' could not be computed: {exc}", column=col
            )
            raise err.at(self._span(step)) from None
        for child, em in out.emitted.items():
            self.children[child] = self.run.emit(self, child, em, cols, rows, related)
        return out

    @staticmethod
    def _column(step) -> str | None:
        return step.spec.outputs[0] if step.spec.outputs else None

    def _span(self, step):
        return next((self.t.spans[o] for o in step.spec.outputs if o in self.t.spans), None)

    def absorb(self, out: StepOutput, cols, related, idx) -> None:
        """Put a step's outputs into the block (at rows ``idx`` of it, for a redraw)."""
        for name, v in out.columns.items():
            cols[name] = v if idx is None else scatter(cols[name], idx, v)
        for table, ridx in out.related.items():
            target = self.run.materialized[table]
            if idx is None:
                related[table] = (target, ridx)
            else:
                full = related[table][1].copy()
                full[idx] = ridx
                related[table] = (target, full)

    # ---- rules
    def rules(self, cols, rows, related, rules) -> None:
        if not rules:
            return
        policy = self.run.policy
        self.current = cols
        # Per rule: rows redrawn for it, and how many of those failed it again right after. Only a
        # rule's own redraws count, so the rule that cannot be met is the one named, not another
        # rule whose columns its redraws keep changing.
        tried = dict.fromkeys((r.name for r in rules), 0)
        failed_again = dict.fromkeys((r.name for r in rules), 0)
        redrawn: dict[str, np.ndarray] = {}
        touched = None
        # All rules together: rows redrawn, and how many of them failed some rule right after. A
        # pair of rules that contradict each other keeps each one's own acceptance up (its redraw
        # passes it, the other's breaks it), so this is what stops them.
        tried_all = failed_all = 0
        recent: dict = {}  # the rules failing in this attempt and the one before
        for attempt in range(1, policy.max_attempts + 2):
            checked = len(rows) if touched is None else len(touched)
            failing = []
            for r in rules:
                mask = rule_checks.failures(self, r, cols, rows, related, touched)
                policy.held(self.t.name, r.name, checked - int(mask.sum()))
                if mask.any():
                    failing.append((r, mask))
            if not failing:
                rule_checks.commit_state(self, cols, rules)
                return
            for r, mask in failing:
                if r.name in redrawn:
                    failed_again[r.name] += int(mask[redrawn[r.name]].sum())
            # the least met rule is named first
            by_acceptance = sorted(
                failing,
                key=lambda item: acceptance(tried[item[0].name], failed_again[item[0].name]),
            )
            for r, mask in by_acceptance:
                try:
                    policy.give_up(self, r, mask, attempt, tried[r.name], failed_again[r.name])
                except SynthError as err:
                    raise err.at(r.span) from None
            any_failing = np.logical_or.reduce([m for _, m in failing])
            if touched is not None:
                tried_all += len(touched)
                failed_all += int(any_failing[touched].sum())
            now = {r.name: r for r, _ in failing}
            if len(recent | now) > 1:
                try:
                    policy.give_up_together(
                        self,
                        list((recent | now).values()),
                        any_failing,
                        attempt,
                        tried_all,
                        failed_all,
                    )
                except SynthError as err:
                    raise err.at(failing[0][0].span) from None
            recent = now
            touched = np.flatnonzero(any_failing)
            redrawn = {}
            for j, (r, mask) in enumerate(failing):
                if self.frozen and all(self.t.index[s] in self.frozen for s in r.spec.redraw):
                    try:
                        self.fail(r, mask, 0.0, "fails on the simulation's final state")
                    except SynthError as err:
                        raise err.at(r.span) from None
                idx = np.flatnonzero(mask)
                redrawn[r.name] = idx
                tried[r.name] += len(idx)
                key = (self.t.name, r.name)
                self.stats.redrawn[key] = self.stats.redrawn.get(key, 0) + len(idx)
                self.redraw(r, idx, cols, rows, related, attempt, j)

    def redraw(self, r, idx, cols, rows, related, attempt: int, j: int) -> None:
        """Redraw the rule's steps and what reads them, for the rows at ``idx`` only."""
        sub_cols = {k: v.take(idx) for k, v in cols.items()}
        sub_rel = {t: (c, i[idx]) for t, (c, i) in related.items()}
        for pos in self.t.descendants(set(r.spec.redraw)):
            step = self.t.steps[pos]
            if pos in self.frozen:
                continue  # a simulation's final state stays as it is
            if step.spec.late and not r.spec.late:
                continue  # not run yet: it runs after the child rows, on the redrawn values
            streams = self.streams(step).redraw(attempt, j)
            out = self.step(step, len(idx), sub_cols, rows[idx], sub_rel, streams)
            sub_cols.update(out.columns)
            for table, ridx in out.related.items():
                sub_rel[table] = (sub_rel[table][0], ridx)
            self.absorb(out, cols, related, idx)

    def fail(self, r, mask, accepted: float, why: str) -> None:
        first = int(self.rows_of(mask)[0]) + 1
        what = f"rule '{r.name}'"
        if r.spec.kind == "unique" and r.name == f"unique_{r.spec.columns[0]}":
            what = f"the unique column '{r.spec.columns[0]}'"  # a `unique`/`key` modifier
        err = RuleError(
            f"{what} of table '{self.t.name}' {why}: {int(mask.sum())} row(s) still "
            f"fail (first: row {first}); columns {', '.join(r.spec.columns)}; observed acceptance "
            f"rate {accepted:.2%}. Loosen the rule or the distributions of its columns."
        )
        err.rule = r.name
        raise err

    def fail_together(self, rules, mask, accepted: float) -> None:
        names = [r.name for r in rules]
        first = int(self.rows_of(mask)[0]) + 1
        columns = list(dict.fromkeys(c for r in rules for c in r.spec.columns))
        listed = ", ".join(f"'{n}'" for n in names[:-1]) + f" and '{names[-1]}'"
        err = RuleError(
            f"rules {listed} of table '{self.t.name}' could not be met together: "
            f"{int(mask.sum())} row(s) still fail (first: row {first}); columns "
            f"{', '.join(columns)}; each redraw that meets one rule breaks another (observed "
            f"acceptance rate of all of them {accepted:.2%}). Check that the rules can hold at "
            "once, or loosen one of them."
        )
        err.rule = names[0]
        raise err

    def rows_of(self, mask) -> np.ndarray:
        return self._rows[np.flatnonzero(mask)]
