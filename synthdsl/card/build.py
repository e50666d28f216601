"""The dataset card of a run: provenance, row counts, how each rule was enforced, and evaluation.

Input: the plan and the runtime of a finished run (``build_card``), or an evaluation result
(``summarize_evaluation``). Output: a ``Card`` (``synthdsl.card.model``) that ``Spec.write`` saves as
``card.json`` and ``card.md``; ``attach_evaluation`` later adds the evaluation summary to both.
Datasets the spec read are identified by the SHA-256 of their bytes: no row of them reaches a card.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synthdsl import __version__
from synthdsl.card.markdown import write_card_md
from synthdsl.card.model import (
    CARD_FILE,
    Card,
    ColumnReport,
    DatasetReport,
    EvaluationRows,
    EvaluationSummary,
    MechanismReport,
    ModelReport,
    PrivacyReport,
    RuleBreaks,
    RuleReport,
    TableReport,
    TrainingReport,
    card_json,
    synthesis_of,
)
from synthdsl.errors import DataError
from synthdsl.sinks._atomic import atomic_write_bytes

_HASH_BLOCK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (datasets and real tables can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def dataset_reports(plan) -> list[DatasetReport]:
    """The plan's datasets by name, declared path and hash; 'learned' when a model learned from it."""
    learned = {m.dataset for m in plan.models}
    return [
        DatasetReport(
            name=d.name,
            path=d.display,
            sha256=d.sha256,
            rows=d.rows,
            role="learned" if d.name in learned else "lookup",
        )
        for d in plan.datasets
    ]


def model_reports(plan) -> tuple[list[ModelReport], list[PrivacyReport]]:
    """Each model's privacy and budget split, and the totals per dataset."""
    from synthdsl.models import artifacts

    models = []
    for m in plan.models:
        structure: dict[str, list[str]] = {}
        breaks: list[RuleBreaks] = []
        if m.dataset is None:
            nodes = m.options.get("network", {}).get("nodes", [])
            models.append(
                ModelReport(
                    name=m.name,
                    kind=m.kind,
                    dataset=None,
                    columns=[c.name for c in m.columns],
                    given=list(m.given),
                    privacy="declared",
                    structure={n["name"]: list(n["parents"]) for n in nodes},
                )
            )
            continue
        try:
            report = artifacts.load_doc(m).get("report", {})
            structure = {
                str(k): [str(p) for p in v] for k, v in report.get("structure", {}).items()
            }
            breaks = [RuleBreaks(**b) for b in report.get("rules_broken", [])]
            fit_sha = file_sha256(Path(m.artifact) / artifacts.JSON_NAME)
            t = report.get("training")
            training = (
                TrainingReport(**{k: t[k] for k in TrainingReport.model_fields if k in t})
                if isinstance(t, dict)
                else None
            )
        except (artifacts.ArtifactError, AttributeError, TypeError, ValueError, OSError):
            structure, breaks, fit_sha, training = {}, [], None, None
        models.append(
            ModelReport(
                name=m.name,
                kind=m.kind,
                dataset=m.dataset or "",
                columns=[c.name for c in m.columns],
                given=list(m.given),
                privacy="none" if m.epsilon is None else "differential privacy",
                epsilon=m.epsilon,
                delta=None if m.epsilon is None else (m.delta or 0.0),
                mechanisms=[
                    MechanismReport(name=x.name, what=x.what, epsilon=x.epsilon, delta=x.delta)
                    for x in m.mechanisms
                ],
                artifact_key=m.key,
                artifact_sha256=fit_sha,
                structure=structure,
                training=training,
                rules_broken_in_training=breaks,
            )
        )
    budgets = {b.dataset: b for b in plan.budgets}
    privacy = []
    for ds in dict.fromkeys(m.dataset for m in plan.models if m.dataset is not None):
        mine = [m for m in plan.models if m.dataset == ds]
        open_ = [m.name for m in mine if m.epsilon is None]
        b = budgets.get(ds)
        privacy.append(
            PrivacyReport(
                dataset=ds or "",
                epsilon=None if open_ else sum(m.epsilon or 0.0 for m in mine),
                delta=sum(m.delta or 0.0 for m in mine),
                budget_epsilon=b.epsilon if b else None,
                budget_delta=b.delta if b else None,
                models=[m.name for m in mine],
                without_privacy=open_,
            )
        )
    return models, privacy


