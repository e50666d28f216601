"""The dataset card of a run: provenance, row counts, and how each rule was enforced."""

from __future__ import annotations

from pathlib import Path

from synthdsl import __version__
from synthdsl.sinks.card import Card, ColumnReport, RuleReport, TableReport


def _generator(info) -> str:
    if info.kind == "ref":
        return f"ref {info.ref[0]}.{info.ref[1]}"
    if info.kind == "provider":
        return info.compiled.provider.qualname
    if info.kind == "draw" and info.compiled is not None and info.compiled.dist is not None:
        return f"distribution: {info.compiled.dist.dist.name}"
    if info.kind == "draw" and info.compiled is not None and info.compiled.cat is not None:
        return "distribution: categorical"
    return info.kind


def build_card(
    spec, rt, fmt: str, files: list[Path], out: Path, chunk_size: int | None = None
) -> Card:
    plan = rt.plan
    tables = []
    for name, t in spec.checked.tables.items():
        cols = [
            ColumnReport(name=c.name, type=str(c.dtype), generator=_generator(c))
            for c in t.columns.values()
        ]
        own = [str(f.relative_to(out)) for f in files if f.stem == name or f.suffix == ".sqlite"]
        tables.append(TableReport(name=name, rows=rt.totals.get(name, 0), columns=cols, files=own))
    rules = []
    for tp in plan.tables:
        for r in tp.rules:
            rules.append(
                RuleReport(
                    table=tp.name,
                    rule=r.name,
                    columns=r.columns,
                    enforcement=r.enforcement,
                    redrawn_rows=rt.stats.redrawn.get((tp.name, r.name), 0),
                )
            )
    return Card(
        synthdsl_version=__version__,
        spec_sha256=spec.checked.sha256,
        spec_path=Path(spec.checked.path).name,
        seed=rt.seed,
        format=fmt,
        chunk_size=chunk_size,
        tables=tables,
        rules=rules,
    )
