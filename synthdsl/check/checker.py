"""Check: parsed modules -> a ``CheckedSpec`` (names, types, references, cycles, parameters, rules).

Input: the main ``ast.Module`` (imports are followed here). Output: every table with its typed, compiled
columns and rules, in an order where parents come first. The checker records every problem it finds and
raises one ``SpecError`` at the end, so a user fixes a spec in one pass (a Jinja-style visitor whose
``fail`` records and goes on). ``Checker`` checks modules, datasets, tables and columns, and ``check``
runs every pass in order; its imports and datasets (``files.FileChecks``), rule checks
(``rules.RuleChecks``) and aggregate checks (``aggregates.AggregateChecks``) are mixins in their own
modules, to keep each file short.
"""

from __future__ import annotations

from pathlib import Path

from synthdsl.check.aggregates import AggregateChecks
from synthdsl.check.files import FileChecks
from synthdsl.check.model import (
    DEFAULT_LOCALE,
    DEFAULT_SEED,
    CheckedSpec,
    ColumnInfo,
    TableInfo,
    assignable,
    expr_type,
    parse_type,
    toposort,
)
from synthdsl.check.models import ModelChecks
from synthdsl.check.names import dedupe, file_name_ok, locale_once, unwritable_names
from synthdsl.check.networks import NetworkChecks
from synthdsl.check.rules import RuleChecks
from synthdsl.check.settings import today_setting
from synthdsl.check.simulate import STEP_DATE, SimulationChecks
from synthdsl.dtypes import DType
from synthdsl.errors import Diagnostic, SpecError, did_you_mean
from synthdsl.expr import aggregate, clock
from synthdsl.expr.compile import Compiler
from synthdsl.expr.context import NUMERIC, Compiled, DatasetInfo, Scope
from synthdsl.expr.functions import discrete_uniform
from synthdsl.expr.functions.provider_call import null_diagnostic
from synthdsl.source import SourceFile, Span
from synthdsl.syntax import ast


