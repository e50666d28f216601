"""Choosing each node's parents.

Input: the encoded columns (state codes, row weights), the columns drawn ``given`` (roots among
themselves, so that conditioning on them is exact ancestral sampling), the ``focus`` column, the most
parents per node, and the budget. Output: an order of the nodes and each node's parents.

Under DP (PrivBayes, Zhang et al. 2017): nodes join one at a time; each step scores every (node, parent
set) pair by the mutual information I(X; Π) on the data and picks one with the exponential mechanism
(sensitivity of I from PrivBayes' Lemma 1, for n rows), spending an equal share of the structure budget.
Only pairs whose conditional table is useful at the budget its conditionals will get are candidates
(θ-usefulness: rows per cell times epsilon at least θ), so a small epsilon gets smaller tables. With
``focus``, the focus column joins first and is a parent of every later node (tree-augmented, as in TAN),
because the analyses a twin serves predict that column; the other parents are chosen as above. Without
DP, pgmpy's hill-climbing search with the BIC score chooses the structure under the same constraints.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def mutual_information(x: np.ndarray, kx: int, parent: np.ndarray, kp: int, w) -> float:
    """I(X; Π) in nats from (weighted) joint counts."""
    joint = np.bincount(parent * kx + x, weights=w, minlength=kp * kx).reshape(kp, kx)
    total = joint.sum()
    if total <= 0:
        return 0.0
    p = joint / total
    px = p.sum(axis=0, keepdims=True)
    pp = p.sum(axis=1, keepdims=True)
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / (pp @ px)[nz])).sum())


def mi_sensitivity(n: float) -> float:
    """PrivBayes' bound on how much one row changes I(X; Π) (nats), for n >= 2 rows."""
    n = max(n, 3.0)
    return (2.0 / n) * math.log((n + 1) / 2.0) + ((n - 1) / n) * math.log((n + 1) / (n - 1))


def parent_code(
    codes: dict[str, np.ndarray], sizes: dict[str, int], parents
) -> tuple[np.ndarray, int]:
    """The joint code of a parent set (mixed radix, first parent most significant) and its size."""
    n = len(next(iter(codes.values())))
    out = np.zeros(n, dtype=np.int64)
    size = 1
    for p in parents:
        out = out * sizes[p] + codes[p]
        size *= sizes[p]
    return out, size


def privbayes(
    codes: dict[str, np.ndarray],
    sizes: dict[str, int],
    w: np.ndarray | None,
    *,
    given: list[str],
    focus: str | None,
    max_parents: int,
    n: float,
    epsilon: float | None,
    cell_budget: float,
    noise,
    first: str | None = None,
) -> tuple[list[str], dict[str, list[str]]]:
    """Greedy structure; with ``epsilon`` None, plain argmax (used for tests and tiny data)."""
    names = list(codes)
    order: list[str] = []
    parents: dict[str, list[str]] = {}
    for g in given:  # given columns first, each with parents among the earlier given ones
        order.append(g)
    if focus is not None and focus not in order:
        order.append(focus)
    if not order:
        if first is None:
            i = int(noise.uniform(1)[0] * len(names)) if noise is not None else 0
            first = names[min(i, len(names) - 1)]
        order.append(first)
    rest = [c for c in names if c not in order]
    steps = len(names) - 1
    eps_step = None if epsilon is None else epsilon / max(1, steps)
    sens = mi_sensitivity(n)
    # parents of the first nodes (given, focus), chosen by the same mechanism among earlier ones
    for i, node in enumerate(order):
        earlier = order[:i]
        if node in given:
            earlier = [e for e in earlier if e in given]
        parents[node] = (
            _choose(
                [node],
                earlier,
                codes,
                sizes,
                w,
                focus if node not in given else None,
                max_parents,
                cell_budget,
                eps_step if earlier else None,
                sens,
                noise,
            )[1]
            if earlier
            else []
        )
    while rest:
        x, ps = _choose(
            rest, order, codes, sizes, w, focus, max_parents, cell_budget, eps_step, sens, noise
        )
        order.append(x)
        parents[x] = ps
        rest.remove(x)
    return order, parents


