"""Step kinds defined by the test suite, registered as a plug-in package would register them
(an entry point in the group ``synthdsl.steps``; see ``test_plugins.py``)."""

from __future__ import annotations

import numpy as np

from synthdsl.steps import Emitted, StepOutput
from synthdsl.values import Values

CALLS: list[dict] = []  # what each run saw: rows, whether it was a redraw, what it drew


class JointStep:
    """Fills several columns at once from one stream: a correlated normal pair, optionally with
    its mean moved by another column of the row (``given``)."""

    def __init__(self, spec, env):
        self.spec = spec
        self.rho = float(spec.params["rho"])
        self.given = spec.params.get("given")

    def describe(self) -> str:
        return f"correlated normal pair (rho {self.rho})"

    def run(self, ctx) -> StepOutput:
        z = ctx.rng.standard_normal((ctx.n, 2))
        x = z[:, 0]
        y = self.rho * z[:, 0] + np.sqrt(1 - self.rho**2) * z[:, 1]
        if self.given is not None:
            shift = ctx.cols[self.given].data.astype(np.float64) * 10
            x, y = x + shift, y + shift
        a, b = self.spec.outputs
        CALLS.append({"rows": ctx.rows.copy(), "redo": ctx.streams.redo, a: x.copy(), b: y.copy()})
        return StepOutput({a: Values(x), b: Values(y)})


class JointKind:
    name = "test.joint"

    def build(self, spec, env):
        return JointStep(spec, env)


class EventsStep:
    """Emits each parent row's events into a child table: how many comes from its own stream
    (``count``, so every block knows its child rows' numbers before it runs), and the event's
    number within its parent is given with the rows; the child's own steps fill the rest."""

    def __init__(self, spec, env):
        self.spec = spec
        self.child = spec.emits[0]

    def describe(self) -> str:
        return f"events into {self.child}"

    def count(self, ctx) -> np.ndarray:
        return ctx.rng.integers(0, 4, ctx.n)

    def run(self, ctx) -> StepOutput:
        counts = ctx.env.counts(self, ctx)
        parent = np.repeat(np.arange(ctx.n), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        seq = np.arange(len(parent)) - starts + 1
        return StepOutput(emitted={self.child: Emitted(parent, {"seq": Values(seq)})})


class EventsKind:
    name = "test.events"

    def build(self, spec, env):
        return EventsStep(spec, env)
