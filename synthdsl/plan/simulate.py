"""Plan a simulation: a ``simulate`` block -> one ``simulate`` step of its table.

Input: a ``SimInfo`` (checked) and its table. Output: the ``StepSpec`` that runs it: the block as AST
JSON (updates, transitions, events, start and stop rules), its calendar as numbers, the state
columns it writes, the tables it makes rows in, and the rules it checks at every step; ``details``
are the lines ``synthdsl plan`` prints under it.
"""

from __future__ import annotations

from collections.abc import Callable

from synthdsl.check.model import TableInfo
from synthdsl.check.simulate import SimInfo
from synthdsl.plan.model import Input, StepSpec
from synthdsl.syntax import ast

_EVERY = {"day": "daily", "week": "weekly", "month": "monthly", "year": "yearly"}


def sim_step(
    t: TableInfo, sim: SimInfo, to_json: Callable, text: Callable[[ast.Node], str]
) -> StepSpec:
    node = sim.node
    every = _EVERY[sim.unit] if sim.every == 1 else f"every {sim.every} {sim.unit}s"
    emits = (*sim.emits, *((sim.history,) if sim.history else ()))
    details = [f"state: {', '.join(sim.state) or '(none)'}"]
    for u in node.updates:
        if isinstance(u, ast.SimUpdate):
            details.append(f"update {u.column} {'~' if u.drawn else '='} {text(u.expr)}")
        else:
            moves = "; ".join(
                f"{text(r.source)} -> {text(r.target)}: {text(r.prob)}" for r in u.rows
            )
            details.append(f"transition {u.column}: {moves} (otherwise it stays)")
    for e in node.emits:
        count = f" count {text(e.count)}" if e.count is not None else ""
        when = f" when {text(e.when)}" if e.when is not None else " at every step"
        details.append(f"emit {e.table}{count}{when}")
    if sim.history:
        details.append(
            f"record {sim.history}: one row per active entity per step "
            f"({', '.join(sim.history_columns)})"
        )
    for s in node.starts[:1]:
        details.append(f"start {'at' if s.on_date else 'when'} {text(s.cond)}")
    for s in node.stops:
        details.append(f"stop when {text(s.cond)}")
    if sim.step_rules:
        details.append(
            f"rules checked at every step: {', '.join(sim.step_rules)} (random updates of a "
            "failing entity redrawn, else it keeps its state)"
        )
    if sim.derived:
        details.append(
            f"recomputed from the final state: {', '.join(sorted(sim.derived, key=t.order.index))}"
        )
    reads = sorted(_reads(node) - {"step_date"})
    return StepSpec(
        id=f"{t.name}.simulate",
        kind="simulate",
        table=t.name,
        outputs=sim.state,
        inputs=tuple(Input(kind="column", name=c) for c in reads if c in t.columns),
        stream=(t.name, "simulate"),
        params={
            "block": to_json(node),
            "unit": sim.unit,
            "every": sim.every,
            "start": sim.start,
            "end": sim.end,
            "steps": sim.steps,
            "state": list(sim.state),
            "emits": list(sim.emits),
            "history": sim.history,
            "history_columns": list(sim.history_columns),
            "rules": list(sim.step_rules),
        },
        late=not any(c in t.aggregated for c in emits),
        emits=emits,
        updates=True,
        describe=f"{every} from {sim.start} to {sim.end} ({sim.steps} steps), "
        f"emits {', '.join(emits) or 'no rows'}",
        details=tuple(details),
    )


def _reads(node: ast.Node) -> set[str]:
    """Every bare name the block's expressions use (its columns, and step_date)."""
    return {n.name for n in ast.walk(node) if isinstance(n, ast.Name)}
