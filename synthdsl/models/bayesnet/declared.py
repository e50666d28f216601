"""Sampling a declared network (``node`` lines of a model block): domain knowledge, no data.

Input: the network as the checker wrote it into the plan (categorical nodes with one probability row
per parent configuration; numeric nodes, always leaves, with one distribution per configuration).
Output: the nodes' values for n rows. Without ``given``, ancestral sampling. With ``given`` columns whose
ancestors are all given too, ancestral sampling with those nodes held is exact. Otherwise (evidence on a
node whose parents are drawn) the joint table of the categorical nodes is built once and every row is
drawn from its slice at the row's evidence: exact conditioning, so every requested value is produced,
however rare; a value the network gives probability zero is an error naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from synthdsl.errors import DataError, SynthError
from synthdsl.expr.distributions import get as get_distribution
from synthdsl.models.bayesnet import MAX_JOINT
from synthdsl.models.bayesnet.network import Network
from synthdsl.values import Values

if TYPE_CHECKING:
    from synthdsl.plan.model import ModelSpec


class DeclaredSampler:
    def __init__(self, spec: ModelSpec):
        self.spec = spec
        nodes = spec.options["network"]["nodes"]
        self.nodes = {n["name"]: n for n in nodes}
        cat = [n for n in nodes if n["kind"] == "categorical"]
        self.numeric = [n for n in nodes if n["kind"] == "numeric"]
        self.labels = {n["name"]: list(n["labels"]) for n in cat}
        sizes = {n["name"]: len(n["labels"]) for n in cat}
        cpts = {}
        for n in cat:
            t = np.asarray(n["table"], dtype=np.float64)
            cpts[n["name"]] = t / t.sum(axis=1, keepdims=True)
        self.network = Network(
            [n["name"] for n in cat], {n["name"]: list(n["parents"]) for n in cat}, sizes, cpts
        )
        self._joint: tuple[tuple[str, ...], np.ndarray] | None = None

    def state_values(self, column: str) -> tuple[Values, np.ndarray] | None:
        """Each state of a categorical node as a value, all known; None for a numeric node."""
        if column not in self.labels:
            return None
        labels = self.labels[column]
        arr = np.asarray(labels, dtype=bool if isinstance(labels[0], bool) else None)
        if arr.dtype.kind in "US":
            arr = arr.astype(object)
        return Values(arr), np.ones(len(labels), dtype=bool)

    # ---- evidence
    def _ancestors(self, node: str) -> set[str]:
        out, stack = set(), [node]
        while stack:
            for p in self.nodes[stack.pop()]["parents"]:
                if p not in out:
                    out.add(p)
                    stack.append(p)
        return out

    def relevant(self, given) -> list[str]:
        """The given nodes and their ancestors, in order: only they bear on the evidence."""
        keep = set(given)
        for g in given:
            keep |= self._ancestors(g)
        return [x for x in self.network.order if x in keep]

    def joint(self, nodes: list[str]) -> np.ndarray:
        """P(nodes) (a set closed under parents), axes in the network's order."""
        key = tuple(nodes)
        if self._joint is None or self._joint[0] != key:
            sizes = self.network.sizes
            total = int(np.prod([sizes[x] for x in nodes], dtype=np.float64))
            if total > MAX_JOINT:
                raise SynthError(
                    f"model '{self.spec.name}': drawing given {', '.join(self.spec.given)} needs "
                    f"the joint table of those nodes and their ancestors ({total:,} cells, more "
                    f"than {MAX_JOINT:,}): give the nodes' parents too, or use fewer labels"
                )
            axis = {x: i for i, x in enumerate(nodes)}
            joint = np.ones([sizes[x] for x in nodes])
            for x in nodes:
                ps = self.network.parents[x]
                t = self.network.cpts[x].reshape(*[sizes[p] for p in ps], sizes[x])
                axes = [axis[p] for p in ps] + [axis[x]]
                t = np.transpose(t, np.argsort(axes))
                shape = [1] * len(nodes)
                for a in sorted(axes):
                    shape[a] = sizes[nodes[a]]
                joint = joint * t.reshape(shape)
            self._joint = (key, joint)
        return self._joint[1]

    def _encode(self, name: str, v: Values) -> np.ndarray:
        labels = self.labels[name]
        data = v.data
        if isinstance(labels[0], bool):
            keys = np.asarray(data).astype(bool).astype(object)
        elif isinstance(labels[0], int):
            keys = np.asarray(data).astype(np.int64).astype(object)
        else:
            keys = np.asarray(data).astype(str).astype(object)
        import pandas as pd

        codes = pd.Index(labels, dtype=object).get_indexer(pd.Index(keys, dtype=object))
        codes = np.asarray(codes, dtype=np.int64)
        bad = (codes < 0) | v.is_null()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            shown = "null" if v.is_null()[i] else repr(keys[i])
            raise DataError(
                f"model '{self.spec.name}' is drawn given {name} = {shown}, which is not a value "
                f"of node '{name}' ({', '.join(map(str, labels))})",
                column=name,
                row=i + 1,
            )
        return codes

    def _conditioned(self, n: int, evidence: dict[str, np.ndarray], rng) -> dict[str, np.ndarray]:
        """The given nodes' ancestors drawn from the joint table's slice at each row's evidence
        (exact), then the other nodes forward from their parents (they bear on no evidence)."""
        order = self.relevant(list(evidence))
        joint = self.joint(order)
        given = [x for x in order if x in evidence]
        free = [x for x in order if x not in evidence]
        stacked = np.stack([evidence[x] for x in given], axis=1)
        combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        u = rng.random(n)
        codes = {x: np.empty(n, dtype=np.int64) for x in free}
        for g, combo in enumerate(combos):
            at = tuple(int(combo[given.index(x)]) if x in evidence else slice(None) for x in order)
            sub = joint[at].reshape(-1)
            mass = sub.sum()
            rows = np.flatnonzero(inverse == g)
            if mass <= 0:
                shown = ", ".join(
                    f"{x} = {self.labels[x][int(combo[i])]}" for i, x in enumerate(given)
                )
                raise DataError(
                    f"model '{self.spec.name}' is drawn given {shown}, which its network gives "
                    "probability zero",
                    row=int(rows[0]) + 1,
                )
            cdf = np.cumsum(sub / mass)
            cdf[-1] = 1.0
            flat = np.minimum(np.searchsorted(cdf, u[rows], side="right"), sub.size - 1)
            if free:
                parts = np.unravel_index(flat, [self.network.sizes[x] for x in free])
                for x, part in zip(free, parts, strict=True):
                    codes[x][rows] = part
        for x in given:
            codes[x] = evidence[x]
        rest = [x for x in self.network.order if x not in codes]
        u_rest = rng.random((len(rest), n))
        for i, x in enumerate(rest):
            codes[x] = self.network.draw(x, codes, u_rest[i])
        return codes

    # ---- sampling
    def sample(
        self, n: int, given: dict[str, Values], rng: np.random.Generator
    ) -> dict[str, Values]:
        evidence = {g: self._encode(g, v) for g, v in given.items()}
        closed = all(self._ancestors(g) <= set(evidence) for g in evidence)
        if not evidence or closed:
            codes = self.network.sample(n, evidence, rng)
        else:
            codes = self._conditioned(n, evidence, rng)
        out: dict[str, Values] = {}
        for x in self.network.order:
            if x in given:
                continue
            labels = self.labels[x]
            arr = np.asarray(labels, dtype=bool if isinstance(labels[0], bool) else None)
            if arr.dtype.kind in "US":
                arr = arr.astype(object)
            out[x] = Values(arr[codes[x]])
        for node in self.numeric:
            out[node["name"]] = Values(self._numeric(node, codes, n, rng))
        return out

    def _numeric(self, node: dict[str, Any], codes, n: int, rng) -> np.ndarray:
        parents = node["parents"]
        config = np.zeros(n, dtype=np.int64)
        for p in parents:
            config = config * self.network.sizes[p] + codes[p]
        values = np.zeros(n, dtype=np.float64)
        for c, d in enumerate(node["dists"]):
            rows = np.flatnonzero(config == c)
            if rows.size:
                dist = get_distribution(d["name"])
                values[rows] = dist.sample(rng, rows.size, d["params"])
        return values


