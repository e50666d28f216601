"""Step kinds: the protocol (``base``), the random source (``source``) and the built-in kinds."""

from synthdsl.steps import (  # noqa: F401 - registers the built-in kinds
    children,
    columns,
    model,
    simulate,
)
from synthdsl.steps.base import (
    STEP_KINDS,
    BuildEnv,
    Emitted,
    Step,
    StepKind,
    StepOutput,
    kind_of,
    register,
)

__all__ = [
    "STEP_KINDS",
    "BuildEnv",
    "Emitted",
    "Step",
    "StepKind",
    "StepOutput",
    "kind_of",
    "register",
]
