"""The data card: ``<out>/card.json``, the record of how a dataset was made.

Input: a ``Card`` the engine fills after a run (spec hash, seed, tables, rules, ...). Output:
``card.json`` beside the data, written atomically with sorted keys, 2-space indent and a trailing
newline, so two identical runs give identical cards and a card diff shows only real changes. The
JSON schema of the card is published as ``docs/card.schema.json``; regenerate it after changing a
model with::

    .venv/bin/python -m synthdsl.card.model docs/card.schema.json

Models forbid unknown fields (``extra="forbid"``): a misspelled field fails at construction instead
of silently vanishing, and the published schema says ``additionalProperties: false`` so a consumer
can tell a card from a stranger JSON file. Later issues extend the card by adding typed, defaulted
fields here (old code paths keep working) and regenerating the schema; a test keeps the two in
step. Issue 4 added ``synthesis``, ``datasets``, ``evaluation`` and ``TableReport.parent``; the
human-readable ``card.md`` and its schema.org JSON-LD are rendered from this model by
``synthdsl.card.markdown``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthdsl.sinks._atomic import atomic_write_bytes

CARD_FILE = "card.json"
SHA256_PATTERN = "^[0-9a-f]{64}$"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Generators whose values are real data, not generated (pass-through columns, a later issue).
REAL_GENERATORS = frozenset({"real", "copied"})

Synthesis = Literal["fully synthetic", "partially synthetic"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleReport(_Model):
    """How one rule was enforced during generation."""

    table: str = Field(description="Table the rule belongs to.")
    rule: str = Field(description="The rule as written in the spec.")
    columns: list[str] = Field(description="Columns the rule reads.")
    enforcement: str = Field(description="How the rule was met, e.g. 'redraw' or 'construct'.")
    redrawn_rows: int = Field(ge=0, description="Rows regenerated to satisfy the rule.")
    kept_states: int | None = Field(
        default=None,
        ge=0,
        description="Simulated entity-steps at which no redraw met the rule, so the entity kept "
        "its state (rules of a simulated table only).",
    )


class ColumnReport(_Model):
    """Where one column's values came from."""

    name: str
    type: str = Field(description="The column type as written in the spec, e.g. 'decimal(10,2)?'.")
    generator: str = Field(
        description="e.g. 'distribution: normal', 'faker.name', 'computed', 'lookup', 'ref'."
    )


class TableReport(_Model):
    """One generated table."""

    name: str
    rows: int = Field(ge=0)
    columns: list[ColumnReport]
    files: list[str] = Field(description="Output files holding the table, relative to card.json.")
    parent: str | None = Field(
        default=None, description="The parent table when rows are drawn per parent row."
    )
    simulated: str | None = Field(
        default=None,
        description="How a simulation shaped the table: its calendar for the simulated table, "
        "or the simulation that made its rows.",
    )


class DatasetReport(_Model):
    """A dataset file the spec read: identified by its hash; none of its rows or values."""

    name: str = Field(description="The dataset's name in the spec.")
    path: str = Field(description="The file's path as declared, relative to the spec.")
    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the file's bytes.")
    rows: int = Field(ge=0, description="Rows in the file.")
    role: Literal["lookup", "learned"] = Field(
        default="lookup",
        description="'lookup': values are looked up or drawn from it; 'learned': a model learned "
        "from it (its privacy budget is under 'privacy').",
    )


class MechanismReport(_Model):
    """One differentially private release inside a model's fit."""

    name: str = Field(description="e.g. 'rows', 'histogram:age', 'structure', 'conditionals'.")
    what: str = Field(description="What it releases, in words.")
    epsilon: float = Field(ge=0)
    delta: float = Field(default=0.0, ge=0)


class RuleBreaks(_Model):
    rule: str
    rows: int = Field(ge=0)
    private: bool = Field(description="A differentially private (noisy) count.")


class ModelReport(_Model):
    """A model that learned from a dataset: its privacy, and how its budget was spent."""

    name: str
    kind: str = Field(description="The model kind, e.g. 'bayesnet'.")
    dataset: str | None = Field(description="The dataset it learned from; null when declared.")
    columns: list[str] = Field(description="The columns it learned.")
    given: list[str] = Field(default_factory=list, description="Columns it was drawn given.")
    privacy: Literal["differential privacy", "none", "declared"] = Field(
        description="'none': learned WITHOUT differential privacy (`privacy none`); 'declared': "
        "written in the spec (nodes and tables), learned from no data."
    )
    epsilon: float | None = Field(default=None, description="Epsilon spent; null without DP.")
    delta: float | None = Field(default=None, description="Delta spent; null without DP.")
    mechanisms: list[MechanismReport] = Field(default_factory=list)
    artifact_key: str | None = Field(
        default=None, pattern=SHA256_PATTERN, description="The fitted artifact's key (learned)."
    )
    artifact_sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="SHA-256 of the artifact's model.json: which fit made the data (two fits of "
        "one key differ by their DP noise).",
    )
    structure: dict[str, list[str]] = Field(
        default_factory=dict, description="Each learned node's parents (Bayesian networks)."
    )
    training: TrainingReport | None = Field(
        default=None, description="How a neural model was trained (null for other kinds)."
    )
    rules_broken_in_training: list[RuleBreaks] = Field(
        default_factory=list,
        description="Per rule over the model's columns, the training rows that broke it (a "
        "noisy count under DP). Generated rows hold every rule whatever this says.",
    )