def declared_sampler(spec: ModelSpec) -> DeclaredSampler:
    """The sampler of a declared network, refusing a network that a plan edited by hand (or
    written by another version) made inconsistent: checked, then sampled once as a dry run."""
    import numpy as np

    try:
        sampler = DeclaredSampler(spec)
        _validate(sampler)
        with np.errstate(all="ignore"):
            sampler.sample(16, {}, np.random.default_rng(0))
    except SynthError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        raise SynthError(
            f"the plan's network of model '{spec.name}' is malformed ({type(exc).__name__}: "
            f"{exc}); plan the spec again"
        ) from None
    return sampler


def _validate(sampler: DeclaredSampler) -> None:
    net = sampler.network
    names = list(sampler.nodes)
    for name, node in sampler.nodes.items():
        if node["kind"] not in ("categorical", "numeric"):
            raise ValueError(f"node '{name}' has kind {node['kind']!r}")
        for p in node["parents"]:
            if p not in net.sizes or names.index(p) >= names.index(name):
                raise ValueError(f"node '{name}' has parent {p!r}, not an earlier categorical node")
        if node["kind"] == "numeric":
            configs = int(np.prod([net.sizes[p] for p in node["parents"]], dtype=np.int64))
            if len(node["dists"]) != configs:
                raise ValueError(f"node '{name}' has {len(node['dists'])} rows, not {configs}")
            for d in node["dists"]:
                if get_distribution(d["name"]) is None:
                    raise ValueError(f"node '{name}' draws from unknown {d['name']!r}")
    for name in net.order:
        t = net.cpts[name]
        configs = int(np.prod([net.sizes[p] for p in net.parents[name]], dtype=np.int64))
        if t.shape != (configs, net.sizes[name]) or not np.all(np.isfinite(t)) or (t < 0).any():
            raise ValueError(
                f"the table of node '{name}' is not probabilities of shape ({configs}, {net.sizes[name]})"
            )
