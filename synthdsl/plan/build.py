"""Plan: a ``CheckedSpec`` -> the ``Plan`` value that runs.

Input: the checked spec. Output: a ``Plan`` (``plan.model``): per table its columns with their finishing,
its steps in order (each a ``StepSpec`` of a registered kind, with its expression as AST JSON), and per
rule how it is enforced (``plan.enforce`` decides construction or rejection; here each rule's redraw set
becomes step ids). Step ids come from names (``table.column``), never ``id()``.

Phases order a table's steps: its own columns (0), the child tables it aggregates (1), the aggregates and
the columns that wait for them (2), its other child tables (3).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path

from synthdsl import __version__
from synthdsl.check.model import CheckedSpec, ColumnInfo, TableInfo
from synthdsl.expr import aggregate
from synthdsl.plan.enforce import Enforcement, Truncation, enforce
from synthdsl.plan.model import (
    BudgetSpec,
    ColumnSpec,
    CountSpec,
    DatasetRef,
    DTypeSpec,
    Input,
    Plan,
    RuleSpec,
    StepSpec,
    TablePlan,
    Where,
)
from synthdsl.plan.models import model_specs, model_step
from synthdsl.plan.simulate import sim_step
from synthdsl.source import Span
from synthdsl.streams import BLOCK_ROWS
from synthdsl.syntax import ast_json

# The main spec's folder while a plan is built (span paths are written relative to it).
_BASE: ContextVar[Path | None] = ContextVar("synthdsl_plan_base", default=None)


def to_json(node) -> dict:
    """An expression as plan data: its AST, with span paths relative to the main spec's folder."""
    return ast_json.relocate(ast_json.to_json(node), _relative)


def _relative(path: str) -> str:
    base = _BASE.get()
    if path == "<string>" or base is None:
        return path
    return Path(os.path.relpath(Path(path).resolve(), base)).as_posix()


def where(span: Span | None) -> Where | None:
    """A span as plan data; its path relative to the main spec's folder, so the plan does not
    depend on the working directory (``Spec.source_for`` maps it back to the path as typed)."""
    if span is None or span.source is None or not span.line:
        return None
    return Where(
        path=_relative(span.path),
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
    )


def column_span(info: ColumnInfo) -> Span:
    """Where a column's value is written in the spec (its expression), else the column itself."""
    expr = getattr(info.node.gen, "expr", None)
    span = getattr(expr, "span", None)
    return span if span is not None and span.line else info.node.span


def source_text(node) -> str:
    span = getattr(node, "span", None)
    if span is None or span.source is None or not span.line:
        return type(node).__name__
    lines = span.source.text.splitlines()
    if span.end_line == span.line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    return lines[span.line - 1][span.column - 1 :] + " ..."


def _bound(b: float | str | None) -> dict | None:
    if b is None:
        return None
    return {"column": b} if isinstance(b, str) else {"value": float(b)}


def _inputs(t: TableInfo, info: ColumnInfo, enf: Enforcement) -> tuple[Input, ...]:
    out: list[Input] = []
    for d in sorted(info.deps):
        parsed = aggregate.parse_key(d) if d not in t.columns else None
        if parsed is not None:
            out.append(Input(kind="aggregate", name=d, table=parsed[1]))
        else:
            out.append(Input(kind="column", name=d))
    tr = enf.truncate.get(info.name)
    for b in (tr.low, tr.high) if tr else ():
        if isinstance(b, str) and all(i.name != b for i in out):
            out.append(Input(kind="column", name=b))
    for f in enf.forbid.get(info.name, []):
        if all(i.name != f.given for i in out):
            out.append(Input(kind="column", name=f.given))
    if info.compiled is not None:
        for table, col in sorted(info.compiled.related):
            kind = "parent" if table == t.parent else "related"
            out.append(Input(kind=kind, name=col, table=table))
    return tuple(out)


