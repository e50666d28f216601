"""Fitting a spec's models: read the dataset, learn with secure noise, write the artifact.

Input: the plan's ``ModelSpec`` values and the loaded datasets. Output: an artifact per model (its key
names it), and for ``ensure`` what was done per model. ``generate`` fits a missing artifact (and says
so) but refuses a stale one: refitting spends privacy budget again, so it only happens when asked
(``synthdsl fit --force``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from synthdsl.errors import SynthError
from synthdsl.models import artifacts
from synthdsl.models.noise import SecureNoise
from synthdsl.models.registry import KindUnavailable, model_kind

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

Say = Callable[[str], None]
Progress = Callable[[str, str, float], None]  # (model, what, fraction)


def fit_model(spec: ModelSpec, datasets: dict[str, Any], progress: Progress | None = None) -> str:
    """Fit one model and write its artifact; returns the artifact's folder."""
    try:
        kind = model_kind(spec.kind)
    except KindUnavailable as exc:
        raise SynthError(f"{exc.message}; {exc.hint}") from None
    info = datasets.get(spec.dataset)
    if info is None:
        raise SynthError(f"model '{spec.name}': dataset '{spec.dataset}' is not loaded")
    frame = info.frame
    noise = SecureNoise()

    def step(what: str, done: float) -> None:
        if progress is not None:
            progress(spec.name, what, done)

    fitted = kind.fit(spec, frame, noise, step)
    spent = sum(m.epsilon for m in fitted.mechanisms)
    if spec.epsilon is not None and not math.isclose(spent, spec.epsilon, rel_tol=1e-9):
        raise SynthError(  # a kind that spends other than declared is a bug: never write it
            f"model '{spec.name}': its mechanisms spend epsilon {spent:g}, not the declared "
            f"{spec.epsilon:g}"
        )
    return str(artifacts.write(spec, fitted))


def ensure(
    models, datasets: dict[str, Any], *, say: Say | None = None, progress: Progress | None = None
) -> dict[str, str]:
    """Every model's artifact present and current: fit the missing ones (saying so), refuse stale
    ones. Returns model -> ``ok`` or ``fitted``."""
    done = {}
    for spec in models:
        if spec.dataset is None:  # declared in the spec: nothing to fit
            continue
        state = artifacts.status(spec)
        if state == "ok":
            done[spec.name] = "ok"
            continue
        if state != "missing":
            raise artifacts.ArtifactStale(state)
        if say is not None:
            say(
                f"model '{spec.name}' has no artifact in {spec.artifact}: fitting it now "
                f"(learning from dataset '{spec.dataset}')"
            )
        fit_model(spec, datasets, progress)
        done[spec.name] = "fitted"
    return done
