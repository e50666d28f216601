"""The ``model`` step kind: fills the columns a model draws, at once, given the ``given`` columns.

Input: a ``StepSpec`` naming a model of the plan; the model's artifact (loaded once per process and
verified against the plan's key). Output: the drawn columns for the block's rows, sampled with the
step's stream (the spec's seed), so the same artifact and seed give the same bytes for any chunk size
and worker count. A redraw for failing rows samples all the step's columns again for those rows.
"""

from __future__ import annotations

import os

from synthdsl.expr.context import Ctx
from synthdsl.plan.model import ModelSpec, StepSpec
from synthdsl.steps.base import BuildEnv, SimpleKind, StepOutput, register

_LOADED: dict[tuple, object] = {}  # (artifact folder, key, file stamp) -> sampler, per process


def sampler_for(spec: ModelSpec):
    """The loaded sampler of a model (cached per process; the key pins the artifact's content)."""
    if spec.dataset is None:  # declared in the spec: nothing to load
        from synthdsl.models.bayesnet.declared import declared_sampler

        return declared_sampler(spec)
    from synthdsl.models import artifacts

    try:  # a refit in this process (``fit --force``) writes a new file: never the cached one
        st = os.stat(os.path.join(spec.artifact, artifacts.JSON_NAME))
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (0, 0, 0)
    cache_key = (spec.artifact, spec.key, stamp)
    hit = _LOADED.get(cache_key)
    if hit is None:
        from synthdsl.models.registry import KindUnavailable, model_kind

        art = artifacts.load(spec)
        try:
            kind = model_kind(spec.kind)
        except KindUnavailable as exc:
            from synthdsl.errors import SynthError

            raise SynthError(f"{exc.message}; {exc.hint}") from None
        hit = _LOADED[cache_key] = kind.load(spec, art.meta, art.arrays)
    return hit


class ModelStep:
    def __init__(self, spec: StepSpec, env: BuildEnv):
        self.spec = spec
        name = spec.params.get("model")
        found = [m for m in env.plan.models if m.name == name]
        if not found:
            from synthdsl.errors import SynthError

            raise SynthError(
                f"the plan's step {spec.id} draws model {name!r}, which the plan lacks"
            )
        self.model = found[0]
        self.sampler = sampler_for(self.model)
        shape = spec.params.get("shape", [])
        if shape:  # a private copy: another table's step may shape the same model otherwise
            import copy

            self.sampler = copy.deepcopy(self.sampler)
            rules = {r.name: r for r in env.table(spec.table).rules}
            for rule in shape:
                if rule in rules and rules[rule].expr is not None:
                    _forbid(self.sampler, rules[rule], env, spec.table)

    def describe(self) -> str:
        return self.spec.describe

    def run(self, ctx: Ctx) -> StepOutput:
        given = {g: ctx.cols[g] for g in self.model.given}
        drawn = self.sampler.sample(ctx.n, given, ctx.rng)
        return StepOutput({c: drawn[c] for c in self.spec.outputs})


def _forbid(sampler, rule, env: BuildEnv, table: str) -> None:
    """Zero the model's table entries where ``rule`` fails (rules over categorical columns that one
    table of the network holds): construction instead of rejection, verified by the rule check."""
    import numpy as np

    from synthdsl.expr.context import Ctx

    network = getattr(sampler, "network", None)
    if network is None or not hasattr(network, "forbid") or not hasattr(sampler, "state_values"):
        return
    states = {c: sampler.state_values(c) for c in rule.columns}
    if any(v is None for v in states.values()):
        return
    compiled = env.compile(table, rule.expr)

    def allowed(codes):
        n = len(next(iter(codes.values())))
        cols = {c: states[c][0].take(codes[c]) for c in codes}
        known = np.logical_and.reduce([states[c][1][codes[c]] for c in codes])
        with np.errstate(all="ignore"):
            held = compiled.fn(Ctx(n, cols, np.arange(n), [0]))
        ok = held.data.astype(bool) & ~held.is_null()
        return ok | ~known

    network.forbid(list(rule.columns), allowed)


register(SimpleKind("model", ModelStep))
