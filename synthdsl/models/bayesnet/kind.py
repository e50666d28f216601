"""The ``bayesnet`` kind: options, the budget split, fit and load (the framework's entry points).

Options (lines of the model block): ``parents K`` (most parents per node, default 2), ``bins B``
(numeric bins, default 20), ``other below P%`` (labels rarer than P share one state; default 1% with
DP, 0.2% without). The budget split, for ``privacy epsilon E [delta D]``:

- ``rows``: the row count, 1% of E;
- per numeric column ``bounds:COL`` (only without a declared ``clamp``) and ``histogram:COL``, per
  categorical column ``categories:COL``: together 25% of E, a numeric histogram weighing 1, its bounds
  1, a category count 0.5; D is split among the text columns whose labels come from the data;
- ``structure``: 10% of the rest with ``focus``, 20% without (nothing with a single column);
- ``conditionals``: the remainder, shared among the nodes in proportion to the square root of each
  conditional table's size (a big table needs more budget to stay useful).

Sequential composition makes the total exactly (E, D): every mechanism reads the data once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.models.base import Fitted, Mechanism, Option, OptionProblem, Percent, Progress
from synthdsl.models.bayesnet import encode, prepare, structure
from synthdsl.models.bayesnet.network import Network
from synthdsl.models.rules import count_broken
from synthdsl.values import Values

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec

CATEGORICAL = ("text", "enum", "bool")
_PRE, _ROWS = 0.25, 0.01
THETA = 4.0  # PrivBayes' usefulness: expected rows per cell times epsilon per table, at least


class BayesNetKind:
    name = "bayesnet"
    extra = "bayes"
    requires = ("pgmpy",)

    # ---- check time
    def options(self, options: list[Option]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for o in options:
            if o.name in out:
                raise OptionProblem(f"option '{o.name}' is given twice", o.index)
            v = o.values
            if o.name in ("parents", "bins"):
                lo, hi = (0, 4) if o.name == "parents" else (2, 200)
                if len(v) != 1 or not isinstance(v[0], int) or isinstance(v[0], bool):
                    raise OptionProblem(
                        f"`{o.name}` takes one whole number", o.index, f"e.g. `{o.name} {lo + 2}`"
                    )
                if not lo <= v[0] <= hi:
                    raise OptionProblem(f"`{o.name}` must be from {lo} to {hi}", o.index)
                out[o.name] = v[0]
            elif o.name == "other":
                if len(v) != 2 or v[0] != "below" or not isinstance(v[1], Percent):
                    raise OptionProblem(
                        "write `other below P%` (labels rarer than P% share one state)",
                        o.index,
                    )
                if not 0 <= v[1].value < 50:
                    raise OptionProblem("`other below` must be from 0% to below 50%", o.index)
                out["other_below"] = v[1].value / 100.0
            else:
                from synthdsl.errors import did_you_mean

                raise OptionProblem(
                    f"bayesnet has no option '{o.name}' (options: parents, bins, other below)",
                    o.index,
                    did_you_mean(o.name, ["parents", "bins", "other"]),
                )
        return out

    def problems(self, spec: ModelSpec) -> list[str]:
        out = []
        if spec.epsilon is not None and not spec.delta:
            for c in spec.columns:
                if c.dtype.kind == "text":
                    out.append(
                        f"column '{c.name}' is text, so its labels would come from the data; "
                        "under pure epsilon-DP they must be declared: type it enum(...), or give "
                        "`privacy epsilon E delta D` to release the frequent labels privately"
                    )
        return out

    # ---- the budget split
    def mechanisms(self, spec: ModelSpec) -> list[Mechanism]:
        eps = spec.epsilon
        if eps is None:
            return []
        out = [Mechanism("rows", "noisy row count", eps * _ROWS)]
        out += prepare.release_mechanisms(
            spec,
            eps,
            _PRE,
            spec.delta or 0.0,
            (
                "noisy label counts (thresholded: which labels exist)",
                "noisy label counts (rare labels share a state)",
                "noisy fine histogram (bin edges)",
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
        if len(spec.columns) > 1:
            s = rest * (0.1 if spec.focus else 0.2)
            out.append(Mechanism("structure", "exponential mechanism on mutual information", s))
            rest -= s
        out.append(Mechanism("conditionals", "noisy conditional tables", rest))
        return out

    # ---- fit
    def fit(self, spec: ModelSpec, frame, noise, progress: Progress) -> Fitted:
        dp = spec.epsilon is not None
        mech = {m.name: m for m in self.mechanisms(spec)}
        opts = spec.options
        max_parents = int(opts.get("parents", 2))
        n_bins = int(opts.get("bins", 20))
        other_below = float(opts.get("other_below", 0.01 if dp else 0.002))

        def release(name: str) -> encode.Release:
            m = mech.get(name)
            return encode.Release(m.epsilon if m else None, m.delta if m else 0.0, noise)

        w = None
        if spec.weight is not None:
            w = np.nan_to_num(frame[spec.weight].to_numpy(dtype=np.float64), nan=0.0)
            w = np.maximum(w, 0.0)
        n_exact = float(w.sum()) if w is not None else float(len(frame))
        n = n_exact
        if dp:
            n = max(1.0, n_exact + float(noise.geometric(mech["rows"].epsilon, 1.0, 1)[0]))
        progress("encoding columns", 0.05)
        encoders, columns = prepare.encode_columns(spec, frame, w, release, n_bins, other_below)
        codes = {name: states for name, (states, _) in columns.items()}
        sizes = {c: e.size for c, e in encoders.items()}
        progress("choosing the structure", 0.3)
        given = list(spec.given)
        eps_cond = mech["conditionals"].epsilon if dp else None
        if len(codes) > 1 and not dp and structure.pgmpy_can_search(len(frame), w):
            order, parents = structure.hill_climb(
                codes, w, given=given, focus=spec.focus, max_parents=max_parents
            )
        else:  # DP (PrivBayes), or tiny data and weights pgmpy cannot count (plain argmax)
            # under DP, tables small enough to stay useful at their share of the budget
            cell_budget = n * eps_cond / max(1, len(codes)) / THETA if dp else n / 5.0
            order, parents = structure.privbayes(
                codes,
                sizes,
                w,
                given=given,
                focus=spec.focus,
                max_parents=max_parents,
                n=n,
                epsilon=mech["structure"].epsilon if "structure" in mech else None,
                cell_budget=max(float(max(sizes.values())), cell_budget),
                noise=noise if dp else None,
                first=None if dp or given or spec.focus else max(codes, key=lambda c: sizes[c]),
            )
        progress("estimating the conditional tables", 0.7)
        cpts = _conditionals(order, parents, codes, sizes, w, eps_cond, noise)
        net = Network(order, parents, sizes, cpts)
        meta = {
            "order": order,
            "parents": parents,
            "sizes": sizes,
            "rows": round(n, 3),
            "columns": [encoders[c.name].to_json() for c in spec.columns],
        }
        arrays: dict[str, np.ndarray] = {}
        for i, node in enumerate(order):
            arrays[f"cpt{i}"] = net.cpts[node]
        arrays |= prepare.encoder_arrays(spec, encoders)
        report = {
            "rows": "noisy" if dp else "exact",
            "structure": {node: parents[node] for node in order},
            "rules_broken": count_broken(
                spec, frame, w, mech["rules"].epsilon if "rules" in mech else None, noise
            ),
        }
        progress("done", 1.0)
        return Fitted(meta, arrays, list(mech.values()), report)

    # ---- load
    def load(self, spec: ModelSpec, meta: dict[str, Any], arrays: dict[str, np.ndarray]):
        return BayesSampler.from_artifact(spec, meta, arrays)


def _conditionals(order, parents, codes, sizes, w, eps, noise) -> dict[str, np.ndarray]:
    """Each node's table from (noisy) joint counts of the node and its parents; rows with no mass
    fall back to the node's own (noisy) marginal, and that to uniform."""
    n_nodes = len(order)
    cells = {x: sizes[x] * math.prod(sizes[p] for p in parents[x]) for x in order}
    weight = {x: math.sqrt(cells[x]) for x in order}
    total_w = sum(weight.values()) or 1.0
    out = {}
    for x in order:
        pc, kp = structure.parent_code(codes, sizes, parents[x])
        joint = np.bincount(pc * sizes[x] + codes[x], weights=w, minlength=kp * sizes[x])
        joint = joint.astype(np.float64).reshape(kp, sizes[x])
        if eps is not None:
            e = eps * weight[x] / total_w if n_nodes else eps
            joint = np.maximum(joint + noise.geometric(e, 1.0, joint.shape), 0.0)
        marginal = joint.sum(axis=0)
        marginal = (
            marginal / marginal.sum() if marginal.sum() > 0 else np.full(sizes[x], 1 / sizes[x])
        )
        rows = joint.sum(axis=1, keepdims=True)
        table = np.where(rows > 0, joint / np.where(rows > 0, rows, 1.0), marginal[None, :])
        out[x] = table
    return out


