"""Check simulations: ``simulate TABLE EVERY from A to B { ... }`` blocks (codes E500-E524).

Input: the parsed ``ast.Simulate`` statements and the checker's tables. Output: a ``SimInfo`` per
simulated table (its calendar, state columns, emitted tables, history table), the tables it feeds
made its children (their rows come from the simulation, not from a ``rows`` line), and a history
table (``record NAME every step``) declared like any other table. Each mistake gets a caret.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import numpy as np

from synthdsl.calendar import MAX_STEPS, step_dates, unit_of
from synthdsl.check.model import ColumnInfo, TableInfo, assignable, expr_type
from synthdsl.check.names import file_name_ok
from synthdsl.dtypes import DType
from synthdsl.errors import did_you_mean
from synthdsl.expr import aggregate
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import Compiled, Scope
from synthdsl.expr.functions import discrete_uniform
from synthdsl.source import Span
from synthdsl.syntax import ast

STEP_DATE = "step_date"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_EVERY = 3_652_425  # 10,000 years of days: a longer step never takes a second one
_LABELLED = ("enum", "text", "bool", "int")  # what a transition may move between
_FIXED = {"key": "the key", "unique": "a unique column", "ref": "a reference"}


@dataclass
class SimInfo:
    table: str
    node: ast.Simulate
    unit: str = "year"
    every: int = 1
    start: str = ""  # the first step's date (ISO)
    end: str = ""
    steps: int = 0
    state: tuple[str, ...] = ()  # the columns the updates write, first write first
    emits: tuple[str, ...] = ()  # tables `emit` makes rows in, first line first
    history: str | None = None  # the `record` table
    history_columns: tuple[str, ...] = ()
    derived: set[str] = field(default_factory=set)  # columns computed from the state
    step_rules: tuple[str, ...] = ()  # rules checked at every step


class SimulationChecks:
    """A mixin of ``Checker``: the passes over ``simulate`` blocks."""

    tables: dict[str, TableInfo]
    simulations: list[ast.Simulate]
    sims: dict[str, SimInfo]

    def fail(self, code: str, message: str, node, hint: str | None = None) -> None: ...

    def scope(self, t: TableInfo, columns: dict[str, str] | None = None) -> Scope: ...

    def enum_labels(self, info: ColumnInfo, c: Compiled, node: ast.Expr) -> None: ...

    # ---- before the tables' rows: who feeds which table
    def declare_simulations(self) -> None:
        fed: dict[str, str] = {}
        for st in self.simulations:
            t = self.tables.get(st.table)
            if t is None:
                self.fail(
                    "E500",
                    f"unknown table '{st.table}' to simulate",
                    st,
                    did_you_mean(st.table, self.tables),
                )
                continue
            if st.table in self.sims:
                self.fail(
                    "E501",
                    f"table '{st.table}' is simulated twice",
                    st,
                    "put every update, event and stop rule of its entities in one simulate block",
                )
                continue
            if not isinstance(t.node.rows, ast.RowsFixed):
                self.fail(
                    "E519",
                    f"a simulation steps the rows of a table with a fixed row count; "
                    f"'{st.table}' has none",
                    st,
                    f"give table {st.table} `rows N`",
                )
                continue
            sim = SimInfo(st.table, st)
            self.sims[st.table] = sim
            self._calendar(sim)
            emits: list[str] = []
            for e in st.emits:
                if self._emit_target(sim, e, fed) and e.table not in emits:
                    emits.append(e.table)
            sim.emits = tuple(emits)
            self._state(sim, t)
            self._record(sim, fed)
            self._history(sim, t)

    def _calendar(self, sim: SimInfo) -> None:
        st = sim.node
        unit = unit_of(st.unit)
        if unit is None or not 1 <= st.every <= MAX_EVERY:
            self.fail(
                "E502",
                f"a simulation steps every N days, weeks, months or years (N from 1 to "
                f"{MAX_EVERY:,}), not `every {st.every} {st.unit}`",
                st.every_span,
                "write daily, weekly, monthly, yearly, or `every 2 weeks`",
            )
            return
        ends = [self._when(e, st) for e in (st.start, st.end)]
        if None in ends:
            return
        start, end = ends
        if end < start:
            self.fail(
                "E504",
                f"the simulation ends ({end}) before it starts ({start})",
                st.end,
            )
            return
        dates = step_dates(start, unit, st.every, end)
        if len(dates) > MAX_STEPS:
            self.fail(
                "E505",
                f"the simulation would take more than {MAX_STEPS:,} steps",
                st.every_span,
                "step less often (weekly, monthly), or simulate a shorter time",
            )
            return
        sim.start, sim.end, sim.steps = start, end, len(dates)
        sim.unit, sim.every = unit, st.every

    def _when(self, expr: ast.Expr, st: ast.Simulate) -> str | None:
        """``2000`` (a year: its first day), ``date("2000-03-01")`` or ``"2000-03-01"``."""
        c = Compiler(Scope(st.table, {}, {}, {}, "en_US", [])).compile(expr)
        value = c.const if c.is_const else None
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if 1 <= int(value) <= 9999:
                return f"{int(value):04d}-01-01"
        elif isinstance(value, np.datetime64) and c.type == "date" and not np.isnat(value):
            text = str(value.astype("datetime64[D]"))
            if _ISO_DATE.fullmatch(text):  # years 1 to 9999: what a date column can hold
                return text
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
            # never the machine's clock: numpy would read "today" and "now"
            try:
                return datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.fail(
            "E503",
            'a simulation runs from and to a year (2000) or a date (date("2000-03-01"))',
            expr,
        )
        return None

    def _emit_target(self, sim: SimInfo, e: ast.SimEmit, fed: dict[str, str]) -> bool:
        target = self.tables.get(e.table)
        if target is None:
            self.fail(
                "E512",
                f"unknown table '{e.table}' to emit rows into",
                e.table_span,
                did_you_mean(e.table, self.tables),
            )
            return False
        if e.table == sim.table:
            self.fail("E512", "a simulation emits rows into another table", e.table_span)
            return False
        if fed.get(e.table, sim.table) != sim.table:
            self.fail(
                "E514",
                f"table '{e.table}' already gets its rows from the simulation of '{fed[e.table]}'",
                e.table_span,
            )
            return False
        if target.node.rows is not None:
            self.fail(
                "E513",
                f"table '{e.table}' gets its rows from `emit {e.table}` in the simulation of "
                f"'{sim.table}': it cannot have a rows line too",
                target.node.rows,
                "remove this rows line (its parent is the simulated table)",
            )
            return False
        fed[e.table] = sim.table
        target.fed_by = sim.table
        return True

    def _record(self, sim: SimInfo, fed: dict[str, str]) -> None:
        records = sim.node.records
        for extra in records[1:]:
            self.fail("E517", "a simulation records one history table", extra)
        if not records:
            return
        rec = records[0]
        if rec.table in self.tables:
            self.fail(
                "E517",
                f"`record {rec.table}` makes a table, but a table '{rec.table}' is declared",
                rec,
                f"name the history table otherwise, such as {sim.table}_history",
            )
            return
        if not file_name_ok(rec.table):
            self.fail(
                "E517",
                f"'{rec.table}' cannot name a table (its data is written to a file of that name)",
                rec,
            )
            return
        sim.history = rec.table
        fed[rec.table] = sim.table

    # ---- after every table's columns are typed
    def check_simulations(self) -> None:
        for sim in self.sims.values():
            t = self.tables[sim.table]
            if STEP_DATE in t.columns:
                self.fail(
                    "E518",
                    f"a simulated table cannot have a column named '{STEP_DATE}': the name is "
                    "the date of the step",
                    t.columns[STEP_DATE].node,
                )
                continue
            sim.derived = {
                name
                for name in t.columns
                if name not in sim.state and t.ancestors(name) & set(sim.state)
            }
            self._members(sim, t)
            self._fed_reads(sim, t)

    def sim_scope(self, t: TableInfo) -> Scope:
        scope = self.scope(t)
        scope.columns = {**scope.columns, STEP_DATE: "date"}
        return scope

    def _state(self, sim: SimInfo, t: TableInfo) -> None:
        state: list[str] = []
        for u in sim.node.updates:
            info = t.columns.get(u.column)
            if info is None:
                self.fail(
                    "E506",
                    f"unknown column '{u.column}' in table '{t.name}'",
                    u,
                    did_you_mean(u.column, t.columns),
                )
                continue
            fixed = (
                "key"
                if info.node.key
                else "unique"
                if info.node.unique
                else "ref"
                if isinstance(info.node.gen, ast.Ref)
                else None
            )
            if fixed is not None:
                self.fail(
                    "E507",
                    f"column '{u.column}' is {_FIXED[fixed]}: it names the entity and does not "
                    "change",
                    u,
                )
                continue
            if u.column not in state:
                state.append(u.column)
        sim.state = tuple(state)

    def _members(self, sim: SimInfo, t: TableInfo) -> None:
        scope = self.sim_scope(t)
        compiler = Compiler(scope)
        reads: set[str] = set()
        for u in sim.node.updates:
            if u.column not in sim.state:
                continue
            info = t.columns[u.column]
            if isinstance(u, ast.SimUpdate):
                c = self._compile(compiler, u.expr, info.dtype)
                reads |= self._deps(c, u.expr)
                if not assignable(info.dtype, c.type):
                    self.fail(
                        "E508",
                        f"column '{u.column}' is {info.dtype} but its update is {c.type}",
                        u.expr,
                    )
                else:
                    self.enum_labels(info, c, u.expr)
            else:
                reads |= self._transition(compiler, u, info)
        for e in sim.node.emits:
            if e.count is not None:
                c = discrete_uniform(compiler.compile(e.count))
                reads |= self._deps(c, e.count)
                if c.type not in ("int", "any"):
                    self.fail("E515", f"emit count needs a whole number, found {c.type}", e.count)
            if e.when is not None:
                reads |= self._condition(compiler, e.when, "emit ... when")
        for s in sim.node.stops:
            reads |= self._condition(compiler, s.cond, "stop when")
        for extra in sim.node.starts[1:]:
            self.fail("E516", "a simulation has one start line", extra)
        for s in sim.node.starts[:1]:
            if s.on_date:
                c = compiler.compile(s.cond)
                reads |= self._deps(c, s.cond)
                if c.type not in ("date", "datetime", "any"):
                    self.fail("E516", f"start at needs a date, found {c.type}", s.cond)
            else:
                reads |= self._condition(compiler, s.cond, "start when")
        stale = sorted(reads & sim.derived)
        if stale:
            self.fail(
                "E524",
                f"the simulation reads column '{stale[0]}', which is computed from the state "
                f"({', '.join(sorted(t.ancestors(stale[0]) & set(sim.state)))}) once, after "
                "the last step",
                _name_in(sim.node, stale[0]) or sim.node,
                f"update '{stale[0]}' in the simulation too, so it changes at every step",
            )
        sim.step_rules = tuple(
            r.name
            for r in t.rules
            if r.kind == "row"
            and set(r.columns) & set(sim.state)
            and not set(r.columns) & sim.derived
        )

    def _compile(self, compiler: Compiler, expr: ast.Expr, dtype: DType | None) -> Compiled:
        c = compiler.compile(expr)
        if dtype is not None and dtype.kind == "int":
            c = discrete_uniform(c)
        return c

    def _condition(self, compiler: Compiler, expr: ast.Expr, what: str) -> frozenset[str]:
        c = compiler.compile(expr)
        if c.type not in ("bool", "null", "any"):
            self.fail("E516", f"`{what}` needs a condition (true or false), found {c.type}", expr)
        return self._deps(c, expr)

    def _deps(self, c: Compiled, expr: ast.Expr) -> frozenset[str]:
        """The columns an expression of the block reads; an aggregate of child rows is E520: it is
        computed once per row, and the rows a simulation emits exist only once it has run."""
        for d in sorted(c.deps):
            if aggregate.parse_key(d) is not None:
                self.fail(
                    "E520",
                    f"a simulation cannot read {d}: an aggregate of child rows is computed once, "
                    "not at every step (and rows the simulation emits exist only after it)",
                    _name_in(expr, d.split("(", 1)[0]) or expr,
                    "keep a count in a state column instead: `n = n + 1` where the row is emitted",
                )
        return c.deps

    def _transition(
        self, compiler: Compiler, tr: ast.SimTransition, info: ColumnInfo
    ) -> frozenset[str]:
        dtype = info.dtype
        reads: frozenset[str] = frozenset()
        if dtype.kind not in _LABELLED:
            self.fail(
                "E510",
                f"a transition moves a column between labels; '{tr.column}' is {dtype}",
                tr,
                "use an update (`~` or `=`) for a number or a date",
            )
            return reads
        want = expr_type(dtype)
        seen: set[tuple] = set()
        total: dict = {}
        for row in tr.rows:
            ends = []
            for end in (row.source, row.target):
                c = compiler.compile(end)
                if not c.is_const or c.type != want:
                    self.fail(
                        "E510",
                        f"a transition's states are {want} constants of column '{tr.column}'",
                        end,
                    )
                    break
                if dtype.kind == "enum" and c.const not in dtype.values:
                    self.fail(
                        "E510",
                        f"'{c.const}' is not a value of column '{tr.column}' "
                        f"({', '.join(dtype.values or ())})",
                        end,
                        did_you_mean(str(c.const), list(dtype.values or ())),
                    )
                    break
                ends.append(c.const)
            p = compiler.compile(row.prob)
            reads |= self._deps(p, row.prob)
            if p.type not in ("int", "float", "any"):
                self.fail("E510", f"a transition's chance is a number, found {p.type}", row.prob)
                continue
            if len(ends) < 2:
                continue
            pair = (ends[0], ends[1])
            if pair in seen:
                self.fail(
                    "E510", f"the transition {ends[0]!r} -> {ends[1]!r} is written twice", row
                )
            seen.add(pair)
            if not p.is_const:
                continue
            value = float(p.const) if p.const is not None else float("nan")
            if not 0.0 <= value <= 1.0:
                self.fail(
                    "E511",
                    f"a transition's chance is between 0 and 1, not {p.const}",
                    row.prob,
                )
                continue
            total[ends[0]] = total.get(ends[0], 0.0) + value
            if total[ends[0]] > 1.0 + 1e-9:
                self.fail(
                    "E511",
                    f"the chances of leaving {ends[0]!r} add up to {total[ends[0]]:g}, more than 1",
                    row.prob,
                    "the chances of one state's moves add up to 1 at most (the rest stays)",
                )
        return reads

    def _history(self, sim: SimInfo, t: TableInfo) -> None:
        if sim.history is None:
            return
        key = next((c for c in t.columns.values() if c.node.key), None)
        span = sim.node.records[0].span
        cols: list[ColumnInfo] = []
        if key is not None:
            cols.append(_column(key.name, key.dtype, span, ref=(t.name, key.name)))
        elif f"{t.name}_row" in t.columns:
            self.fail(
                "E517",
                f"the history table numbers the entities in a column '{t.name}_row', but table "
                f"'{t.name}' has a column of that name",
                span,
                f"give table {t.name} a key (`id int = serial() key`): the history refers to it",
            )
            return
        else:
            cols.append(_column(f"{t.name}_row", DType("int"), span))
        cols.append(_column(STEP_DATE, DType("date"), span))
        for name in sim.state:
            if name not in (c.name for c in cols):
                cols.append(_column(name, t.columns[name].dtype, span))
        node = ast.Table(sim.history, None, tuple(c.node for c in cols), span=span)
        h = TableInfo(sim.history, node, parent=t.name)
        h.fed_by = t.name
        h.columns = {c.name: c for c in cols}
        h.order = [c.name for c in cols]
        self.tables[sim.history] = h
        sim.history_columns = tuple(h.order)

    def _fed_reads(self, sim: SimInfo, t: TableInfo) -> None:
        """An emitted row reads its entity as it is at the step: its state and what never changes,
        not a column computed once from the final state."""
        for name in sim.emits:
            child = self.tables[name]
            if STEP_DATE in child.columns:
                self.fail(
                    "E518",
                    f"table '{name}' gets rows from a simulation: '{STEP_DATE}' is the step's "
                    "date there, not a column",
                    child.columns[STEP_DATE].node,
                    f"name the column otherwise and compute it: `visit_date date = {STEP_DATE}`",
                )
            for info in child.columns.values():
                stale = sorted(
                    col
                    for table, col in (info.compiled.related if info.compiled else ())
                    if table == t.name and col in sim.derived
                )
                if stale:
                    self.fail(
                        "E524",
                        f"column '{info.name}' reads {t.name}.{stale[0]}, which is computed "
                        "from the simulation's state once, after the last step",
                        info.node,
                        f"update '{stale[0]}' in the simulation too, so it changes at every step",
                    )


def _column(name: str, dtype: DType, span: Span, ref: tuple[str, str] | None = None) -> ColumnInfo:
    args = (dtype.precision, dtype.scale) if dtype.kind == "decimal" else dtype.values or ()
    typ = ast.TypeRef(dtype.kind, args, dtype.nullable, span=span)
    gen = ast.Ref(ref[0], ref[1], span=span) if ref else None
    node = ast.Column(name, typ, gen, span=span)
    info = ColumnInfo(name, dtype, node, "sim", ref=ref)
    return info


def _name_in(node, name: str) -> ast.Node | None:
    """The first place ``node`` names ``name`` (as a column or a function), for a caret."""
    return next((n for n in ast.walk(node) if isinstance(n, ast.Name) and n.name == name), None)