def _detail(info: ColumnInfo, enf: Enforcement, kind: str) -> str:
    node = info.node
    if kind == "reference":
        return f"ref {info.ref[0]}.{info.ref[1]}"
    if kind == "default":
        return "uniform over enum values" if info.dtype.kind == "enum" else "bernoulli(0.5)"
    text = source_text(node.gen)
    extras = []
    tr = enf.truncate.get(info.name)
    if tr is not None:
        extras.append(_truncation_text(tr))
    for f in enf.forbid.get(info.name, []):
        extras.append(f"conditioned on {f.given}")
    if node.clamp:
        extras.append(f"clamp {source_text(node.clamp[0])}..{source_text(node.clamp[1])}")
    if node.round is not None:
        extras.append(f"round {node.round}")
    if node.nulls:
        extras.append(f"nulls {node.nulls * 100:g}%")
    if kind == "unique_provider":
        extras.append("unique by keyed permutation")
    for qualname, vectorized in dict.fromkeys(
        (p.qualname, p.vectorized) for p in info.providers if not isinstance(p, tuple)
    ):
        extras.append(f"{qualname} ({'vectorized' if vectorized else 'per row'})")
    return text + ("  [" + "; ".join(extras) + "]" if extras else "")


def _truncation_text(tr: Truncation) -> str:
    from synthdsl.check.intervals import Interval

    if isinstance(tr.low, str) or isinstance(tr.high, str):
        op_lo = ">=" if tr.low_inclusive else ">"
        op_hi = "<=" if tr.high_inclusive else "<"
        return (
            f"drawn {op_lo} {tr.low} per row"
            if isinstance(tr.low, str)
            else (f"drawn {op_hi} {tr.high} per row")
        )
    iv = Interval(tr.low, tr.high, tr.low_inclusive, tr.high_inclusive)
    return f"truncated to {iv.describe()}"


def _column_step(t: TableInfo, info: ColumnInfo, enf: Enforcement) -> StepSpec:
    """The step that fills one column, of the kind its value and the plan's enforcement call for."""
    params: dict = {}
    kind = info.kind
    if kind == "ref":
        kind = "reference"
        params = {"table": info.ref[0], "column": info.ref[1], "parent": info.ref[0] == t.parent}
    elif kind == "default":
        params = {}
    else:
        params = {"expr": to_json(info.node.gen.expr), "int": info.dtype.kind == "int"}
        if info.name in enf.unique_by_construction and kind == "provider":
            kind = "unique_provider"
        elif info.name in enf.truncate:
            tr = enf.truncate[info.name]
            kind = "truncated_draw"
            params |= {
                "low": _bound(tr.low),
                "high": _bound(tr.high),
                "low_inclusive": tr.low_inclusive,
                "high_inclusive": tr.high_inclusive,
                "rules": list(tr.rules),
            }
        elif info.name in enf.forbid:
            kind = "conditional_categorical"
            params["forbid"] = [
                {
                    "given": f.given,
                    "given_labels": sorted(f.given_labels, key=repr),
                    "labels": sorted(f.labels, key=repr),
                    "rule": f.rule,
                }
                for f in enf.forbid[info.name]
            ]
        elif kind in ("draw", "compute", "serial", "provider", "aggregate"):
            kind = "expression"
    inputs = _inputs(t, info, enf)
    if info.ref is not None:
        inputs += (
            Input(
                kind="parent" if params.get("parent") else "related",
                name=info.ref[1],
                table=info.ref[0],
            ),
        )
    return StepSpec(
        id=f"{t.name}.{info.name}",
        kind=kind,
        table=t.name,
        outputs=(info.name,),
        inputs=inputs,
        stream=(t.name, info.name),
        params=params,
        late=info.name in t.late,
        describe=_detail(info, enf, kind),
    )


def _children_step(spec: CheckedSpec, parent: TableInfo, child: str) -> StepSpec:
    c = spec.tables[child]
    return StepSpec(
        id=f"{parent.name}.rows:{child}",
        kind="children",
        table=parent.name,
        outputs=(),
        stream=(child,),
        params={"child": child},
        late=child not in parent.aggregated,
        emits=(child,),
        describe=f"the block's {child} rows: rows per {parent.name} ~ {_count_text(c)}",
    )