class TrainingReport(_Model):
    """How a neural model (``dpcgan``) was trained, and what DP-SGD's accountant spent."""

    epochs: float = Field(description="Epochs run (steps times the sampling rate under DP).")
    steps: int = Field(ge=0)
    device: str = Field(description="'cpu' or 'cuda': where training ran.")
    stopped: str = Field(description="Why training stopped: the planned steps, or a time limit.")
    seconds: float = Field(ge=0)
    noise_multiplier: float | None = Field(
        default=None, description="DP-SGD's sigma; null without DP."
    )
    clip: float | None = Field(default=None, description="The per-sample gradient bound.")
    sample_rate: float | None = Field(default=None, description="Poisson sampling's rate q.")
    accountant: str | None = None
    epsilon_spent: float | None = Field(
        default=None, description="The accountant's epsilon after training (<= the training share)."
    )


class PrivacyReport(_Model):
    """What all models spent on one dataset (sequential composition: their budgets add up)."""

    dataset: str
    epsilon: float | None = Field(description="Total epsilon; null when a model used no DP.")
    delta: float = Field(ge=0)
    budget_epsilon: float | None = Field(default=None, description="The spec's `budget` line.")
    budget_delta: float | None = None
    models: list[str]
    without_privacy: list[str] = Field(
        default_factory=list, description="Models that learned from it with `privacy none`."
    )


class EvaluationRows(_Model):
    """Row counts the evaluation compared."""

    real: int = Field(ge=0)
    synthetic: int = Field(ge=0)
    holdout: int | None = Field(default=None, ge=0, description="Null when no holdout was given.")


class EvaluationSummary(_Model):
    """The headline figures of ``synthdsl evaluate``; the full result is in the report JSON.

    Scores are in [0, 1], higher is better (for privacy: safer). Risks are anonymeter's risk (what
    the attack gains over its baseline guess), lower is safer; null when the attack was skipped.
    """

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    fidelity_score: float = Field(ge=0, le=1)
    utility_score: float | None = Field(
        default=None, ge=0, le=1, description="Null when no target was given."
    )
    privacy_score: float = Field(ge=0, le=1)
    exact_match_rate: float = Field(
        ge=0, le=1, description="Share of synthetic rows equal to a real row."
    )
    membership_inference_auc: float | None = Field(
        default=None, ge=0, le=1, description="Null when no holdout was given."
    )
    singling_out_risk: float | None = Field(default=None, description="Null when not run.")
    linkability_risk: float | None = Field(default=None, description="Null when not run.")
    inference_risk: float | None = Field(
        default=None, description="The highest attribute-inference risk over the columns attacked."
    )
    rows: EvaluationRows
    target: str | None = Field(default=None, description="The utility target column, if any.")
    report: str | None = Field(
        default=None, description="The HTML report's file name, relative to card.json."
    )
    json_report: str | None = Field(
        default=None,
        alias="json",
        description="The evaluation JSON's file name, relative to card.json.",
    )
    real_sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="SHA-256 of the real table's file; null when it was not given as a file.",
    )


class Card(_Model):
    """Everything needed to reproduce and audit a generated dataset."""

    synthdsl_version: str
    spec_sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the spec's bytes.")
    spec_path: str | None = Field(description="The spec's path as given, or null for inline text.")
    seed: int
    today: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="The reference date clock-reading providers used as today (the spec's "
        "`today` setting or its default); null only in cards written before the setting existed.",
    )
    format: str = Field(description="Output format: csv, jsonl, parquet or sqlite.")
    chunk_size: int | None = Field(default=None, ge=1, description="Rows per chunk, if set.")
    tables: list[TableReport]
    rules: list[RuleReport]
    synthesis: Synthesis = Field(
        default="fully synthetic",
        description="'fully synthetic' when every column is generated; 'partially synthetic' when "
        "some columns hold real values (see tables[].columns[].generator).",
    )
    datasets: list[DatasetReport] = Field(
        default_factory=list, description="Dataset files the spec read, by hash (never rows)."
    )
    models: list[ModelReport] = Field(
        default_factory=list, description="Models learned from datasets (issue 11)."
    )
    privacy: list[PrivacyReport] = Field(
        default_factory=list,
        description="Privacy budget spent per dataset that models learned from (epsilon, delta, "
        "models). Empty when no model learned from real data: no budget spent.",
    )
    evaluation: EvaluationSummary | None = Field(
        default=None, description="The evaluation summary; null until ``synthdsl evaluate`` ran."
    )


def synthesis_of(generators: Iterable[str]) -> Synthesis:
    """'partially synthetic' when any column's generator passes real values through."""
    real = any(g in REAL_GENERATORS for g in generators)
    return "partially synthetic" if real else "fully synthetic"


def card_schema() -> dict[str, Any]:
    """The JSON schema of ``card.json`` (what ``docs/card.schema.json`` must contain)."""
    schema = Card.model_json_schema()
    return {"$schema": SCHEMA_DIALECT, **schema}


def card_schema_text() -> str:
    """``card_schema()`` in the exact text form committed as ``docs/card.schema.json``."""
    return _dumps(card_schema())


def card_json(card: Card) -> str:
    """The exact text ``write_card`` writes."""
    return _dumps(card.model_dump(mode="json"))


def write_card(out_dir: Path, card: Card) -> Path:
    """Write ``out_dir/card.json`` atomically (no reader sees half a card); returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(out_dir / CARD_FILE, card_json(card).encode("utf-8"))


def read_card(path: Path) -> Card:
    """Load and validate a ``card.json``."""
    return Card.model_validate_json(Path(path).read_bytes())


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Print the card schema, or write it to the path given (used to regenerate the docs copy)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        atomic_write_bytes(Path(args[0]), card_schema_text().encode("utf-8"))
    else:
        sys.stdout.write(card_schema_text())


if __name__ == "__main__":
    main()