def _choose(candidates, placed, codes, sizes, w, focus, max_parents, cell_budget, eps, sens, noise):
    """One (node, parents) pair among ``candidates`` x parent sets of ``placed``."""
    pairs: list[tuple[str, list[str]]] = []
    scores: list[float] = []
    for x in candidates:
        must = [focus] if focus is not None and focus in placed and focus != x else []
        others = [p for p in placed if p not in must]
        best_small: tuple[str, list[str]] | None = None
        for k in range(0, max_parents - len(must) + 1):
            for extra in itertools.combinations(others, k):
                ps = [*must, *extra]
                cells = sizes[x] * math.prod(sizes[p] for p in ps)
                if ps and cells > cell_budget:
                    continue
                pc, kp = parent_code(codes, sizes, ps)
                pairs.append((x, ps))
                scores.append(mutual_information(codes[x], sizes[x], pc, kp, w) if ps else 0.0)
                best_small = best_small or (x, ps)
        if best_small is None:  # even the smallest table is too big: the focus alone, or nothing
            pairs.append((x, list(must)))
            scores.append(0.0)
    if not pairs:
        return candidates[0], []
    if eps is None or noise is None:
        i = int(np.argmax(scores))
    else:
        i = noise.choose(np.asarray(scores), eps, sens)
    return pairs[i]


MAX_UNROLLED = 2_000_000  # rows pgmpy may count when weights are repeated into rows


def pgmpy_can_search(rows: int, w: np.ndarray | None) -> bool:
    """pgmpy's search counts rows: it needs some (10 or more), and weights that are whole numbers
    whose total stays small enough to repeat rows by."""
    if rows < 10:
        return False
    if w is None:
        return True
    return bool(np.all(w == np.round(w))) and float(w.sum()) <= MAX_UNROLLED and w.sum() >= 10


def hill_climb(
    codes: dict[str, np.ndarray],
    w: np.ndarray | None,
    *,
    given: list[str],
    focus: str | None,
    max_parents: int,
) -> tuple[list[str], dict[str, list[str]]]:
    """Without DP: pgmpy's hill-climbing search (BIC) under the same constraints as ``privbayes``."""
    import logging
    import warnings

    import networkx as nx
    import pandas as pd

    with warnings.catch_warnings():  # pgmpy's deprecation notices are not the user's business
        warnings.simplefilter("ignore")
        from pgmpy.causal_discovery import ExpertKnowledge, HillClimbSearch

    logging.getLogger("pgmpy").setLevel(logging.ERROR)
    names = list(codes)
    frame = pd.DataFrame({c: codes[c] for c in names})
    if w is not None:  # whole-number weights: repeat rows (pgmpy counts rows, not weights)
        reps = np.maximum(np.rint(w), 0).astype(np.int64)
        frame = frame.loc[np.repeat(np.arange(len(frame)), reps)].reset_index(drop=True)
    black = {(a, g) for g in given for a in names if a not in given and a != g}
    fixed = set()
    if focus is not None:
        for x in names:
            if x != focus and x not in given:
                fixed.add((focus, x))
        black |= {(x, focus) for x in names if x not in given}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = HillClimbSearch(
            scoring_method="bic-d",
            max_indegree=max_parents,
            expert_knowledge=ExpertKnowledge(
                forbidden_edges=sorted(black) or None, required_edges=sorted(fixed) or None
            ),
            return_type="dag",
            show_progress=False,
        )
        search.fit(frame.astype("category"))
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(search.causal_graph_.edges())
    rank = {c: i for i, c in enumerate(names)}
    first = [*given, *([focus] if focus is not None and focus not in given else [])]
    rank.update({c: -len(first) + i for i, c in enumerate(first)})
    order = list(nx.lexicographical_topological_sort(graph, key=lambda c: rank[c]))
    parents = {c: sorted(graph.predecessors(c), key=order.index) for c in order}
    return order, parents
