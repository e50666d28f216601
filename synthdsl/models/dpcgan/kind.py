"""The ``dpcgan`` kind: options, the budget split, fit and load (the framework's entry points).

Options (lines of the model block):

- ``condition on COL [COL ...]``: the categorical columns draws are given (``~ m given COL`` needs
  its column here). Every categorical column is part of the conditional vector and conditions some
  training rows, one column per row (CTGAN's training-by-sampling, which keeps each column's modes);
  the ``condition on`` columns condition half of the rows between them.
- ``train epochs N [batch B] [minutes M]``: epochs (default 30), the expected batch
  (default 500), a time limit (stops earlier, having spent less budget).
- ``clip C``: DP-SGD's per-sample gradient bound (default 0.1). ``pac P``: PacGAN packing without DP
  (default 10; refused under DP, see train.py). ``generator H H``/``discriminator H H``: layer sizes
  (default 256 256; the discriminator 128 128 with DP). ``learning rate R`` (default 2e-4, 1e-3
  with DP). ``bins B``: quantile modes per numeric
  column (default 20). ``other below P%``: rarer labels share a state (default 0.5% with DP, 0.1%
  without).

The budget split, for ``privacy epsilon E delta D`` (DP-SGD is (epsilon, delta)-DP, so D > 0):

- ``rows``: the row count (for the sampling rate), 1% of E;
- per numeric column ``bounds:COL`` (only without a declared ``clamp``) and ``histogram:COL`` (the
  quantile modes), per categorical column ``categories:COL`` (its labels and their frequencies, which
  the conditional sampler uses): together 10% of E;
- ``rules``: 1% of E, when the drawing table has rules over the model's columns (for the card);
- ``training``: the rest, with D (or half of D when text columns release their labels with the
  other half): DP-SGD through Opacus, calibrated to it.

Sequential composition makes the total exactly (E, D).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.models.base import Fitted, Mechanism, Option, OptionProblem, Percent, Progress
from synthdsl.models.bayesnet import encode, prepare
from synthdsl.models.dpcgan.sample import GanSampler
from synthdsl.models.dpcgan.transform import Layout
from synthdsl.models.rules import count_broken

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

CATEGORICAL = ("text", "enum", "bool")
_ROWS, _PRE = 0.01, 0.10
_NAMES = [
    "condition",
    "train",
    "clip",
    "pac",
    "generator",
    "discriminator",
    "learning",
    "bins",
    "other",
]
DEFAULTS = {
    "epochs": 30,
    "batch": 500,
    "clip": 1.0,
    "pac": 10,
    "generator": (256, 256),
    "discriminator": (256, 256),
    "lr": 2e-4,
    "bins": 20,
    "noise": 128,
}
# Under DP the discriminator's gradient is noisy: a smaller discriminator (less noise in all: it
# grows with the square root of the parameter count), a tighter clip (most per-sample norms
# exceed it, so the clipped signal stands higher over the noise) and a larger learning rate
# (fewer, noisier steps) trained better on Adult at epsilon 3 (benchmarks/bench_dpcgan.py).
DP_DEFAULTS = {"discriminator": (128, 128), "clip": 0.1, "lr": 1e-3}


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _whole(o: Option, v: Any, lo: int, hi: int, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise OptionProblem(f"{what} must be a whole number from {lo:,} to {hi:,}", o.index)
    return v


class DpcganKind:
    name = "dpcgan"
    extra = "neural"
    requires = ("torch", "opacus", "safetensors")

    # ---- check time
    def options(self, options: list[Option]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: set[str] = set()
        for o in options:
            if o.name in seen:
                raise OptionProblem(f"option '{o.name}' is given twice", o.index)
            seen.add(o.name)
            v = o.values
            if o.name == "condition":
                if len(v) < 2 or v[0] != "on" or not all(isinstance(x, str) for x in v[1:]):
                    raise OptionProblem(
                        "write `condition on COLUMN` (one or more column names)", o.index
                    )
                if len(set(v[1:])) != len(v) - 1:
                    raise OptionProblem("a column is named twice in `condition on`", o.index)
                out["condition"] = list(v[1:])
            elif o.name == "train":
                if not v or len(v) % 2:
                    raise OptionProblem(
                        "write `train epochs N [batch B] [minutes M]`",
                        o.index,
                        "e.g. `train epochs 300 batch 500`",
                    )
                for key, val in zip(v[::2], v[1::2], strict=True):
                    if key == "epochs":
                        out["epochs"] = _whole(o, val, 1, 100_000, "epochs")
                    elif key == "batch":
                        out["batch"] = _whole(o, val, 2, 1_000_000, "the batch")
                    elif key == "minutes":
                        if not _number(val) or not 0 < val <= 10_000:
                            raise OptionProblem("minutes must be above 0", o.index)
                        out["minutes"] = float(val)
                    else:
                        raise OptionProblem(
                            f"`train` takes epochs, batch and minutes, not {key!r}", o.index
                        )
            elif o.name == "clip":
                if len(v) != 1 or not _number(v[0]) or not 0 < v[0] <= 1000:
                    raise OptionProblem("`clip` takes one number above 0", o.index)
                out["clip"] = float(v[0])
            elif o.name == "pac":
                out["pac"] = _whole(o, v[0] if len(v) == 1 else None, 1, 64, "`pac`")
            elif o.name in ("generator", "discriminator"):
                if not 1 <= len(v) <= 6:
                    raise OptionProblem(
                        f"`{o.name}` takes 1 to 6 layer sizes", o.index, f"e.g. `{o.name} 256 256`"
                    )
                out[o.name] = tuple(_whole(o, x, 1, 4096, "a layer size") for x in v)
            elif o.name == "learning":
                if len(v) != 2 or v[0] != "rate" or not _number(v[1]) or not 0 < v[1] < 1:
                    raise OptionProblem("write `learning rate R` with 0 < R < 1", o.index)
                out["lr"] = float(v[1])
            elif o.name == "bins":
                out["bins"] = _whole(o, v[0] if len(v) == 1 else None, 2, 200, "`bins`")
            elif o.name == "other":
                if len(v) != 2 or v[0] != "below" or not isinstance(v[1], Percent):
                    raise OptionProblem(
                        "write `other below P%` (labels rarer than P% share one state)", o.index
                    )
                if not 0 <= v[1].value < 50:
                    raise OptionProblem("`other below` must be from 0% to below 50%", o.index)
                out["other_below"] = v[1].value / 100.0
            else:
                from synthdsl.errors import did_you_mean

                raise OptionProblem(
                    f"dpcgan has no option '{o.name}' (options: {', '.join(_NAMES)})",
                    o.index,
                    did_you_mean(o.name, _NAMES),
                )
        return out

    def problems(self, spec: ModelSpec) -> list[str]:
        out = []
        dp = spec.epsilon is not None
        kinds = {c.name: c.dtype.kind for c in spec.columns}
        if dp and not spec.delta:
            out.append(
                "DP-SGD gives (epsilon, delta)-differential privacy: give a delta, e.g. "
                "`privacy epsilon 3 delta 1e-5` (far below 1 / rows)"
            )
        if dp and int(getattr(spec, "options", {}).get("pac", 1)) > 1:
            out.append(
                "`pac` packs several people's rows into one sample, which per-sample clipping "
                "cannot bound: packing is for `privacy none` only"
            )
        condition = list(getattr(spec, "options", {}).get("condition", []))
        for c in condition:
            if c not in kinds:
                out.append(f"`condition on {c}`: the model does not learn column '{c}'")
            elif kinds[c] not in CATEGORICAL:
                out.append(
                    f"`condition on {c}`: column '{c}' is {kinds[c]}; a condition is a "
                    "category (enum, text or bool)"
                )
        for g in spec.given:
            if g in kinds and kinds[g] not in CATEGORICAL:
                out.append(
                    f"a dpcgan draws given categories only; '{g}' is {kinds[g]} (type it "
                    "enum(...), or draw it with the model)"
                )
            elif condition and g not in condition:
                out.append(
                    f"the draw is given '{g}', which is not a column of `condition on` "
                    f"({', '.join(condition)}): add it there"
                )
        if len(spec.given) > 1:
            out.append("a dpcgan draws given one column at a time")
        if len(spec.given) >= len(spec.columns):
            out.append("the model would draw nothing: every column it learns is given")
        return out

    # ---- the budget split
    def mechanisms(self, spec: ModelSpec) -> list[Mechanism]:
        eps = spec.epsilon
        if eps is None:
            return []
        delta = spec.delta or 0.0
        d_text = delta / 2 if any(c.dtype.kind == "text" for c in spec.columns) else 0.0
        out = [Mechanism("rows", "noisy row count (the sampling rate)", eps * _ROWS)]
        out += prepare.release_mechanisms(
            spec,
            eps,
            _PRE,
            d_text,
            (
                "noisy label counts, thresholded (which labels exist, their frequencies)",
                "noisy label counts (frequencies of the conditional vector)",
                "noisy fine histogram (quantile modes)",
            ),
        )
        rest = eps * (1 - _PRE - _ROWS)
        if spec.rules:
            out.append(
                Mechanism(
                    "rules",
                    "noisy counts of the training rows that break each rule (for the card)",
                    eps * _ROWS,
                )
            )
            rest -= eps * _ROWS
        out.append(
            Mechanism(
                "training",
                "DP-SGD on the discriminator (Opacus: Poisson sampling, per-sample clipping, "
                "RDP accountant)",
                rest,
                delta - d_text,
            )
        )
        return out

    # ---- fit
    def fit(self, spec: ModelSpec, frame, noise, progress: Progress) -> Fitted:
        from synthdsl.models.dpcgan import train

        dp = spec.epsilon is not None
        mech = {m.name: m for m in self.mechanisms(spec)}
        opts = {**DEFAULTS, **(DP_DEFAULTS if dp else {}), **spec.options}

        def release(name: str) -> encode.Release:
            m = mech.get(name)
            return encode.Release(m.epsilon if m else None, m.delta if m else 0.0, noise)

        w = None
        if spec.weight is not None:
            w = np.maximum(np.nan_to_num(frame[spec.weight].to_numpy(dtype=np.float64)), 0.0)
        n = float(w.sum()) if w is not None else float(len(frame))
        if dp:
            n = max(1.0, n + float(noise.geometric(mech["rows"].epsilon, 1.0, 1)[0]))
        progress("encoding columns", 0.02)
        other = float(opts.get("other_below", 0.005 if dp else 0.001))
        encoders, columns = prepare.encode_columns(
            spec, frame, w, release, int(opts["bins"]), other
        )
        layout = Layout(encoders)
        matrix = layout.encode(columns, len(frame))
        if w is not None:  # a weighted row stands for that many people: repeat it
            matrix = np.repeat(matrix, np.round(w).astype(np.int64), axis=0)
        # every categorical column conditions some rows (CTGAN's training-by-sampling keeps each
        # one's modes); the `condition on` columns get half of the rows between them
        cond_cols = [c.name for c in spec.columns if c.dtype.kind in CATEGORICAL]
        cond_weights = _selection(cond_cols, list(opts.get("condition") or []))
        probs = []
        for c in cond_cols:
            null = columns[c][1].null
            nulls = float(0.0 if null is None else (null if w is None else null * w).sum())
            m = mech.get(f"categories:{c}")
            if m is not None and null is not None:
                nulls = max(0.0, nulls + float(noise.geometric(m.epsilon, 1.0, 1)[0]))
            probs.append(_state_probs(encoders[c], nulls))
        settings = train.Settings(
            epochs=int(opts["epochs"]),
            batch=int(opts["batch"]),
            clip=float(opts["clip"]),
            noise=int(opts["noise"]),
            generator=tuple(opts["generator"]),
            discriminator=tuple(opts["discriminator"]),
            lr=float(opts["lr"]),
            pac=int(opts["pac"]),
            minutes=opts.get("minutes"),
        )
        progress("training", 0.1)
        weights, training = train.train(
            matrix,
            layout,
            cond_cols,
            probs,
            settings,
            cond_weights=cond_weights,
            n_noisy=n,
            epsilon=mech["training"].epsilon if dp else None,
            delta=mech["training"].delta if dp else 0.0,
            secure=noise,
            progress=progress,
        )
        meta = {
            "noise": settings.noise,
            "hidden": list(settings.generator),
            "cond": {
                "columns": cond_cols,
                "probs": [p.tolist() for p in probs],
                "weights": cond_weights.tolist(),
            },
            "rows": round(n, 3),
            "columns": [encoders[c.name].to_json() for c in spec.columns],
        }
        arrays = prepare.encoder_arrays(spec, encoders)
        report = {
            "rows": "noisy" if dp else "exact",
            "training": training,
            "rules_broken": count_broken(
                spec, frame, w, mech["rules"].epsilon if "rules" in mech else None, noise
            ),
        }
        progress("done", 1.0)
        return Fitted(meta, arrays, mechanisms=list(mech.values()), report=report, weights=weights)

    # ---- load
    def load(self, spec: ModelSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
        from synthdsl.models.artifacts import ArtifactError

        try:
            sampler = GanSampler(spec, meta, arrays)
            with np.errstate(all="ignore"):  # a dry run: an edited artifact fails here
                sampler.sample(8, {}, np.random.default_rng(0))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ArtifactError(
                f"model '{spec.name}': the artifact's generator is malformed ({exc}); fit it "
                "again with `synthdsl fit --force`"
            ) from None
        if [d["name"] for d in meta["columns"]] != [c.name for c in spec.columns]:
            raise ArtifactError(
                f"model '{spec.name}': the artifact's columns differ from the spec's"
            )
        return sampler


def _selection(columns: list[str], condition: list[str]) -> np.ndarray:
    """How often each conditional column is the one a row is conditioned on: uniform, or half of
    the rows shared by the `condition on` columns and half by the others."""
    if not columns:
        return np.zeros(0)
    if not condition or set(condition) >= set(columns):
        return np.full(len(columns), 1.0 / len(columns))
    rest = len(columns) - len(condition)
    return np.array([0.5 / len(condition) if c in condition else 0.5 / rest for c in columns])


def _state_probs(enc, nulls: float) -> np.ndarray:
    """The conditional column's state frequencies, from the released label counts (the noisy
    count of the null state is released here, at the same epsilon: it is a disjoint cell of the
    same histogram, so parallel composition charges nothing more)."""
    counts = []
    for s in enc.states:
        if s == encode.OTHER:
            counts.append(sum(enc.released.get(m, 0.0) for m in enc.members.get(s, [])))
        elif s == encode.NULL:
            counts.append(nulls)
        else:
            counts.append(enc.released.get(s, 0.0))
    p = np.maximum(np.asarray(counts, dtype=np.float64), 0.0)
    if p.sum() <= 0:
        p = np.ones(len(enc.states))
    return p / p.sum()


KIND = DpcganKind()