def _aggregate_steps(t: TableInfo) -> list[StepSpec]:
    out = []
    for key, (func, child, column) in t.aggregates.items():
        out.append(
            StepSpec(
                id=f"{t.name}.{key}",
                kind="aggregate",
                table=t.name,
                outputs=(key,),
                inputs=(Input(kind="aggregate", name=column or "*", table=child),),
                stream=(t.name, key),
                params={"func": func, "child": child, "column": column},
                late=True,
                describe=f"{key} over each row's {child} rows",
            )
        )
    return out


def _count_text(c: TableInfo) -> str:
    text = source_text(c.node.rows.dist)
    if c.count_clamp is not None:
        text += " clamp({}, {})".format(*c.count_clamp)
    return text


def _rules(
    t: TableInfo,
    enf: Enforcement,
    owner: dict[str, str],
    shaped: set[str],
    stepped: frozenset[str] = frozenset(),
) -> tuple[RuleSpec, ...]:
    out = []
    nodes = {r.name: r for r in t.rules}
    for r in enf.rules:
        if r.by_construction:
            how = f"by construction ({r.by_construction}); verified"
        elif r.kind == "unique":
            how = "table-wide uniqueness check; duplicates redrawn"
        elif r.kind == "determines":
            how = "table-wide functional dependency check; conflicting rows redrawn"
        elif r.name in shaped:
            how = "in the model's tables (entries where it fails are zeroed); failing rows redrawn"
        elif r.redraw:
            how = "rejection of failing rows"
        else:
            how = "checked (nothing random to redraw)"
        if r.late:
            how += "; after the aggregates"
        if r.name in stepped:
            how += (
                "; and at every simulation step (an entity's updates redrawn, else its state kept)"
            )
        info = nodes.get(r.name)
        # a rule's own span, or for unique_<column> (a column's `unique`/`key`) the column's
        node = info.node if info is not None else t.columns[r.columns[0]].node
        at = where(node.span)
        expr = to_json(info.node.expr) if info is not None and r.kind == "row" else None
        out.append(
            RuleSpec(
                name=r.name,
                kind=r.kind,
                columns=r.columns,
                expr=expr,
                enforcement=how,
                by_construction=r.by_construction,
                redraw=tuple(dict.fromkeys(owner[c] for c in r.redraw)),
                late=r.late,
                at=at,
            )
        )
    return tuple(out)


def _column_steps(t: TableInfo, names: list[str], enf: Enforcement, models) -> list[StepSpec]:
    """One step per column, but one per model for the columns a model draws (at its first)."""
    out: list[StepSpec] = []
    drawn: set[str] = set()
    for c in names:
        owner = t.models.get(c)
        if t.columns[c].kind == "sim":
            continue  # a history table's column: its simulation writes it
        if owner is None:
            out.append(_column_step(t, t.columns[c], enf))
        elif owner not in drawn:
            drawn.add(owner)
            out.append(model_step(t, models[owner]))
    return out


def _table(spec: CheckedSpec, t: TableInfo, children: list[str], models) -> TablePlan:
    enf = enforce(spec, t)
    early = [c for c in enf.order if c not in t.late]
    late = [c for c in enf.order if c in t.late]
    sim = spec.simulations.get(t.name)
    sims = [sim_step(t, sim, to_json, source_text)] if sim is not None else []
    counted = [c for c in children if spec.tables[c].fed_by is None]
    steps: list[StepSpec] = _column_steps(t, early, enf, models)
    steps += [_children_step(spec, t, c) for c in counted if c in t.aggregated]
    steps += [s for s in sims if not s.late]
    steps += _aggregate_steps(t)
    steps += _column_steps(t, late, enf, models)
    steps += [_children_step(spec, t, c) for c in counted if c not in t.aggregated]
    steps += [s for s in sims if s.late]
    owner: dict[str, str] = {}
    for st in steps:  # a column's first step (a simulation only updates it afterwards)
        for o in st.outputs:
            owner.setdefault(o, st.id)
    columns = tuple(
        ColumnSpec(
            name=c.name,
            dtype=DTypeSpec.of(c.dtype),
            key=bool(c.node.key),
            unique=bool(c.node.unique),
            ref=c.ref,
            clamp=c.clamp,
            round=c.node.round,
            nulls=float(c.node.nulls or 0.0),
            generator=_generator_text(c, sim),
            at=where(column_span(c)),
        )
        for c in t.columns.values()
    )
    count = None
    if t.parent and t.fed_by is None:
        count = CountSpec(
            expr=to_json(t.node.rows.dist),
            clamp=t.count_clamp,
            text=_count_text(t),
            at=where(t.node.rows.dist.span),
        )
    return TablePlan(
        name=t.name,
        rows=t.rows,
        parent=t.parent,
        count=count,
        sequential=enf.stateful,
        fed_by=t.fed_by,
        columns=columns,
        steps=tuple(steps),
        rules=_rules(
            t,
            enf,
            owner,
            {n for st in steps if st.kind == "model" for n in st.params["shape"]},
            frozenset(sim.step_rules) if sim is not None else frozenset(),
        ),
    )


