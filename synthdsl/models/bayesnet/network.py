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
        for node in self.cpts:
            self._cumulate(node)

    def _cumulate(self, node: str) -> None:
        """Each table's rows as cumulative sums, offset by the row's number and flattened: one
        ``searchsorted`` of ``config + u`` then draws every row's state at once."""
        c = np.cumsum(self.cpts[node], axis=1)
        c[:, -1] = 1.0  # rounding never leaves a gap past the last state
        self._cum[node] = (c + np.arange(c.shape[0])[:, None]).ravel()

    def forbid(self, columns: list[str], allowed) -> bool:
        """Zero the entries of one table where a rule over ``columns`` fails, and renormalize: the
        table of the rule's last column in the order, when the rule's other columns are its parents.
        ``allowed(codes)`` gets the state codes of every combination (column -> array) and says
        where the rule can hold. A parent configuration left with no mass keeps its row (the rule's
        redraw copes). Returns whether a table was shaped."""
        if not columns or any(c not in self.sizes for c in columns):
            return False
        last = max(columns, key=self.order.index)
        scope = [last, *self.parents[last]]
        if not set(columns) <= set(scope):
            return False
        grid = np.indices([self.sizes[x] for x in scope]).reshape(len(scope), -1)
        ok = np.asarray(allowed({x: grid[i] for i, x in enumerate(scope) if x in columns}))
        ok = ok.reshape(self.sizes[last], -1).T  # (parent configurations, states)
        t = self.cpts[last] * ok
        mass = t.sum(axis=1, keepdims=True)
        self.cpts[last] = np.where(mass > 0, t / np.where(mass > 0, mass, 1.0), self.cpts[last])
        self._cumulate(last)
        return True

    def config(self, node: str, codes: dict[str, np.ndarray], n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.int64)
        for p in self.parents[node]:
            out = out * self.sizes[p] + codes[p]
        return out

    def draw(self, node: str, codes: dict[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        """``node``'s state per row, from the rows' parent states in ``codes`` and uniforms ``u``."""
        k = self.sizes[node]
        cfg = self.config(node, codes, len(u))
        at = np.searchsorted(self._cum[node], cfg + u, side="right")
        return np.clip(at - cfg * k, 0, k - 1).astype(np.int64)

    def sample(
        self, n: int, evidence: dict[str, np.ndarray], rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """State codes per node; ``evidence[node]`` holds a code per row, or -1 to draw it."""
        codes: dict[str, np.ndarray] = {}
        u = rng.random((len(self.order), n))
        for i, node in enumerate(self.order):
            drawn = self.draw(node, codes, u[i])
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
