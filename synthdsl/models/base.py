"""What every model kind implements, and the plain values that pass between the framework and a kind.

Input: nothing (protocols and dataclasses). A kind validates its options at check time (``options``),
says how it will split its privacy budget before any data is read (``mechanisms``: ``synthdsl plan``
prints it), learns from a frame with noise from a secure source (``fit`` -> ``Fitted``: JSON metadata and
numeric arrays, never pickle), and samples from a loaded artifact (``load`` -> ``Sampler``) with the
spec's seed, so output is deterministic from the artifact on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from synthdsl.models.noise import SecureNoise
    from synthdsl.plan.model import ModelSpec
    from synthdsl.values import Values


@dataclass(frozen=True)
class Percent:
    """``1%`` in a model's option line (the fraction is ``value / 100``)."""

    value: float


@dataclass(frozen=True)
class Option:
    """One option line of a model block: its first word and the values after it."""

    name: str
    values: tuple[Any, ...]
    index: int  # its position among the block's option lines (for the caret)


class OptionProblem(Exception):
    """An option a kind refuses: the checker reports it at the option's line."""

    def __init__(self, message: str, index: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message, self.index, self.hint = message, index, hint


@dataclass(frozen=True)
class Mechanism:
    name: str
    what: str
    epsilon: float
    delta: float = 0.0


@dataclass
class Fitted:
    """A fitted model: ``meta`` is JSON (structure, labels, bounds), ``arrays`` numbers only."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    mechanisms: list[Mechanism] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)  # what the card says about the fit
    # network weights, written as safetensors (a format that holds tensors and nothing else)
    weights: dict[str, np.ndarray] = field(default_factory=dict)


Progress = Callable[[str, float], None]  # (what is being done, fraction done in [0, 1])


class Sampler(Protocol):
    def sample(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> dict[str, Values]:
        """``n`` rows of the model's columns; ``given`` holds the columns the rows are conditioned
        on (exactly: every requested value is produced)."""
        ...


class ModelKind(Protocol):
    name: str
    extra: str | None  # the pip extra that provides ``requires``
    requires: tuple[str, ...]  # modules the kind imports (checked at check time)

    def options(self, options: list[Option]) -> dict[str, Any]: ...

    def problems(self, spec: ModelSpec) -> list[str]:
        """What makes this model impossible to fit as declared (checked before any fit)."""
        ...

    def mechanisms(self, spec: ModelSpec) -> list[Mechanism]: ...

    def fit(
        self, spec: ModelSpec, frame: pd.DataFrame, noise: SecureNoise, progress: Progress
    ) -> Fitted: ...

    def load(
        self, spec: ModelSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> Sampler: ...
