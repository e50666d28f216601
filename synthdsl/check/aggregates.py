"""Aggregate checks for the checker: nullable aggregates, late columns, cycles through a child.

Input: a ``TableInfo`` whose columns are ordered and whose aggregates are known. Output: its ``late``
and ``late_by_rule`` columns completed, and any problems recorded through ``Checker.fail``. Kept apart
from ``check.py`` only for size: these methods form ``AggregateChecks``, a mixin of
``check.Checker``, and run in the same pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synthdsl.expr import aggregate
from synthdsl.source import Span
from synthdsl.syntax import ast

if TYPE_CHECKING:
    from synthdsl.check.model import ColumnInfo, TableInfo


class AggregateChecks:
    """The aggregate methods of ``Checker``; they use its ``fail`` and ``tables``."""

    tables: dict[str, TableInfo]

    if TYPE_CHECKING:

        def fail(
            self, code: str, message: str, node: ast.Node | Span, hint: str | None = None
        ) -> None: ...

    def aggregate_nulls(self, t: TableInfo, info: ColumnInfo) -> None:
        """``min``/``max``/``mean`` of an empty child set is null: the column must allow it."""
        c = info.compiled
        if c is None or info.dtype.nullable or info.kind != "aggregate":
            return  # inside a larger expression (coalesce) a null is caught when generating
        parsed = aggregate.parse_key(next(iter(c.deps)))
        if parsed is None or parsed[0] not in ("min", "max", "mean"):
            return
        func, child, column = parsed
        ct = self.tables[child]
        col = ct.columns.get(column or "")
        at_least = _min_rows(ct.node.rows) if isinstance(ct.node.rows, ast.RowsPer) else None
        if col is not None and col.dtype.nullable:
            why = f"'{child}.{column}' is nullable, so a row's {child} may all be null"
        elif not at_least:
            text = _snippet(ct.node.rows.dist)
            why = f"a row of '{t.name}' may have no '{child}' rows (rows per {t.name} ~ {text})"
        else:
            return
        self.fail(
            "E163",
            f"column '{info.name}' is {info.dtype} but {func}({child}.{column}) can be null: {why}",
            info.node.gen.expr,
            f"declare it {info.dtype}?, or use coalesce({func}({child}.{column}), ...)"
            + (
                ""
                if at_least
                else f"; or give every row of '{t.name}' a '{child}' row, e.g. "
                f"`rows per {t.name} ~ 1 + poisson(2)`"
            ),
        )

    def aggregate_cycles(self, t: TableInfo) -> None:
        """A child whose rows a parent aggregates cannot read the parent's late columns: its rows
        exist before those columns do. Report the cycle across the two tables."""
        if not t.parent or t.name not in self.tables[t.parent].aggregated:
            return
        parent = self.tables[t.parent]
        uses: list[tuple[str, ast.Node, frozenset]] = [
            (c.name, c.node.gen.expr, c.compiled.related) for c in t.columns.values() if c.compiled
        ]
        uses += [(f"rule {r.name}", r.node, r.compiled.related) for r in t.rules if r.compiled]
        for who, node, related in uses:
            late = sorted(col for tab, col in related if tab == parent.name and col in parent.late)
            if not late:
                continue
            by_rule = [c for c in late if c in parent.late_by_rule]
            if by_rule:
                rule = next(r for r in parent.rules if r.name == parent.late_by_rule[by_rule[0]])
                self.fail(
                    "E196",
                    f"rule '{rule.name}' of '{parent.name}' reads an aggregate of '{t.name}' and "
                    f"would redraw '{by_rule[0]}', which '{t.name}' reads ({t.name}.{who}): "
                    f"redrawing it would need the {t.name} rows generated again",
                    rule.node,
                    f"move the condition to '{t.name}', or stop '{t.name}' reading "
                    f"{parent.name}.{by_rule[0]}",
                )
                continue
            path = _path_to_aggregate(parent, late[0], t.name)
            chain = " -> ".join([f"{t.name}.{who}", *path, t.name])
            self.fail(
                "E213",
                f"'{t.name}' and '{parent.name}' depend on each other in a cycle: {chain} "
                f"(the '{t.name}' rows of a block are generated before the aggregates of "
                f"'{parent.name}')",
                node,
                f"compute this from the columns of '{t.name}', or read a column of "
                f"'{parent.name}' that does not depend on an aggregate",
            )

    def late_rules(self, t: TableInfo) -> None:
        """A rule over an aggregate is checked after the child rows exist, so the columns it may
        redraw (its random columns and their random ancestors) and what is computed from them are
        generated then too: ``t.late`` grows to a fixed point. ``aggregate_cycles`` reports a child
        that reads one of them."""
        if not t.aggregates:
            return
        changed = True
        while changed:
            changed = False
            for r in t.rules:
                deps = set(r.columns) | set(r.compiled.deps if r.compiled else ())
                if not t.is_late(deps):
                    continue
                for c in t.random_ancestors(r.columns):
                    if c not in t.late:
                        t.late.add(c)
                        t.late_by_rule[c] = r.name
                        changed = True
            for name in t.order:
                if name not in t.late and t.is_late(t.columns[name].deps):
                    t.late.add(name)
                    changed = True


def _snippet(node: ast.Node) -> str:
    """The source text of a one-line node (for messages)."""
    return node.span.text() or "..."


def _min_rows(rows: ast.RowsPer) -> int | None:
    """A lower bound on a ``rows per`` count: the draw's evident bound, raised by ``clamp(lo, ...)``."""
    drawn = _min_draw(rows.dist)
    clamp = rows.clamp
    if clamp is None or not isinstance(clamp.low, ast.Number) or clamp.low.value < 0:
        return drawn
    low = int(clamp.low.value)
    if isinstance(clamp.high, ast.Number) and clamp.high.value < low:
        return drawn  # a broken clamp (E157) proves nothing
    return max(low, drawn or 0)


def _min_draw(dist: ast.Expr) -> int | None:
    """A lower bound on a ``rows per`` draw when one is evident from its form, else None."""
    if isinstance(dist, ast.Number):
        return int(dist.value)
    if isinstance(dist, ast.Binary) and dist.op == "+":
        a, b = _min_draw(dist.left), _min_draw(dist.right)
        return a + b if a is not None and b is not None else None
    if not isinstance(dist, ast.Call) or dist.path is None or len(dist.path) != 1:
        return None
    name, args = dist.path[0], dist.args
    if name in ("geometric", "zipf"):
        return 1
    if name in ("poisson", "binomial"):
        return 0
    if name == "max":
        known = [m for m in map(_min_draw, args) if m is not None]
        return max(known) if known else None
    if name == "categorical":
        labels = [p.key for p in dist.pairs] or [
            i for a in args if isinstance(a, ast.ListExpr) for i in a.items
        ]
        if labels and all(isinstance(x, ast.Number) for x in labels):
            return int(min(x.value for x in labels))
    return None


def _path_to_aggregate(t: TableInfo, start: str, child: str) -> list[str]:
    """``t.start -> ... -> f(child...)``: how a late column reaches an aggregate over ``child``."""
    prev: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        c = queue.pop(0)
        parsed = aggregate.parse_key(c)
        if parsed is not None and parsed[1] == child:
            path = []
            node: str | None = c
            while node is not None:
                path.append(node if parsed and node == c else f"{t.name}.{node}")
                node = prev[node]
            return list(reversed(path))
        for d in sorted(t.columns[c].deps) if c in t.columns else ():
            if d not in prev and (d in t.columns or d in t.aggregates):
                prev[d] = c
                queue.append(d)
    return [f"{t.name}.{start}"]