def _generator_text(info: ColumnInfo, sim=None) -> str:
    """What fills the column, as the card reports it (a provider's name, a distribution's)."""
    if sim is not None and info.name in sim.state:
        return f"{_generator_text(info)}; then simulated"
    if info.kind == "sim":
        return "simulation state" if info.name != "step_date" else "simulation step date"
    if info.kind == "ref":
        return f"ref {info.ref[0]}.{info.ref[1]}"
    if info.kind == "model":
        return "model"
    if info.kind == "provider":
        return info.compiled.provider.qualname
    if info.kind == "draw" and info.compiled is not None and info.compiled.dist is not None:
        return f"distribution: {info.compiled.dist.dist.name}"
    if info.kind == "draw" and info.compiled is not None and info.compiled.cat is not None:
        return "distribution: categorical"
    return info.kind


def _datasets(spec: CheckedSpec) -> tuple[DatasetRef, ...]:
    base = Path(spec.path).resolve().parent if spec.path != "<string>" else Path.cwd()
    out = []
    for name, info in spec.datasets.items():
        display = Path(os.path.relpath(info.path, base)).as_posix()
        out.append(
            DatasetRef(
                name=name,
                path=str(info.path),
                display=display,
                sha256=info.sha256,
                format=info.format,
                options=dict(info.options),
                columns=dict(info.columns),
                rows=len(info.frame),
            )
        )
    return tuple(out)


def _budgets(spec: CheckedSpec, models) -> tuple[BudgetSpec, ...]:
    out = []
    for b in spec.budgets:
        mine = [m for m in models if m.dataset == b.dataset]
        out.append(
            BudgetSpec(
                dataset=b.dataset,
                epsilon=b.epsilon,
                delta=b.delta or 0.0,
                spent_epsilon=sum(m.epsilon or 0.0 for m in mine),
                spent_delta=sum(m.delta or 0.0 for m in mine),
            )
        )
    return tuple(out)


def build(spec: CheckedSpec) -> Plan:
    """The plan of a checked spec: what ``plan --json`` prints and what every engine runs."""
    token = _BASE.set(Path(spec.path).resolve().parent if spec.path != "<string>" else None)
    try:
        return _build(spec)
    finally:
        _BASE.reset(token)


def _build(spec: CheckedSpec) -> Plan:
    children: dict[str, list[str]] = {n: [] for n in spec.tables}
    for n, t in spec.tables.items():
        if t.parent:
            children[t.parent].append(n)
    models = model_specs(spec, where, to_json)
    by_name = {m.name: m for m in models}
    return Plan(
        synthdsl_version=__version__,
        spec_sha256=spec.sha256,
        spec_path=None if spec.path == "<string>" else Path(spec.path).name,
        spec_dir=None if spec.path == "<string>" else str(Path(spec.path).resolve().parent),
        seed=spec.seed,
        locale=spec.locale,
        today=spec.today,
        block_rows=BLOCK_ROWS,
        datasets=_datasets(spec),
        models=models,
        budgets=_budgets(spec, models),
        tables=tuple(_table(spec, t, children[n], by_name) for n, t in spec.tables.items()),
    )
