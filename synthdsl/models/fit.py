"""Fitting a spec's models: read the dataset, learn with secure noise, write the artifact.

Input: the plan's ``ModelSpec`` values and the loaded datasets. Output: an artifact per model (its key
names it), and for ``ensure`` what was done per model. ``generate`` fits a missing artifact (and says
so) but refuses a stale one: refitting spends privacy budget again, so it only happens when asked
(``synthdsl fit --force``).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from pathlib import Path
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


@contextlib.contextmanager
def fitting(spec: ModelSpec):
    """One fit of a model's artifact at a time: a second process waits for the first, then finds
    the artifact written (and fits nothing, spending no budget twice). ``flock`` on a file beside
    the artifact's folder, released by the system if the process dies."""
    folder = Path(spec.artifact)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder.parent / f".{folder.name}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise SynthError(
            f"model '{spec.name}': cannot write its artifact in {folder.parent} ({exc.strerror}); "
            "choose a folder with --artifacts DIR"
        ) from None
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # no flock (Windows): fits are not serialized
            pass
        yield
    finally:
        os.close(fd)


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
        if state == "missing":
            with fitting(spec):
                state = artifacts.status(spec)  # another run may have fitted it meanwhile
                if state == "missing":
                    if say is not None:
                        say(
                            f"model '{spec.name}' has no artifact in {spec.artifact}: fitting "
                            f"it now (learning from dataset '{spec.dataset}')"
                        )
                    fit_model(spec, datasets, progress)
                    done[spec.name] = "fitted"
                    continue
        if state != "ok":
            raise artifacts.ArtifactStale(state)
        done[spec.name] = "ok"
    return done