def _validate(net: Network, encoders: dict[str, Any], order: list[str]) -> None:
    """An artifact's network is consistent: every column has an encoder whose states the network
    knows, tables are finite probabilities of the right shape, numeric bins index their cells."""
    if set(encoders) != set(order) or len(set(order)) != len(order):
        raise ValueError("its columns and its network's nodes differ")
    for node in order:
        if any(
            p not in net.sizes or order.index(p) >= order.index(node) for p in net.parents[node]
        ):
            raise ValueError(f"the parents of '{node}' are not earlier nodes")
        t = net.cpts[node]
        k = math.prod(net.sizes[p] for p in net.parents[node])
        if t.shape != (k, net.sizes[node]):
            raise ValueError(f"the table of '{node}' has shape {t.shape}")
        if not np.all(np.isfinite(t)) or (t < 0).any() or not np.allclose(t.sum(axis=1), 1.0):
            raise ValueError(f"the table of '{node}' holds no probabilities")
        enc = encoders[node]
        if enc.size != net.sizes[node]:
            raise ValueError(f"'{node}' has {enc.size} states but its table {net.sizes[node]}")
        if isinstance(enc, encode.Numeric):
            cells = len(enc.edges) - 1
            if (
                cells < 1
                or len(enc.cell_counts) != cells
                or enc.bins[0] != 0
                or enc.bins[-1] != cells
                or (np.diff(enc.bins) <= 0).any()
                or not np.all(np.isfinite(enc.edges))
                or (np.diff(enc.edges) <= 0).any()
                or not all(math.isfinite(b) for b in enc.bounds)
            ):
                raise ValueError(f"the bins of '{node}' do not fit its cells")


