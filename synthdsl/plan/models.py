"""Plan: the spec's models as ``ModelSpec`` values, and the step that draws a model's columns.

Input: the checked spec's models (``check.models.ModelInfo``). Output: per model its kind, dataset,
typed columns, privacy and the kind's planned split of the budget into mechanisms, the artifact it is
fitted into and the key that names that artifact; per table that draws one, a ``model`` step that fills
all the drawn columns at once given the ``given`` columns (a rule over them redraws the whole step).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from synthdsl import __version__
from synthdsl.check.model import CheckedSpec, TableInfo
from synthdsl.plan.model import (
    DTypeSpec,
    Input,
    MechanismSpec,
    ModelColumnSpec,
    ModelSpec,
    StepSpec,
)

ARTIFACTS = Path(".synthdsl") / "models"  # the default artifacts folder, beside the spec


def artifacts_folder(spec_path: str, spec_sha256: str = "") -> Path:
    """``.synthdsl/models/<spec's stem>`` beside the spec: two specs in one folder with a model of
    the same name keep apart; a spec from a string is named by its text's hash."""
    if spec_path == "<string>":
        return Path.cwd() / ARTIFACTS / f"inline-{spec_sha256[:16]}"
    path = Path(spec_path).resolve()
    return path.parent / ARTIFACTS / _folder_name(path.stem)


def _folder_name(name: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}", name):
        return name
    return "model-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|\s+|[^"\'\s/]+|/')


def normalized(text: str) -> str:
    """A model block's text without comments and with runs of blanks as one space: a comment or
    re-indent does not change what the model learns (nor make its artifact stale)."""
    out: list[str] = []
    for tok in _TOKENS.findall(text):
        if tok.startswith("//") or tok.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(tok)
    return "".join(out).strip()


def key_parts(m: ModelSpec) -> dict[str, str]:
    """What an artifact depends on, each part hashed alone so a stale one says what changed."""
    cols = [[c.name, c.dtype.model_dump(), c.clamp, c.round] for c in m.columns]
    return {
        "kind": m.kind,
        "dataset": m.dataset_sha256,
        "model": _sha(normalized(m.text)),
        "columns": _sha(json.dumps(cols, sort_keys=True)),
        "given": _sha(json.dumps(list(m.given))),
        "rules": _sha(json.dumps([[r["name"], r["expr"]] for r in m.rules], sort_keys=True)),
        "engine": __version__,
    }


def key_of(parts: dict[str, str]) -> str:
    return _sha(json.dumps(parts, sort_keys=True))


def _training_rules(spec: CheckedSpec, m, to_json) -> tuple[dict, ...]:
    """The drawing table's row rules that read only the model's columns (spans left out: the key
    must not change when a rule moves to another line)."""
    t = spec.tables[m.table]
    out = []
    for r in t.rules:
        if r.kind == "row" and r.columns and set(r.columns) <= set(m.columns):
            out.append({"name": r.name, "expr": _without_spans(to_json(r.node.expr))})
    return tuple(out)


def _without_spans(value):
    if isinstance(value, dict):
        return {k: _without_spans(v) for k, v in value.items() if k != "at"}
    if isinstance(value, list):
        return [_without_spans(v) for v in value]
    return value


def model_specs(spec: CheckedSpec, where, to_json=None) -> tuple[ModelSpec, ...]:
    folder = artifacts_folder(spec.path, spec.sha256)
    out = []
    for name, m in spec.models.items():
        columns = tuple(
            ModelColumnSpec(
                name=c,
                dtype=DTypeSpec.of(m.dtypes[c]),
                clamp=m.clamps.get(c),
                round=m.rounds.get(c),
            )
            for c in m.columns
        )
        if m.network is not None:  # declared: nothing to fit, no artifact, no budget
            out.append(
                ModelSpec(
                    name=name,
                    kind=m.node.kind,
                    columns=columns,
                    given=tuple(m.given),
                    options={"network": m.network},
                    text=m.node.text,
                    at=where(m.node.span),
                )
            )
            continue
        ds = spec.datasets[m.dataset]
        draft = ModelSpec(
            name=name,
            kind=m.node.kind,
            dataset=m.dataset,
            dataset_sha256=ds.sha256,
            columns=columns,
            given=tuple(m.given),
            weight=m.weight,
            focus=m.focus,
            epsilon=m.epsilon,
            delta=m.delta,
            options=m.options,
            rules=_training_rules(spec, m, to_json) if to_json is not None else (),
            text=m.node.text,
            artifact=str(folder / _folder_name(name)),
            at=where(m.node.span),
        )
        parts = key_parts(draft)
        mechanisms = tuple(
            MechanismSpec(name=x.name, what=x.what, epsilon=x.epsilon, delta=x.delta)
            for x in m.kind.mechanisms(draft)
        )
        out.append(
            draft.model_copy(
                update={"key": key_of(parts), "key_parts": parts, "mechanisms": mechanisms}
            )
        )
    return tuple(out)


CATEGORICAL = ("text", "enum", "bool")


def shaped_rules(t: TableInfo, model: ModelSpec) -> list[str]:
    """Row rules that read only the model's categorical columns: the model step zeroes its tables
    where they fail (the rule check still verifies every row). Only a Bayesian network has
    tables to shape; other kinds' failing rows are redrawn."""
    if model.kind != "bayesnet":
        return []
    kinds = {c.name: c.dtype.kind for c in model.columns}
    drawn = {c for c, owner in t.models.items() if owner == model.name}
    out = []
    for r in t.rules:
        cols = set(r.columns)
        if (
            r.kind == "row"
            and cols
            and cols <= set(kinds)
            and cols & drawn
            and all(kinds[c] in CATEGORICAL for c in cols)
        ):
            out.append(r.name)
    return out


def model_step(t: TableInfo, model: ModelSpec) -> StepSpec:
    drawn = tuple(c for c, owner in t.models.items() if owner == model.name)
    privacy = (
        "privacy none"
        if model.epsilon is None
        else f"epsilon {model.epsilon:g}" + (f" delta {model.delta:g}" if model.delta else "")
    )
    given = f" given {', '.join(model.given)}" if model.given else ""
    if model.dataset is None:
        source, inputs = "declared in the spec", ()
    else:
        source = f"learned from {model.dataset}; {privacy}"
        inputs = (Input(kind="artifact", name=model.name),)
    return StepSpec(
        id=f"{t.name}.model:{model.name}",
        kind="model",
        table=t.name,
        outputs=drawn,
        inputs=(*(Input(kind="column", name=g) for g in model.given), *inputs),
        stream=(t.name, "model", model.name),
        params={"model": model.name, "shape": shaped_rules(t, model)},
        late=any(c in t.late for c in drawn),
        describe=f"({', '.join(drawn)}) ~ {model.name}{given}  [{model.kind} {source}]",
    )
