"""Declared Bayesian networks: ``node`` lines of a model block, checked into plain tables.

Input: a model's ``ast.NetNode`` list. Output: the network as data (``ModelInfo.network``): nodes in
topological order, each categorical node with its labels and one probability row per configuration of
its parents (mixed radix, first parent most significant; the ``else`` row fills the rest), each numeric
node with a distribution and constant parameters per configuration. Problems go through
``Checker.fail`` with the caret on the row, the key or the call at fault: probabilities that do not sum
to one, unknown parent values, missing or repeated rows, cycles, a numeric parent.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from synthdsl.check.model import toposort
from synthdsl.errors import did_you_mean
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Scope
from synthdsl.syntax import ast

MAX_CONFIGS = 100_000  # parent configurations of one node's table
_TOL = 1e-6


def _literal(e: ast.Expr) -> tuple[bool, Any]:
    if isinstance(e, ast.String | ast.Bool):
        return True, e.value
    if isinstance(e, ast.Number):
        return True, e.value
    if isinstance(e, ast.Unary) and e.op == "-" and isinstance(e.operand, ast.Number):
        return True, -e.operand.value
    return False, None


def _show(v: Any) -> str:
    return (
        f'"{v}"'
        if isinstance(v, str)
        else ("true" if v is True else "false" if v is False else str(v))
    )


class NetworkChecks:
    """Mixin of ``Checker``: uses its ``fail``, ``diags``, ``locale`` and ``today``."""

    def check_network(self, m) -> dict | None:
        nodes: dict[str, ast.NetNode] = {}
        for n in m.node.nodes:
            if n.name in nodes:
                self.fail("E420", f"node '{n.name}' is declared twice", n)
            else:
                nodes[n.name] = n
        ok = True
        for n in nodes.values():
            for p in n.parents:
                if p not in nodes or p == n.name:
                    self.fail(
                        "E421",
                        f"node '{n.name}' is given '{p}', which is not another node of the network",
                        n,
                        did_you_mean(p, [x for x in nodes if x != n.name]),
                    )
                    ok = False
        if not ok:
            return None
        order, cycle = toposort({k: list(v.parents) for k, v in nodes.items()})
        if cycle:
            self.fail(
                "E422",
                "nodes depend on each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
                nodes[cycle[0]],
            )
            return None
        out: dict[str, dict] = {}
        for name in order:
            node = self._node(nodes[name], out)
            if node is None:
                return None
            out[name] = node
        return {"order": order, "nodes": [out[k] for k in order]}

    # ---- one node
    def _node(self, n: ast.NetNode, done: dict[str, dict]) -> dict | None:
        for p in n.parents:
            if done[p]["kind"] != "categorical":
                self.fail(
                    "E426",
                    f"node '{n.name}' is given '{p}', a numeric node: parents must be categorical",
                    n,
                )
                return None
        if not n.parents:
            if n.dist is None or n.rows:
                self.fail(
                    "E425",
                    f"node '{n.name}' has no parents: write `node {n.name} ~ DISTRIBUTION`",
                    n,
                )
                return None
            rows = [((), n.dist)]
            configs = [()]
        else:
            if n.dist is not None or not n.rows:
                self.fail(
                    "E425",
                    f"node '{n.name}' is given {', '.join(n.parents)}: write its table, one row "
                    "per value of the parents (`VALUE: DISTRIBUTION`, `else: DISTRIBUTION`)",
                    n,
                )
                return None
            labels = [done[p]["labels"] for p in n.parents]
            configs = list(itertools.product(*labels))
            if len(configs) > MAX_CONFIGS:
                self.fail("E425", f"node '{n.name}' has {len(configs):,} parent configurations", n)
                return None
            rows = self._rows(n, done, configs)
            if rows is None:
                return None
        values = [self._distribution(n, expr) for _, expr in rows]
        if any(v is None for v in values):
            return None
        kinds = {v["kind"] for v in values}
        if len(kinds) > 1:
            self.fail("E426", f"node '{n.name}' mixes categorical and numeric rows", n)
            return None
        by_config = {cfg: v for (cfg, _), v in zip(rows, values, strict=True)}
        if kinds == {"categorical"}:
            labels: list = []
            for v in values:
                for label in v["labels"]:
                    if label not in labels:
                        labels.append(label)
            types = {type(x) for x in labels}
            if len(types) > 1:
                self.fail(
                    "E423",
                    f"node '{n.name}' mixes label types ({', '.join(sorted(t.__name__ for t in types))})",
                    n,
                )
                return None
            table = []
            for cfg in configs:
                v = by_config[cfg]
                probs = dict(zip(v["labels"], v["probs"], strict=True))
                table.append([probs.get(label, 0.0) for label in labels])
            return {
                "name": n.name,
                "parents": list(n.parents),
                "kind": "categorical",
                "labels": labels,
                "table": table,
            }
        return {
            "name": n.name,
            "parents": list(n.parents),
            "kind": "numeric",
            "dists": [by_config[cfg]["dist"] for cfg in configs],
            "integer": all(by_config[cfg]["integer"] for cfg in configs),
        }

    def _rows(self, n: ast.NetNode, done, configs) -> list | None:
        seen: dict[tuple, ast.CptRow] = {}
        default: ast.CptRow | None = None
        ok = True
        for row in n.rows:
            if row.key is None:
                if default is not None:
                    self.fail("E425", f"node '{n.name}' has two `else` rows", row)
                    ok = False
                default = row
                continue
            if len(row.key) != len(n.parents):
                self.fail(
                    "E424",
                    f"a row of node '{n.name}' needs {len(n.parents)} value(s), one per parent "
                    f"({', '.join(n.parents)})",
                    row,
                    "write several values as a tuple: (a, b): ..." if len(n.parents) > 1 else None,
                )
                ok = False
                continue
            key = []
            for parent, e in zip(n.parents, row.key, strict=True):
                lit, value = _literal(e)
                labels = done[parent]["labels"]
                if not lit or value not in labels or type(value) is not type(labels[0]):
                    self.fail(
                        "E424",
                        f"'{_show(value) if lit else '?'}' is not a value of parent '{parent}' "
                        f"(values: {', '.join(_show(x) for x in labels)})",
                        e,
                        did_you_mean(str(value), [str(x) for x in labels]) if lit else None,
                    )
                    ok = False
                    break
                key.append(value)
            else:
                k = tuple(key)
                if k in seen:
                    self.fail("E425", f"node '{n.name}' has two rows for {_key_text(k)}", row)
                    ok = False
                seen[k] = row
        if not ok:
            return None
        missing = [cfg for cfg in configs if cfg not in seen]
        if missing and default is None:
            self.fail(
                "E425",
                f"node '{n.name}' has no row for {_key_text(missing[0])}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                n,
                "add that row, or an `else:` row for every value not listed",
            )
            return None
        return [(cfg, seen.get(cfg, default).value) for cfg in configs]

    def _distribution(self, n: ast.NetNode, expr: ast.Expr) -> dict | None:
        if isinstance(expr, ast.Call) and expr.path == ("categorical",):
            labels, probs = [], []
            for pair in expr.pairs:
                lit, label = _literal(pair.key)
                plit, p = _literal(pair.value)
                if plit and not isinstance(p, bool | str):
                    try:
                        p = float(p)
                    except OverflowError:  # a whole number past the float range
                        p = math.inf
                if (
                    not lit
                    or not plit
                    or isinstance(p, bool | str)
                    or not math.isfinite(p)
                    or p < 0
                ):
                    self.fail(
                        "E423",
                        "a node's categorical needs constant labels and probabilities >= 0: "
                        'categorical("a": 0.3, "b": 0.7)',
                        pair,
                    )
                    return None
                if label in labels:
                    self.fail("E423", f"label {_show(label)} is listed twice", pair)
                    return None
                labels.append(label)
                probs.append(float(p))
            if not labels or expr.args or expr.kwargs:
                self.fail(
                    "E423",
                    'a node\'s categorical lists its labels with probabilities: categorical("a": '
                    '0.3, "b": 0.7)',
                    expr,
                )
                return None
            total = math.fsum(probs)
            if abs(total - 1.0) > _TOL:
                self.fail(
                    "E423",
                    f"the probabilities of node '{n.name}' sum to {total:.6g}, not 1",
                    expr,
                    "make them add up to exactly 1",
                )
                return None
            return {"kind": "categorical", "labels": labels, "probs": probs}
        scope = Scope("", {}, {}, {}, "en_US", self.diags)
        c = Compiler(scope).compile(expr)
        dist = c.dist
        if dist is None or not all(p.is_const for p in dist.params.values()) or dist.dates:
            self.fail(
                "E426",
                f"a row of node '{n.name}' must be categorical(...) or one distribution with "
                "constant parameters, such as normal(36.8, 0.3)",
                expr,
            )
            return None
        return {
            "kind": "numeric",
            "dist": {
                "name": dist.dist.name,
                "params": {k: float(v.const) for k, v in dist.params.items()},
            },
            "integer": dist.dist.kind != "continuous",
        }


def _key_text(key: tuple) -> str:
    return _show(key[0]) if len(key) == 1 else "(" + ", ".join(_show(x) for x in key) + ")"
