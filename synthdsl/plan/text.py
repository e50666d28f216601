"""The plan as text: one line per step, then how each rule is enforced (``synthdsl plan``).

Input: a ``Plan``. Output: a readable listing, as sqlglot's ``Step.to_s`` or polars' ``explain``: tables
in order, each step with its kind, id, what it does and what it reads.
"""

from __future__ import annotations


def _input(i) -> str:  # a plan.model.Input (model imports this module)
    if i.kind == "column":
        return i.name
    if i.kind == "aggregate":
        return i.name if "(" in i.name else f"{i.table}.{i.name}"  # a value or a child column
    if i.kind in ("parent", "related"):
        return f"{i.table}.{i.name}"
    return f"{i.kind}:{i.name}"


def plan_text(plan) -> str:
    """``plan`` (a ``plan.model.Plan``) as text."""
    out = [
        f"plan  seed={plan.seed}  locale={plan.locale}  today={plan.today}  block={plan.block_rows} rows"
    ]
    for d in plan.datasets:
        out.append(f"dataset {d.name}  {d.display}  ({d.rows} rows, sha256 {d.sha256[:12]})")
    for b in plan.budgets:
        delta = f" delta {b.delta:g}" if b.delta else ""
        spent = f" delta {b.spent_delta:g}" if b.spent_delta else ""
        out.append(
            f"budget {b.dataset}  epsilon {b.epsilon:g}{delta}  "
            f"(models spend epsilon {b.spent_epsilon:g}{spent})"
        )
    for m in plan.models:
        out += _model_lines(m, plan.spec_dir)
    for t in plan.tables:
        if t.rows is not None:
            size = f"{t.rows} rows"
        elif t.count is not None:
            size = f"rows per {t.parent} ~ {t.count.text}"
        else:
            size = f"rows made by the simulation of {t.fed_by}"
        mode = "  [sequential: table-wide rule]" if t.sequential else ""
        out.append(f"table {t.name}  ({size}){mode}")
        for i, s in enumerate(t.steps, 1):
            reads = list(dict.fromkeys(_input(x) for x in s.inputs))
            inputs = f"  <- {', '.join(reads)}" if reads else ""
            out.append(f"  {i:>2}. {s.kind:<23} {s.id}: {s.describe}{inputs}")
            out += [f"{'':>30}{line}" for line in s.details]
        for r in t.rules:
            redraw = (
                f"  (redraws {', '.join(r.redraw)})" if r.redraw and not r.by_construction else ""
            )
            out.append(f"  rule {r.name} [{', '.join(r.columns)}]: {r.enforcement}{redraw}")
    return "\n".join(out)


def _model_lines(m, spec_dir: str | None) -> list[str]:
    """A model: its kind, dataset, privacy and the planned split of its budget (the artifact's
    folder relative to the spec's, so the text does not depend on where the checkout lives)."""
    import os

    if m.dataset is None:
        nodes = m.options.get("network", {}).get("nodes", [])
        edges = "; ".join(
            f"{n['name']} <- {', '.join(n['parents'])}" for n in nodes if n["parents"]
        )
        return [f"model {m.name} : {m.kind}  declared: {len(nodes)} nodes ({edges or 'no edges'})"]
    artifact = m.artifact
    if spec_dir is not None:
        artifact = os.path.relpath(m.artifact, spec_dir).replace(os.sep, "/")
    given = f" given {', '.join(m.given)}" if m.given else ""
    if m.epsilon is None:
        privacy = "privacy none: NOT differentially private"
    else:
        privacy = f"epsilon {m.epsilon:g}" + (f" delta {m.delta:g}" if m.delta else "")
    out = [
        f"model {m.name} : {m.kind}  learns {len(m.columns)} columns of {m.dataset}{given}  "
        f"[{privacy}]  artifact {artifact} (key {m.key[:12]})"
    ]
    for x in m.mechanisms:
        delta = f" delta {x.delta:g}" if x.delta else ""
        out.append(f"    {x.name:<28} epsilon {x.epsilon:.4g}{delta}  {x.what}")
    return out
