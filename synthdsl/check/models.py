"""Model checks for the checker: ``model`` blocks, ``budget`` lines and ``(a, b) ~ m given c`` draws.

Input: the model and budget statements, the loaded datasets, the tables. Output: a ``ModelInfo`` per model
(its kind, dataset, columns typed by the tables' declarations, the table that draws it), the columns a
draw fills marked as model columns, and the privacy budget checked by sequential composition: the
epsilons (and deltas) of every model that learns from a dataset add up, and may not pass the dataset's
``budget`` line. Problems go through ``Checker.fail``; kept apart from ``checker.py`` for size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from synthdsl.check.model import ColumnInfo, TableInfo, expr_type
from synthdsl.check.model_data import ModelDataChecks, node_type
from synthdsl.dtypes import DType
from synthdsl.errors import did_you_mean, spec_name
from synthdsl.expr.context import Compiled
from synthdsl.syntax import ast

_DATASET_KINDS = {"int": "int", "float": "float", "bool": "bool", "datetime": "datetime"}


@dataclass
class ModelInfo:
    """A model of the spec as checked; the planner makes its ``ModelSpec`` from this."""

    name: str
    node: ast.Model
    kind: Any = None  # the kind object (synthdsl.models.base.ModelKind), None when unavailable
    dataset: str | None = None
    columns: list[str] = field(default_factory=list)
    weight: str | None = None
    focus: str | None = None
    epsilon: float | None = None
    delta: float | None = None
    private: bool = False  # `privacy epsilon ...` was given
    options: dict[str, Any] = field(default_factory=dict)
    table: str | None = None  # the table that draws it
    given: tuple[str, ...] = ()
    dtypes: dict[str, DType] = field(default_factory=dict)
    clamps: dict[str, tuple[float, float]] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)
    network: dict | None = None  # a declared network (``node`` lines): check.networks
    ok: bool = True

    @property
    def declared(self) -> bool:
        return bool(self.node.nodes) and not self.node.learn


class _View:
    """What a kind's ``problems`` reads of a model at check time (the planner's ``ModelSpec`` has
    the same attributes)."""

    def __init__(self, m: ModelInfo):
        from types import SimpleNamespace

        self.name, self.epsilon, self.delta, self.focus = m.name, m.epsilon, m.delta, m.focus
        self.given = tuple(m.given)
        self.options = dict(m.options)
        self.columns = [
            SimpleNamespace(
                name=c, dtype=SimpleNamespace(kind=m.dtypes[c].kind), clamp=m.clamps.get(c)
            )
            for c in m.columns
            if c in m.dtypes
        ]


def _no_fn(ctx):  # a model column is filled by its model's step, never by an expression
    raise RuntimeError("a model column has no expression")


class ModelChecks(ModelDataChecks):
    """Mixin of ``Checker``: uses its ``fail``, ``datasets``, ``broken`` and ``tables``."""

    def declare_model(self, st: ast.Model) -> None:
        if st.name in self.models:
            self.fail("E403", f"model '{st.name}' is declared twice", st)
            return
        self.models[st.name] = ModelInfo(st.name, st)

    def declare_budget(self, st: ast.Budget) -> None:
        if any(b.dataset == st.dataset for b in self.budgets):
            self.fail("E415", f"dataset '{st.dataset}' has two budget lines", st)
            return
        self.budgets.append(st)

    # ---- model blocks
    def check_models(self) -> None:
        from synthdsl.models.registry import KindUnavailable, model_kind

        for m in self.models.values():
            node = m.node
            try:
                m.kind = model_kind(node.kind)
            except KindUnavailable as exc:
                code = "E401" if "not installed" in exc.message else "E400"
                self.fail(code, exc.message, node.kind_span, exc.hint)
                m.ok = False
            if m.declared:
                self._declared(m)
                continue
            self._learn(m)
            self._privacy(m)
            for extra in node.focus[1:]:
                self.fail("E409", f"model '{m.name}' sets focus twice", extra)
            if node.focus:
                f = node.focus[0]
                if m.columns and f.column not in m.columns:
                    self.fail(
                        "E409",
                        f"focus column '{f.column}' is not one the model learns",
                        f,
                        did_you_mean(f.column, m.columns),
                    )
                else:
                    m.focus = f.column
            if m.kind is not None:
                self._options(m)

    def _declared(self, m: ModelInfo) -> None:
        """A network written in the spec: nodes, parents, tables; it learns nothing, so it has no
        privacy line, focus or options."""
        node = m.node
        for what, lines in (("privacy", node.privacy), ("focus", node.focus)):
            for line in lines:
                self.fail(
                    "E420",
                    f"model '{m.name}' declares its nodes and learns nothing: drop `{what}`",
                    line,
                )
        for o in node.options:
            self.fail("E410", f"a declared network takes no option ('{o.name}')", o)
        m.network = self.check_network(m)
        if m.network is None:
            m.ok = False
            return
        m.columns = list(m.network["order"])

    def _learn(self, m: ModelInfo) -> None:
        node = m.node
        if node.nodes:
            self.fail(
                "E420",
                f"model '{m.name}' both learns from data and declares nodes: keep one",
                node.nodes[0],
            )
            m.ok = False
            return
        if not node.learn:
            self.fail(
                "E404",
                f"model '{m.name}' has no `learn from DATASET (columns...)` line",
                node,
                "declared networks (nodes with their probability tables) come in a later version",
            )
            m.ok = False
            return
        for extra in node.learn[1:]:
            self.fail("E404", f"model '{m.name}' has two `learn from` lines", extra)
        learn = node.learn[0]
        ds = self.datasets.get(learn.dataset)
        if ds is None:
            if learn.dataset not in self.broken:
                self.fail(
                    "E405",
                    f"unknown dataset '{learn.dataset}'",
                    learn.dataset_span,
                    did_you_mean(learn.dataset, self.datasets),
                )
            m.ok = False
            return
        m.dataset = learn.dataset
        if len(ds.frame) == 0:
            self.fail(
                "E417",
                f"dataset '{ds.name}' has no rows: a model learns from at least one",
                learn.dataset_span,
            )
            m.ok = False
            return
        seen: set[str] = set()
        for name, span in zip(learn.columns, learn.column_spans, strict=False):
            if name not in ds.columns:
                self.fail(
                    "E406",
                    f"dataset '{ds.name}' has no column {spec_name(name)}",
                    span,
                    did_you_mean(name, ds.columns),
                )
                m.ok = False
            elif name in seen:
                self.fail("E406", f"column {spec_name(name)} is learned twice", span)
            else:
                seen.add(name)
                m.columns.append(name)
        if learn.weight is not None:
            w = learn.weight
            if w not in ds.columns:
                self.fail(
                    "E406",
                    f"dataset '{ds.name}' has no weight column {spec_name(w)}",
                    learn.weight_span,
                    did_you_mean(w, ds.columns),
                )
            elif ds.columns[w] not in ("int", "float"):
                self.fail(
                    "E409",
                    f"weight column {spec_name(w)} holds {ds.columns[w]}, not counts",
                    learn.weight_span,
                )
            elif w in seen:
                self.fail(
                    "E409", f"weight column {spec_name(w)} is also learned", learn.weight_span
                )
            else:
                m.weight = w
                self._weights(m, ds, learn)

    def _weights(self, m: ModelInfo, ds, learn: ast.Learn) -> None:
        """Weights count rows (each row stands for that many individuals): finite and >= 0, and
        whole numbers under DP, whose unit of privacy is one individual (docs/privacy.md)."""
        import numpy as np

        values = ds.frame[m.weight].to_numpy(dtype=np.float64, na_value=np.nan)
        private = bool(m.node.privacy) and m.node.privacy[0].epsilon is not None
        bad = ~np.isfinite(values) | (values < 0)
        why = "finite numbers >= 0"
        if private:
            bad |= values != np.round(values)
            why = "whole numbers >= 0 under differential privacy (one unit: one individual)"
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            self.fail(
                "E409",
                f"weight column {spec_name(m.weight)} of dataset '{ds.name}' holds "
                f"{ds.frame[m.weight].iloc[row]!r} at row {row + 1}: weights must be {why}",
                learn.weight_span,
            )
            m.ok = False

    def _privacy(self, m: ModelInfo) -> None:
        node = m.node
        if not node.privacy:
            self.fail(
                "E407",
                f"model '{m.name}' learns from data but says nothing about privacy",
                node,
                "add `privacy epsilon 1.0` (differential privacy), or `privacy none` to learn "
                "without it",
            )
            m.ok = False
            return
        for extra in node.privacy[1:]:
            self.fail("E407", f"model '{m.name}' sets its privacy twice", extra)
        p = node.privacy[0]
        if p.epsilon is None:
            return
        m.private = True
        if not (math.isfinite(p.epsilon) and 0.001 <= p.epsilon <= 100):
            self.fail("E408", "epsilon must be a number from 0.001 to 100", p)
            m.ok = False
            return
        if p.delta is not None and not (0 <= p.delta <= 0.01 and math.isfinite(p.delta)):
            self.fail(
                "E408",
                "delta must be from 0 to 0.01 (the chance the guarantee fails: keep it far "
                "below 1 / rows, e.g. 1e-6)",
                p,
            )
            m.ok = False
            return
        m.epsilon, m.delta = p.epsilon, p.delta

    def _options(self, m: ModelInfo) -> None:
        from synthdsl.models.base import Option, OptionProblem, Percent

        opts = []
        for i, o in enumerate(m.node.options):
            values = tuple(
                Percent(float(v.value))
                if isinstance(v, ast.Percent)
                else v.name
                if isinstance(v, ast.Name)
                else v.value
                for v in o.values
            )
            opts.append(Option(o.name, values, i))
        try:
            m.options = m.kind.options(opts)
        except OptionProblem as exc:
            at = m.node.options[exc.index] if exc.index is not None else m.node
            self.fail("E410", exc.message, at, exc.hint)
            m.ok = False

    # ---- draws: (a, b) ~ m given c
    def declare_multi(self, t: TableInfo, multi: ast.Multi) -> None:
        for name in multi.columns:  # drawn by the model: never "has no value" (E161), even when
            info = t.columns.get(name)  # the model itself is broken or unknown
            if info is not None and info.node.gen is None and info.kind != "model":
                info.kind = "model"
                t.models[name] = multi.model
        m = self.models.get(multi.model)
        if m is None:
            self.fail(
                "E142",
                f"unknown model '{multi.model}'",
                multi,
                did_you_mean(multi.model, self.models)
                or f"declare it: `model {multi.model} : bayesnet {{ learn from ... }}`",
            )
            return
        if m.table is not None:
            self.fail(
                "E414",
                f"model '{m.name}' is drawn twice (first in table '{m.table}')",
                multi,
                "draw it once; for a second table declare a second model",
            )
            return
        m.table, m.given = t.name, multi.given
        if not m.ok:
            return
        ds = self.datasets[m.dataset] if m.dataset is not None else None
        for name in (*multi.columns, *multi.given):
            if name not in m.columns:
                self.fail(
                    "E413",
                    f"model '{m.name}' does not learn column {spec_name(name)}",
                    multi,
                    did_you_mean(name, m.columns) or f"add it to `learn from {m.dataset} (...)`",
                )
                m.ok = False
        both = set(multi.columns) & set(multi.given)
        if both:
            self.fail("E413", f"column {spec_name(sorted(both)[0])} is both drawn and given", multi)
            m.ok = False
        for name in multi.given:
            if name not in t.columns:
                self.fail(
                    "E413",
                    f"given column {spec_name(name)} is not a column of table '{t.name}'",
                    multi,
                )
                m.ok = False
        if m.network is not None:
            nodes = {n["name"]: n for n in m.network["nodes"]}
            for name in multi.given:
                if name in nodes and nodes[name]["kind"] != "categorical":
                    self.fail(
                        "E413",
                        f"given column {spec_name(name)} is a numeric node: a declared network is "
                        "drawn given categorical nodes",
                        multi,
                    )
                    m.ok = False
            if m.ok:
                self._joint_size(m, nodes, multi)
        for name in multi.columns:
            info = t.columns.get(name)
            if name not in m.columns:  # reported above (E413)
                continue
            if info is None:
                if ds is not None:
                    typ = _DATASET_KINDS.get(ds.columns[name], "text")
                    nullable = bool(ds.frame[name].isna().any())
                else:
                    typ, nullable = node_type(m.network, name), False
                col = ast.Column(
                    name, ast.TypeRef(typ, (), nullable, span=multi.span), span=multi.span
                )
                info = t.columns[name] = ColumnInfo(name, DType(typ, nullable), col, "model")  # type: ignore[arg-type]
            elif info.kind == "model" and t.models.get(name) != m.name:
                self.fail("E413", f"column {spec_name(name)} is drawn by two models", multi)
                continue
            elif info.node.gen is not None:
                self.fail(
                    "E413",
                    f"column {spec_name(name)} has its own value and is drawn from model "
                    f"'{m.name}'",
                    info.node.gen,
                    f"drop its `~`/`=` part, or drop it from ({', '.join(multi.columns)})",
                )
                continue
            info.kind = "model"
            t.models[name] = m.name

    def _joint_size(self, m: ModelInfo, nodes: dict, multi: ast.Multi) -> None:
        """Evidence on a node whose ancestors are drawn needs the joint table of the given nodes
        and their ancestors (models.bayesnet.declared): refuse one too big to build, here."""
        from synthdsl.models.bayesnet import MAX_JOINT

        given = [g for g in multi.given if g in nodes]
        keep, stack = set(given), list(given)
        while stack:
            for p in nodes[stack.pop()]["parents"]:
                if p not in keep:
                    keep.add(p)
                    stack.append(p)
        if keep <= set(given):  # ancestors all given: drawn forward, no joint table
            return
        cells = math.prod(len(nodes[x]["labels"]) for x in keep)
        if cells > MAX_JOINT:
            self.fail(
                "E427",
                f"drawing model '{m.name}' given {', '.join(given)} needs the joint table of "
                f"those nodes and their ancestors: {cells:,} cells, more than {MAX_JOINT:,}",
                multi,
                "give the nodes' parents too, or use fewer labels",
            )
            m.ok = False

    def model_column(self, t: TableInfo, info: ColumnInfo) -> None:
        m = self.models.get(t.models[info.name])
        given = frozenset(m.given if m is not None else ()) - {info.name}
        info.compiled = Compiled(_no_fn, expr_type(info.dtype), given, random=True)

    # ---- after the tables: types and budgets
    def finish_models(self) -> None:
        for m in self.models.values():
            if m.table is None:
                continue  # a model nobody draws is still checked, never fitted
            t = self.tables[m.table]
            if not m.ok:
                continue
            if m.network is not None:
                self._network_types(m, t)
                continue
            ds = self.datasets[m.dataset]
            for name in m.columns:
                info = t.columns.get(name)
                if info is None:  # learned, not drawn: typed as the dataset has it
                    typ = _DATASET_KINDS.get(ds.columns[name], "text")
                    dtype = DType(typ, bool(ds.frame[name].isna().any()))  # type: ignore[arg-type]
                else:
                    dtype = info.dtype
                    if info.clamp is not None:
                        m.clamps[name] = info.clamp
                    if info.node.round is not None:
                        m.rounds[name] = info.node.round
                    self._data_fits(m, ds, name, dtype, info)
                m.dtypes[name] = dtype
            for problem in m.kind.problems(_View(m)):
                self.fail("E411", problem, m.node)
        self._budgets()

    def _budgets(self) -> None:
        spent: dict[str, list[ModelInfo]] = {}
        for m in self.models.values():
            if m.dataset is not None and m.ok:
                spent.setdefault(m.dataset, []).append(m)
        for b in self.budgets:
            if b.dataset not in self.datasets:
                if b.dataset not in self.broken:
                    self.fail(
                        "E415",
                        f"budget for unknown dataset '{b.dataset}'",
                        b,
                        did_you_mean(b.dataset, self.datasets),
                    )
                continue
            if not (math.isfinite(b.epsilon) and b.epsilon > 0) or not (
                b.delta is None or 0 <= b.delta < 1
            ):
                self.fail("E415", "a budget needs epsilon above 0 and delta in [0, 1)", b)
                continue
            models = spent.get(b.dataset, [])
            open_ = [m.name for m in models if not m.private]
            if open_:
                self.fail(
                    "E416",
                    f"dataset '{b.dataset}' has a privacy budget, but model '{open_[0]}' learns "
                    "from it with `privacy none`",
                    b,
                    "give the model `privacy epsilon E`",
                )
                continue
            eps = sum(m.epsilon or 0.0 for m in models)
            delta = sum(m.delta or 0.0 for m in models)
            parts = " + ".join(f"{m.name} {m.epsilon:g}" for m in models)
            if eps > b.epsilon * (1 + 1e-9):
                self.fail(
                    "E416",
                    f"models spend epsilon {eps:g} on dataset '{b.dataset}' ({parts}), over its "
                    f"budget of {b.epsilon:g}",
                    b,
                    "lower the models' epsilons (sequential composition: they add up)",
                )
            elif delta > (b.delta or 0.0) * (1 + 1e-9):
                self.fail(
                    "E416",
                    f"models spend delta {delta:g} on dataset '{b.dataset}', over its budget of "
                    f"{b.delta or 0:g}",
                    b,
                )
