"""A discrete Bayesian network: nodes in topological order, parents, conditional tables; sampling.

Input: the structure and the conditional probability tables (one row per parent configuration, mixed
radix with the first parent most significant). Output: state codes for n rows by ancestral sampling,
vectorized per node (one uniform per row and node, inverse CDF over the row's table row). Evidence on
the nodes that come first in the order (the ``given`` columns, which are roots among themselves) is
exact conditioning: those nodes keep their values and the rest is drawn from the network's conditionals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Network:
    order: list[str]
    parents: dict[str, list[str]]
    sizes: dict[str, int]
    cpts: dict[str, np.ndarray]  # node -> (configurations, states), rows sum to 1

    def __post_init__(self) -> None:
        self._cum = {}
        for node, t in self.cpts.items():
            c = np.cumsum(t, axis=1)
            c[:, -1] = 1.0  # rounding never leaves a gap past the last state
            self._cum[node] = c

    def config(self, node: str, codes: dict[str, np.ndarray], n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        for p in self.parents[node]:
            out = out * self.sizes[p] + codes[p]
        return out

    def sample(
        self, n: int, evidence: dict[str, np.ndarray], rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """State codes per node; ``evidence[node]`` holds a code per row, or -1 to draw it."""
        codes: dict[str, np.ndarray] = {}
        u = rng.random((len(self.order), n))
        for i, node in enumerate(self.order):
            cum = self._cum[node][self.config(node, codes, n)]
            drawn = (u[i][:, None] >= cum).sum(axis=1).astype(np.int64)
            drawn = np.minimum(drawn, self.sizes[node] - 1)
            ev = evidence.get(node)
            codes[node] = drawn if ev is None else np.where(ev >= 0, ev, drawn)
        return codes

    def to_pgmpy(self):
        """The network as pgmpy's ``DiscreteBayesianNetwork`` (for inference and comparisons)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgmpy.factors.discrete import TabularCPD
            from pgmpy.models import DiscreteBayesianNetwork

        model = DiscreteBayesianNetwork()
        model.add_nodes_from(self.order)
        model.add_edges_from([(p, c) for c in self.order for p in self.parents[c]])
        for node in self.order:
            ps = self.parents[node]
            model.add_cpds(
                TabularCPD(
                    node,
                    self.sizes[node],
                    self.cpts[node].T,
                    evidence=ps or None,
                    evidence_card=[self.sizes[p] for p in ps] or None,
                )
            )
        return model
