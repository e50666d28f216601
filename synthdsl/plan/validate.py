"""Validate a plan read from JSON: what pydantic's field types cannot say.

Input: a ``Plan`` (from ``synthdsl plan --json``, maybe edited by hand, maybe from another version).
Output: nothing, or a ``SynthError`` naming the table, step or rule that is wrong. A plan built from a
spec always passes; these checks make a broken plan fail with a message instead of deep in a run.
"""

from __future__ import annotations

from synthdsl.errors import SynthError
from synthdsl.plan.model import Plan
from synthdsl.streams import BLOCK_ROWS


def validate(plan: Plan) -> None:
    problems: list[str] = []
    say = problems.append
    if plan.block_rows != BLOCK_ROWS:
        say(
            f"block_rows is {plan.block_rows}; this version of synthdsl runs blocks of {BLOCK_ROWS}"
        )
    seen_tables: set[str] = set()
    names = [t.name for t in plan.tables]
    step_ids: set[str] = set()
    for t in plan.tables:
        where = f"table '{t.name}'"
        if t.name in seen_tables:
            say(f"{where} appears twice")
        if t.parent is not None and t.parent not in seen_tables:
            say(f"{where}: its parent '{t.parent}' is not a table listed before it")
        if t.parent is None and t.rows is None:
            say(f"{where} has neither rows nor a parent")
        if t.parent is not None and t.count is None and t.fed_by is None:
            say(f"{where} has a parent but no count (rows per ...)")
        if t.fed_by is not None and t.fed_by != t.parent:
            say(f"{where}: the simulation that makes its rows is not its parent's")
        columns = [c.name for c in t.columns]
        if len(set(columns)) != len(columns):
            say(f"{where} lists a column twice")
        for c in t.columns:
            if c.ref is None:
                continue
            target = next((x for x in plan.tables if x.name == c.ref[0]), None)
            if c.ref[0] not in seen_tables or target is None:
                say(f"{where}: column '{c.name}' references '{c.ref[0]}', not a table before it")
            elif all(x.name != c.ref[1] for x in target.columns):
                say(f"{where}: column '{c.name}' references '{c.ref[0]}.{c.ref[1]}', not a column")
        if t.parent == t.name:
            say(f"{where} is its own parent")
        # a simulation's rows come with their step's date, and a history table's with every value
        filled: dict[str, str] = {"step_date": "(simulation)"} if t.fed_by else {}
        ids_here: dict[str, int] = {}
        for i, s in enumerate(t.steps):
            sw = f"{where}: step '{s.id}'"
            if s.table != t.name:
                say(f"{sw} says it belongs to table '{s.table}'")
            if s.id in step_ids:
                say(f"{sw}: the id is used twice")
            step_ids.add(s.id)
            ids_here[s.id] = i
            for i_ in s.inputs:
                if i_.kind == "column" and i_.name not in filled:
                    say(f"{sw} reads column '{i_.name}' before any step fills it")
                if i_.kind == "aggregate" and "(" in i_.name and i_.name not in filled:
                    say(f"{sw} reads '{i_.name}' before any step fills it")
                if i_.kind in ("parent", "related") and i_.table not in seen_tables:
                    say(f"{sw} reads table '{i_.table}', not a table listed before it")
            for o in s.outputs:
                if o in filled and not s.updates:
                    say(f"{sw} fills '{o}', which step '{filled[o]}' fills already")
                filled[o] = s.id
            for child in s.emits:
                if child not in names:
                    say(f"{sw} emits rows into '{child}', which is not a table of the plan")
        for c in columns:
            if c not in filled and not (t.fed_by and not t.steps):
                say(f"{where}: no step fills column '{c}'")
        for r in t.rules:
            rw = f"{where}: rule '{r.name}'"
            for c in r.columns:
                if c not in columns:
                    say(f"{rw} names column '{c}', which the table does not have")
            for sid in r.redraw:
                if sid not in ids_here:
                    say(f"{rw} redraws step '{sid}', which the table does not have")
            if r.kind == "row" and r.expr is None:
                say(f"{rw} has no expression")
            if r.kind == "unique" and not r.columns:
                say(f"{rw} is a unique rule over no column")
            if r.kind == "determines" and len(r.columns) != 2:
                say(f"{rw} is a determines rule, which needs two columns")
        seen_tables.add(t.name)
    for t in plan.tables:
        if t.parent is not None:
            parent = next((p for p in plan.tables if p.name == t.parent), None)
            if parent is not None and not any(t.name in s.emits for s in parent.steps):
                say(f"table '{t.name}': no step of its parent '{t.parent}' emits its rows")
    dataset_names = [d.name for d in plan.datasets]
    if len(set(dataset_names)) != len(dataset_names):
        say("a dataset is listed twice")
    if problems:
        shown = problems[:10]
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise SynthError("the plan is not valid:\n  " + "\n  ".join(shown) + more)