def build_card(
    plan, rt, fmt: str, files: list[Path], out: Path, chunk_size: int | None = None
) -> Card:
    """The card of a finished run, from the plan that ran (no spec needed: ``generate --plan``)."""
    tables = []
    for t in plan.tables:
        cols = [
            ColumnReport(name=c.name, type=str(c.dtype.dtype()), generator=c.generator)
            for c in t.columns
        ]
        own = [str(f.relative_to(out)) for f in files if f.stem == t.name or f.suffix == ".sqlite"]
        tables.append(
            TableReport(
                name=t.name,
                rows=rt.totals.get(t.name, 0),
                columns=cols,
                files=own,
                parent=t.parent,
                simulated=_simulated(plan, t),
            )
        )
    models, privacy = model_reports(plan)
    rules = []
    for tp in plan.tables:
        for r in tp.rules:
            rules.append(
                RuleReport(
                    table=tp.name,
                    rule=r.name,
                    columns=list(r.columns),
                    enforcement=r.enforcement,
                    redrawn_rows=rt.stats.redrawn.get((tp.name, r.name), 0),
                    kept_states=rt.stats.kept.get((tp.name, r.name))
                    if "every simulation step" in r.enforcement
                    else None,
                )
            )
    return Card(
        synthdsl_version=__version__,
        spec_sha256=plan.spec_sha256,
        spec_path=plan.spec_path,
        seed=rt.seed,
        today=plan.today,
        format=fmt,
        chunk_size=chunk_size,
        tables=tables,
        rules=rules,
        synthesis=synthesis_of(c.generator for t in tables for c in t.columns),
        datasets=dataset_reports(plan),
        models=models,
        privacy=privacy,
    )


def summarize_evaluation(
    result: Mapping[str, Any],
    *,
    report: str | None = None,
    json_name: str | None = None,
    real_sha256: str | None = None,
) -> EvaluationSummary:
    """The card's summary of an evaluation result (``Evaluation.model_dump()`` or its JSON).

    Missing optional parts (utility without a target, attacks not run, no holdout) become nulls;
    a result without the contract's scores raises ``DataError``.

    Args:
        result: the evaluation's JSON form: ``fidelity``, ``utility``, ``privacy``, ``settings``.
        report: the HTML report's file name, relative to the card.
        json_name: the evaluation JSON's file name, relative to the card.
        real_sha256: SHA-256 of the real table's file, when it was given as a file.
    """
    fidelity = _part(result, "fidelity")
    utility = _part(result, "utility")
    privacy = _part(result, "privacy")
    settings = _part(result, "settings")
    rows = _part(settings, "rows")
    attacks = _part(privacy, "attacks")
    inference = [_risk(a) for a in _part(attacks, "inference").values()]
    inference = [r for r in inference if r is not None]
    try:
        return EvaluationSummary(
            fidelity_score=_required(fidelity, "fidelity", "score"),
            utility_score=utility.get("score"),
            privacy_score=_required(privacy, "privacy", "score"),
            exact_match_rate=_required(privacy, "privacy", "exact_match_rate"),
            membership_inference_auc=privacy.get("membership_inference_auc"),
            singling_out_risk=_risk(attacks.get("singling_out")),
            linkability_risk=_risk(attacks.get("linkability")),
            inference_risk=max(inference) if inference else None,
            rows=EvaluationRows(
                real=_required(rows, "settings.rows", "real"),
                synthetic=_required(rows, "settings.rows", "synthetic"),
                holdout=rows.get("holdout"),
            ),
            target=settings.get("target", utility.get("target")),
            report=report,
            json_report=json_name,
            real_sha256=real_sha256,
        )
    except ValidationError as err:
        raise DataError(f"the evaluation result is not valid: {_first_error(err)}") from None


def _part(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def _required(obj: Mapping[str, Any], where: str, key: str) -> Any:
    if obj.get(key) is None:
        raise DataError(f"the evaluation result has no {where}.{key}")
    return obj[key]


def _risk(attack: Any) -> float | None:
    """An attack's risk; None when it was skipped or not run."""
    if not isinstance(attack, Mapping) or attack.get("risk") is None:
        return None
    return float(attack["risk"])


def attach_evaluation(card_path: str | Path, summary: EvaluationSummary) -> Card:
    """Set a card's ``evaluation`` and rewrite ``card.json`` and ``card.md`` beside it atomically.

    Args:
        card_path: the ``card.json`` of a generated dataset, or the directory holding it.
        summary: from ``summarize_evaluation``.

    Raises:
        DataError: the card is missing or is not a valid synthdsl card.
    """
    path = Path(card_path)
    if path.is_dir():
        path = path / CARD_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(
            f"card not found: {path} (give the card.json that `synthdsl generate` wrote)"
        ) from None
    except OSError as err:
        raise DataError(f"cannot read the card {path}: {err.strerror}") from None
    try:
        card = Card.model_validate_json(data)
    except ValidationError as err:
        raise DataError(f"{path} is not a valid synthdsl card: {_first_error(err)}") from None
    if not isinstance(summary, EvaluationSummary):
        summary = EvaluationSummary.model_validate(summary)
    card = card.model_copy(update={"evaluation": summary})
    atomic_write_bytes(path, card_json(card).encode("utf-8"))
    write_card_md(path.parent, card)
    return card


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    more = err.error_count() - 1
    text = f"{where}: {first['msg']}" if where else first["msg"]
    return text + (f" (and {more} more)" if more else "")


def _simulated(plan, t) -> str | None:
    """The simulated table's calendar, or for a table a simulation makes rows in, which one."""
    if t.fed_by is not None:
        return f"the simulation of `{t.fed_by}`"
    sim = next((s for s in t.steps if s.kind == "simulate"), None)
    return sim.describe.split(", emits")[0] if sim is not None else None