class Checker(
    FileChecks, RuleChecks, AggregateChecks, ModelChecks, NetworkChecks, SimulationChecks
):
    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.datasets: dict[str, DatasetInfo] = {}
        self.tables: dict[str, TableInfo] = {}
        self.seed: int | None = None
        self.locale: str | None = None
        self.locale_span: Span | None = None
        self.today: str | None = None
        self.untyped: set[tuple[str, str]] = set()
        self.broken: set[str] = set()  # datasets that failed to load: already reported
        self.models: dict = {}  # name -> check.models.ModelInfo
        self.budgets: list[ast.Budget] = []
        self.simulations: list[ast.Simulate] = []
        self.sims: dict = {}  # simulated table -> check.simulate.SimInfo

    def fail(self, code: str, message: str, node: ast.Node | Span, hint: str | None = None) -> None:
        span = node if isinstance(node, Span) else node.span
        self.diags.append(Diagnostic(code, message, span, hint))

    # ---- modules and imports
    def load_module(self, module: ast.Module, stack: tuple[str, ...], main: bool) -> None:
        base = Path(module.path).resolve().parent if module.path != "<string>" else Path.cwd()
        for st in module.statements:
            if isinstance(st, ast.Import):
                self.import_(st, base, stack)
            elif isinstance(st, ast.Seed):
                if not main:
                    continue
                if self.seed is not None:
                    self.fail("E110", "seed is set twice", st)
                self.seed = int(st.value) if isinstance(st.value, int) else -1
                if self.seed < 0 or self.seed >= 2**63:
                    self.fail("E111", "seed must be a whole number >= 0", st)
            elif isinstance(st, ast.Locale):
                if main:
                    if self.locale is not None:
                        self.fail("E112", "locale is set twice", st)
                    self.locale = st.value
                    self.locale_span = st.span
            elif isinstance(st, ast.Today) and main:
                self.today = today_setting(st, self.today, self.fail)
            elif isinstance(st, ast.Dataset):
                self.dataset(st, base)
            elif isinstance(st, ast.Model):
                self.declare_model(st)
            elif isinstance(st, ast.Budget):
                self.declare_budget(st)
            elif isinstance(st, ast.Simulate):
                self.simulations.append(st)
            elif isinstance(st, ast.Table):
                if st.name in self.tables:
                    self.fail("E120", f"table '{st.name}' is declared twice", st)
                elif not file_name_ok(st.name):
                    self.fail(
                        "E121",
                        f"table name '{st.name}' cannot be a file name (its data is written to "
                        "one): no '/', '\\', control characters, or a leading '.'",
                        st,
                        "name it with letters, digits, '_' and '-'",
                    )
                else:
                    self.tables[st.name] = TableInfo(st.name, st)

    # ---- tables
    def declare_columns(self, t: TableInfo) -> None:
        for col in t.node.columns:
            if col.name in t.columns:
                self.fail("E140", f"column '{col.name}' is declared twice in '{t.name}'", col)
                continue
            dtype = parse_type(col.type, self.diags)
            t.columns[col.name] = ColumnInfo(col.name, dtype or DType("text", True), col, "compute")
            if dtype is None:  # already reported: do not report the value's type against it
                self.untyped.add((t.name, col.name))
        keys = [c for c in t.columns.values() if c.node.key]
        for extra in keys[1:]:
            self.fail("E141", f"table '{t.name}' has more than one key", extra.node)
        for m in t.node.multis:
            self.declare_multi(t, m)

    def rows(self, t: TableInfo) -> None:
        node = t.node
        if t.fed_by is not None:  # its rows come from a simulation (check.simulate)
            t.parent = t.fed_by
            return
        for extra in node.extra_rows:
            self.fail("E150", f"table '{t.name}' sets its row count twice", extra)
        if node.rows is None:
            self.fail(
                "E151",
                f"table '{t.name}' needs a row count",
                node,
                f"add `rows 100`, or `rows per PARENT ~ poisson(3)` inside table {t.name}",
            )
            return
        scope = self.scope(t, columns={})
        if isinstance(node.rows, ast.RowsFixed):
            c = Compiler(scope).compile(node.rows.count)
            if not c.is_const or c.type != "int" or c.const < 0:
                self.fail("E152", "rows must be a whole number >= 0", node.rows.count)
            else:
                t.rows = int(c.const)
            return
        parent = node.rows.parent
        if parent not in self.tables:
            self.fail(
                "E153",
                f"unknown parent table '{parent}'",
                node.rows,
                did_you_mean(parent, self.tables),
            )
            return
        if parent == t.name:
            self.fail("E154", f"table '{t.name}' cannot be its own parent", node.rows)
            return
        t.parent = parent
        # The parent's columns are in scope only so that naming one reports E155, not E206.
        scope.related = {
            parent: {k: expr_type(v.dtype) for k, v in self.tables[parent].columns.items()}
        }
        # ``rows per p ~ uniform(1, 3)``: 1, 2 or 3 children, equally likely (as in an int column).
        c = discrete_uniform(Compiler(scope).compile(node.rows.dist))
        if c.related or c.deps:
            self.fail(
                "E155",
                "child row counts cannot depend on columns yet; use constant parameters",
                node.rows.dist,
            )
        elif c.type not in ("int", "any") and not c.is_const:
            self.fail("E156", f"rows per needs a whole-number draw, found {c.type}", node.rows.dist)
        elif c.is_const and (c.type != "int" or c.const < 0):
            self.fail("E152", "rows per must be a whole number >= 0", node.rows.dist)
        t.count = c
        if node.rows.clamp is not None:
            t.count_clamp = self.rows_clamp(scope, node.rows.clamp)

    def rows_clamp(self, scope, clamp: ast.RowsClamp) -> tuple[int, int] | None:
        """``clamp(lo, hi)`` of a ``rows per`` draw: whole numbers with 0 <= lo <= hi."""
        bounds: list[int] = []
        for expr in (clamp.low, clamp.high):
            c = Compiler(scope).compile(expr)
            if not c.is_const or c.type != "int" or c.const is None or c.const < 0:
                self.fail(
                    "E157",
                    "the bounds of clamp on rows per must be whole numbers >= 0",
                    expr,
                    "write whole-number counts, as in `rows per orders ~ poisson(3) clamp(1, 10)`",
                )
                return None
            bounds.append(int(c.const))
        lo, hi = bounds
        if lo > hi:
            self.fail(
                "E157",
                f"clamp on rows per has its lower bound {lo} above its upper bound {hi}",
                clamp,
                f"write clamp({hi}, {lo})",
            )
            return None
        return lo, hi

    def related_tables(self, t: TableInfo) -> dict[str, dict[str, str]]:
        related = {}
        names = set()
        if t.parent:
            names.add(t.parent)
        for c in t.columns.values():
            if isinstance(c.node.gen, ast.Ref) and c.node.gen.table in self.tables:
                names.add(c.node.gen.table)
        for name in names:
            related[name] = {k: expr_type(v.dtype) for k, v in self.tables[name].columns.items()}
        return related

    def scope(self, t: TableInfo, columns: dict[str, str] | None = None) -> Scope:
        cols = {k: expr_type(v.dtype) for k, v in t.columns.items()} if columns is None else columns
        if t.fed_by is not None and columns is None:
            cols = {**cols, STEP_DATE: "date"}  # the date of the step that made the row
        children = {
            name: {k: expr_type(v.dtype) for k, v in c.columns.items()}
            for name, c in self.tables.items()
            if c.parent == t.name and columns is None
        }
        return Scope(
            t.name,
            cols,
            self.related_tables(t) if columns is None else {},
            self.datasets,
            self.locale or DEFAULT_LOCALE,
            self.diags,
            today=self.today or clock.DEFAULT_TODAY,
            broken=self.broken,
            children=children,
        )

    def columns(self, t: TableInfo) -> None:
        scope = self.scope(t)
        compiler = Compiler(scope)
        for info in t.columns.values():
            col = info.node
            scope.column_name = info.name
            scope.draw_counter = [0]
            gen = col.gen
            if info.kind == "sim":
                continue  # a history table's column: the simulation writes it
            if info.kind == "model":
                self.model_column(t, info)
            elif (
                isinstance(gen, ast.Drawn)
                and isinstance(gen.expr, ast.Name)
                and gen.expr.name in self.models
                and gen.expr.name not in t.columns
            ):
                self.fail(
                    "E142",
                    f"'{gen.expr.name}' is a model: a model fills its columns as "
                    f"`({info.name}) ~ {gen.expr.name}`",
                    gen.expr,
                    f"declare `{info.name} {info.dtype}` and add the line "
                    f"`({info.name}) ~ {gen.expr.name}`",
                )
            elif gen is None:
                self.default_generator(t, info)
            elif isinstance(gen, ast.Ref):
                self.reference(t, info, gen)
            else:
                c = compiler.compile(gen.expr)
                if info.dtype.kind == "int":
                    c = discrete_uniform(c)
                info.compiled = c
                info.providers = tuple(scope.providers.pop(info.name, ()))
                info.kind = _kind_of(c, gen)
                if (t.name, info.name) not in self.untyped and not assignable(info.dtype, c.type):
                    self.fail(
                        "E160",
                        f"column '{info.name}' is {info.dtype} but its value is {c.type}",
                        gen.expr,
                        _type_hint(info.dtype, c.type),
                    )
                self.enum_labels(info, c, gen.expr)
                if (nulls := null_diagnostic(info.name, info.dtype, c, gen.expr)) is not None:
                    self.diags.append(nulls)
            self.modifiers(t, info)

    def default_generator(self, t: TableInfo, info: ColumnInfo) -> None:
        if info.dtype.kind in ("enum", "bool"):
            info.kind = "default"
            return
        self.fail(
            "E161",
            f"column '{info.name}' has no value: add `~ DISTRIBUTION` or `= EXPRESSION`",
            info.node,
            f"for example `{info.name} {info.dtype} ~ uniform(0, 100)`",
        )

    def enum_labels(self, info: ColumnInfo, c: Compiled, node: ast.Expr) -> None:
        if info.dtype.kind != "enum":
            return
        allowed = set(info.dtype.values or ())
        labels = []
        if c.cat is not None:
            labels = [str(x) for x in c.cat.labels]
        elif c.is_const and isinstance(c.const, str):
            labels = [c.const]
        bad = [x for x in labels if x not in allowed]
        if bad:
            self.fail(
                "E162",
                f"'{bad[0]}' is not a value of {info.dtype}",
                node,
                did_you_mean(bad[0], allowed),
            )

    def reference(self, t: TableInfo, info: ColumnInfo, gen: ast.Ref) -> None:
        info.kind = "ref"
        target = self.tables.get(gen.table)
        if target is None:
            self.fail(
                "E170", f"unknown table '{gen.table}'", gen, did_you_mean(gen.table, self.tables)
            )
            return
        col = target.columns.get(gen.column)
        if col is None:
            self.fail(
                "E171",
                f"table '{gen.table}' has no column '{gen.column}'",
                gen,
                did_you_mean(gen.column, target.columns),
            )
            return
        if not (col.node.key or col.node.unique):
            key = target.key
            hint = (
                f"reference the key instead: ref {gen.table}.{key.name}"
                if key is not None
                else f"give '{gen.table}' a key, e.g. `id int = serial() key`"
            )
            self.fail(
                "E172",
                f"'{gen.table}.{gen.column}' is not a key: a reference needs a key or unique column",
                gen,
                hint,
            )
            return
        if col.dtype.kind != info.dtype.kind:
            self.fail(
                "E173",
                f"'{info.name}' is {info.dtype} but '{gen.table}.{gen.column}' is {col.dtype}",
                info.node.type,
            )
        refs = [c for c in t.columns.values() if c.ref and c.ref[0] == gen.table]
        if refs:
            self.fail("E174", f"table '{t.name}' already references '{gen.table}'", gen)
        info.ref = (gen.table, gen.column)

    def unique_capacity(self, t: TableInfo) -> None:
        """A `unique` column with fewer possible values than the table's rows can never hold."""
        if t.rows is None:
            return
        for info in t.columns.values():
            if not (info.node.unique or info.node.key) or info.node.nulls:
                continue
            c = info.compiled
            if c is not None and c.cat is not None and info.kind == "draw":
                values = int((c.cat.weights > 0).sum())
            elif info.dtype.kind == "bool":
                values = 2
            elif info.kind == "default" and info.dtype.kind == "enum":
                values = len(info.dtype.values or ())
            else:
                continue
            if t.rows > values:
                self.fail(
                    "E175",
                    f"column '{info.name}' must be unique, but it has {values} possible value(s) "
                    f"and table '{t.name}' has {t.rows:,} rows",
                    info.node,
                    "drop `unique`, lower the rows, or draw from more values",
                )

    def modifiers(self, t: TableInfo, info: ColumnInfo) -> None:
        col = info.node
        if col.nulls is not None:
            if not 0 <= col.nulls <= 1:
                self.fail("E180", "nulls must be between 0% and 100%", col.nulls_span)
            elif not info.dtype.nullable:
                self.fail(
                    "E181",
                    f"column '{info.name}' has nulls but its type is not nullable",
                    col.nulls_span,
                    f"write the type as {info.dtype}?",
                )
        if col.key and col.nulls:
            self.fail("E182", "a key column cannot have nulls", col)
        if col.clamp is not None:
            scope = self.scope(t)
            lo, hi = (Compiler(scope).compile(e) for e in col.clamp)
            if (
                not (lo.is_const and hi.is_const)
                or lo.type not in NUMERIC
                or hi.type not in NUMERIC
            ):
                self.fail("E183", "clamp needs two constant numbers", col)
            elif lo.const > hi.const:
                self.fail("E184", f"clamp low {lo.const} is above high {hi.const}", col)
            elif info.dtype.kind not in ("int", "float", "decimal"):
                self.fail(
                    "E185", f"clamp needs a numeric column, '{info.name}' is {info.dtype}", col
                )
            else:
                info.clamp = (float(lo.const), float(hi.const))
        if col.round is not None:
            if not isinstance(col.round, int) or not 0 <= col.round <= 15:
                self.fail("E186", "round needs a whole number of digits from 0 to 15", col)
            elif info.dtype.kind not in ("float", "decimal"):
                self.fail("E187", f"round needs a float column, '{info.name}' is {info.dtype}", col)

    def order_columns(self, t: TableInfo) -> None:
        graph = {name: sorted(c.deps & set(t.columns)) for name, c in t.columns.items()}
        order, cycle = toposort(graph)
        if cycle:
            first = t.columns[cycle[0]].node
            self.fail(
                "E211",
                "columns depend on each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
                first,
            )
        t.order = order
        for info in t.columns.values():
            for d in info.deps:
                parsed = aggregate.parse_key(d)
                if parsed is not None:
                    t.aggregates[d] = parsed
        for name in order:  # dependencies first: one pass finds every late column
            if t.is_late(t.columns[name].deps):
                t.late.add(name)
        for info in t.columns.values():
            self.aggregate_nulls(t, info)

    def order_tables(self) -> list[str]:
        graph: dict[str, list[str]] = {}
        for name, t in self.tables.items():
            deps = {c.ref[0] for c in t.columns.values() if c.ref}
            if t.parent:
                deps.add(t.parent)
            graph[name] = sorted(d for d in deps if d in self.tables)
        order, cycle = toposort(graph)
        if cycle:
            self.fail(
                "E212",
                "tables reference each other in a cycle: " + " -> ".join([*cycle, cycle[0]]),
                self.tables[cycle[0]].node,
            )
        else:
            self.family_cycle()
        return order

    def family_cycle(self) -> None:
        """A child table is generated with its root's family, so a child's reference to a table of
        another family orders the whole family after it (``execute.run.family_order``): a cycle
        there, such as a child of ``a`` referencing ``b`` which references ``a``, is E212 too."""

        def root(name: str) -> str:
            seen = {name}
            while (p := self.tables[name].parent) in self.tables and p not in seen:
                seen.add(name := p)
            return name

        graph: dict[str, set[str]] = {}
        via: dict[tuple[str, str], str] = {}
        for name, t in self.tables.items():
            a = root(name)
            graph.setdefault(a, set())
            for c in t.columns.values():
                if c.ref and c.ref[0] in self.tables and c.ref[0] != t.parent:
                    b = root(c.ref[0])
                    if a != b:
                        graph[a].add(b)
                        via.setdefault((a, b), name)
        _, cycle = toposort({k: sorted(v) for k, v in graph.items()})
        if cycle:
            steps = [
                f"{a} (its child {via[(a, b)]})" if via[(a, b)] != a else a
                for a, b in zip(cycle, [*cycle[1:], cycle[0]])
            ]
            self.fail(
                "E212",
                "tables reference each other in a cycle: " + " -> ".join([*steps, cycle[0]]),
                self.tables[via[(cycle[0], cycle[1 % len(cycle)])]].node,
            )