class BayesSampler:
    """Samples a fitted network's columns, conditioned exactly on the ``given`` columns."""

    def __init__(self, spec: ModelSpec, net: Network, encoders: dict[str, Any]):
        self.spec, self.net, self.encoders = spec, net, encoders
        self.network = net

    @classmethod
    def from_artifact(cls, spec: ModelSpec, meta: dict, arrays: dict) -> BayesSampler:
        from synthdsl.models.artifacts import ArtifactError

        try:
            order = [str(x) for x in meta["order"]]
            parents = {str(k): [str(p) for p in v] for k, v in meta["parents"].items()}
            sizes = {str(k): int(v) for k, v in meta["sizes"].items()}
            cpts = {node: arrays[f"cpt{i}"].astype(np.float64) for i, node in enumerate(order)}
            encoders = prepare.encoders_from_meta(meta, arrays)
            net = Network(order, parents, sizes, cpts)
            _validate(net, encoders, order)
            sampler = cls(spec, net, encoders)
            with np.errstate(all="ignore"):  # a dry run: an edited artifact fails here, not later
                sampler.sample(64, {}, np.random.default_rng(0))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ArtifactError(
                f"model '{spec.name}': the artifact's network is malformed ({exc}); fit it again"
            ) from None
        if set(order) != {c.name for c in spec.columns}:
            raise ArtifactError(
                f"model '{spec.name}': the artifact's columns differ from the spec's"
            )
        return cls(spec, net, encoders)

    def sample(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> dict[str, Values]:
        evidence = {g: self.encoders[g].encode(v) for g, v in given.items()}
        codes = self.net.sample(n, evidence, rng)
        out = {}
        for c in self.spec.columns:
            if c.name in given:
                continue
            out[c.name] = self.encoders[c.name].decode(codes[c.name], rng)
        return out


KIND = BayesNetKind()