def _kind_of(c: Compiled, gen: ast.Drawn | ast.Computed) -> str:
    if c.serial:
        return "serial"
    if isinstance(c.provider, tuple):
        return "lookup"
    if c.provider is not None:
        return "provider"
    if c.random:
        return "draw"
    if isinstance(gen.expr, ast.Call) and len(c.deps) == 1:
        parsed = aggregate.parse_key(next(iter(c.deps)))
        if parsed is not None and gen.expr.path == (parsed[0],):
            return "aggregate"
    return "compute"


def _type_hint(dtype: DType, typ: str) -> str | None:
    if dtype.kind in ("text", "enum") and typ != "text":
        return 'convert with text(x) or format("{}", x)'
    if dtype.kind in ("date", "datetime") and typ in NUMERIC:
        return 'build dates with date("2026-01-01") + days(n)'
    if dtype.kind in ("date", "datetime") and typ == "text":
        return (
            f"text in ISO form becomes a {dtype.kind} with {dtype.kind}(x), e.g. a dataset's column"
        )
    if dtype.kind in ("int", "float", "decimal") and typ == "duration":
        return "use days_between(a, b) for a number of days"
    return None


def check(module: ast.Module, source: SourceFile) -> CheckedSpec:
    """Check a parsed main module; raises ``SpecError`` with every diagnostic."""
    ch = Checker()
    main_key = str(Path(source.path).resolve()) if source.path != "<string>" else "<string>"
    ch.sources[main_key] = source.text
    ch.load_module(module, (main_key,), main=True)
    ch.diags += unwritable_names(module)
    if not ch.tables and not ch.diags:  # an empty file: "wrote out ()" would be no answer at all
        ch.diags.append(
            Diagnostic(
                "E122",
                "the spec declares no table: there is nothing to generate",
                Span(source, 1, 1, 1, 2),
                "declare one: `table people {` / `rows 10` / `id int = serial() key` / `}`",
            )
        )
    ch.check_models()
    for t in ch.tables.values():
        ch.declare_columns(t)
    ch.declare_simulations()
    for t in ch.tables.values():
        ch.rows(t)
    for t in ch.tables.values():
        ch.columns(t)
        ch.order_columns(t)
        ch.rules(t)
        ch.late_rules(t)
        ch.decimal_ranges(t)
        ch.unique_capacity(t)
    for t in ch.tables.values():
        ch.aggregate_cycles(t)
    ch.check_simulations()
    ch.finish_models()
    order = ch.order_tables()
    if ch.diags:
        raise SpecError(dedupe(locale_once(ch.diags, ch.locale_span)))
    tables = {name: ch.tables[name] for name in order}
    return CheckedSpec(
        source.path,
        ch.sources,
        ch.seed if ch.seed is not None else DEFAULT_SEED,
        ch.locale or DEFAULT_LOCALE,
        ch.datasets,
        tables,
        today=ch.today or clock.DEFAULT_TODAY,
        models={name: m for name, m in ch.models.items() if m.table is not None},
        budgets=list(ch.budgets),
        simulations=dict(ch.sims),
    )
