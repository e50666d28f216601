"""Execute: a plan -> Arrow batches per table, in blocks, with every rule enforced.

Input: a checked spec and its enforcement (``plan.build``). Output: for each table, Arrow batches in
block order (to a sink or collected as DataFrames) and run statistics for the card.

The unit of work is a *block*: ``BLOCK_ROWS`` rows of a root table plus all their descendants (children
of those rows, grandchildren, ...). Every (table, column, block) draws from its own stream, and every
rejection attempt from ``(table, column, block, "reject", attempt, rule)``, so the bytes do not depend on
how blocks are grouped into chunks or spread over worker processes. Failing rows are redrawn, only they
and only the columns the failing rule depends on (plus what is computed from those), until every rule
holds, or the acceptance rate falls under a floor and the run stops with a ``RuleError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from synthdsl.check.model import CheckedSpec, ColumnInfo
from synthdsl.dtypes import DType
from synthdsl.errors import DataError, RuleError, SynthError
from synthdsl.execute.streams import BLOCK_ROWS, seed_key
from synthdsl.expr import aggregate, distributions
from synthdsl.expr.context import Ctx, truth
from synthdsl.plan.build import Enforcement, Plan, RuleExec, build
from synthdsl.schema import ColumnSchema, TableSchema
from synthdsl.source import Span
from synthdsl.values import Values, to_arrow

# A hard stop far beyond what the acceptance floor allows: a rule with acceptance p needs about
# ln(rows) / p attempts, and the floor (below) stops hopeless rules long before this.
MAX_ATTEMPTS = 20_000
FLOOR_AFTER = 10
ACCEPTANCE_FLOOR = 0.001
FLOOR_MIN_TRIED = 1000  # judge the acceptance rate only on enough redrawn rows; else MAX_ATTEMPTS
_REF = "__ref__"


@dataclass
class Stats:
    rows: dict[str, int] = field(default_factory=dict)
    redrawn: dict[tuple[str, str], int] = field(default_factory=dict)

    def merge(self, other: Stats) -> None:
        for k, v in other.rows.items():
            self.rows[k] = self.rows.get(k, 0) + v
        for k, v in other.redrawn.items():
            self.redrawn[k] = self.redrawn.get(k, 0) + v


@dataclass
class Runtime:
    """Everything needed to generate: rebuilt in each worker from the spec sources."""

    spec: CheckedSpec
    plan: Plan
    enf: dict[str, Enforcement]
    seed: int
    rows: dict[str, int]
    children: dict[str, list[str]]
    roots: list[str]
    materialize: set[str]
    materialized: dict[str, dict[str, Values]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)

    @classmethod
    def create(cls, spec: CheckedSpec, seed: int | None, rows: dict[str, int]) -> Runtime:
        plan, enf = build(spec)
        children: dict[str, list[str]] = {name: [] for name in spec.tables}
        roots = []
        for name, t in spec.tables.items():
            if t.parent:
                children[t.parent].append(name)
            else:
                roots.append(name)
        fixed = {n: t.rows for n, t in spec.tables.items() if t.rows is not None}
        for n, r in rows.items():
            fixed[n] = r
        materialize = {
            c.ref[0]
            for t in spec.tables.values()
            for c in t.columns.values()
            if c.ref and c.ref[0] != t.parent
        }
        rt = cls(
            spec,
            plan,
            enf,
            spec.seed if seed is None else seed,
            fixed,
            children,
            roots,
            materialize,
        )
        return rt

    def root_of(self, table: str) -> str:
        t = self.spec.tables[table]
        while t.parent:
            t = self.spec.tables[t.parent]
        return t.name

    def schema(self, table: str) -> TableSchema:
        t = self.spec.tables[table]
        cols = tuple(
            ColumnSchema(c.name, c.dtype, bool(c.node.key), bool(c.node.unique), c.ref)
            for c in t.columns.values()
        )
        return TableSchema(table, cols)

    def family(self, root: str) -> list[str]:
        out = [root]
        for child in self.children[root]:
            out += self.family(child)
        return out

    def n_blocks(self, root: str) -> int:
        return -(-self.rows[root] // BLOCK_ROWS)


# ------------------------------------------------------------------ columns
def coerce(v: Values, dtype: DType) -> Values:
    """Bring a computed value to the declared column type (float -> int rounds; decimals round)."""
    data = v.data
    k = dtype.kind
    if k == "int" and data.dtype.kind != "i":
        data = np.round(np.nan_to_num(np.asarray(data, dtype=np.float64)))
        beyond = np.abs(data) >= 2.0**63
        if v.null is not None:
            beyond &= ~v.null
        if beyond.any():  # the cast would wrap around silently
            raise ValueError(
                f"a value ({data[np.flatnonzero(beyond)[0]]:.3g}) is beyond the 64-bit integer "
                "range; clamp the column"
            )
        data = data.astype(np.int64)
    elif k == "float" and data.dtype != np.float64:
        data = np.asarray(data, dtype=np.float64)
    elif k == "decimal":
        data = np.round(np.asarray(data, dtype=np.float64), dtype.scale or 0)
    elif k == "datetime" and data.dtype != np.dtype("datetime64[us]"):
        data = data.astype("datetime64[us]")
    elif k == "date" and data.dtype != np.dtype("datetime64[D]"):
        data = data.astype("datetime64[D]")
    elif k == "bool" and data.dtype != np.bool_:
        data = data.astype(bool)
    elif k in ("text", "enum") and data.dtype != object:
        data = data.astype(object)
    null = v.null
    if data.dtype.kind == "M":
        nat = np.isnat(data)
        if nat.any():
            null = nat if null is None else (null | nat)
            data = np.where(nat, np.zeros(1, dtype=data.dtype), data)
    if null is not None and data.dtype.kind == "f":
        null = null | np.isnan(data)
    elif data.dtype.kind == "f":
        nan = np.isnan(data)
        null = nan if nan.any() else None
    if null is not None and not null.any():
        null = None
    return Values(data, null)


def truncation_bound(b: float | str | None, ctx: Ctx) -> np.ndarray | float | None:
    """One side of a truncated draw for the rows of ``ctx``: a constant as it is, or another
    column's values as floats, NaN where that column is null (the side is then unbounded)."""
    if not isinstance(b, str):
        return b
    v = ctx.cols[b]
    data = v.data.astype(np.float64)
    return data if v.null is None else np.where(v.null, np.nan, data)


def _round_and_clamp(v: Values, info: ColumnInfo) -> Values:
    """Round first, then clamp to bounds moved inward onto the rounding grid, so a clamped value is
    both within the bounds and has at most the declared digits (``clamp(0.05, 0.94) round(1)`` gives
    values in [0.1, 0.9]; an ``int`` column with ``clamp(0.5, 4.5)`` gives 1 to 4)."""
    data = v.data
    digits = info.node.round
    if digits is None and info.dtype.kind == "decimal":
        digits = info.dtype.scale or 0
    if digits is None and info.dtype.kind == "int":
        digits = 0
    if info.node.round is not None and data.dtype.kind == "f":
        data = np.round(data, digits)
    if info.clamp is not None:
        lo, hi = info.clamp
        if digits is not None:
            scale = 10.0**digits
            lo, hi = math.ceil(lo * scale - 1e-9) / scale, math.floor(hi * scale + 1e-9) / scale
        if lo > hi:
            raise DataError(
                f"column '{info.name}': clamp({info.clamp[0]:g}, {info.clamp[1]:g}) holds no value "
                f"with {digits} decimal(s)",
                column=info.name,
            )
        if data.dtype.kind in "iu":
            data = np.clip(data, math.ceil(lo), math.floor(hi))
        else:
            data = np.clip(data, lo, hi)
    return v if data is v.data else Values(data, v.null)


_MIN_DATE = np.datetime64("0001-01-01", "us")
_MAX_DATE = np.datetime64("9999-12-31T23:59:59.999999", "us")


def _check_date_range(v: Values, info: ColumnInfo, table: str, rows) -> None:
    """Dates must stay in years 1 to 9999: what every sink and Python's ``datetime`` can hold."""
    data = v.data.astype("datetime64[us]", copy=False)
    bad = (data < _MIN_DATE) | (data > _MAX_DATE)
    if v.null is not None:
        bad &= ~v.null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"table '{table}': column '{info.name}' has a date outside years 1 to 9999",
            column=info.name,
            row=int(rows[i]) + 1,
        )


def _check_decimal_fits(v: Values, info: ColumnInfo, table: str, rows) -> None:
    """A decimal(p,s) value, already rounded to s places, must have at most p digits: a value that
    does not fit is an error, never a wrapped-around number in a sink."""
    p, s = info.dtype.precision or 18, info.dtype.scale or 0
    scaled = np.abs(np.round(np.asarray(v.data, dtype=np.float64) * 10.0**s))
    bad = scaled > 10.0**p - 1
    if v.null is not None:
        bad &= ~v.null
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        biggest = f"{10.0 ** (p - s) - 10.0**-s:.{s}f}"
        raise DataError(
            f"table '{table}': column '{info.name}' is {info.dtype.with_nullable(False)}, which "
            f"holds values below {10 ** (p - s):g}, but a value is {float(v.data[i]):.{s}f} "
            f"(widen the precision or clamp the column, e.g. clamp(-{biggest}, {biggest}))",
            column=info.name,
            row=int(rows[i]) + 1,
        )


class BlockGen:
    """Generates one block of one table: columns in order, then the rule loop."""

    def __init__(self, rt: Runtime, table: str, block: int, state: dict, stats: Stats):
        self.rt = rt
        self.t = rt.spec.tables[table]
        self.enf = rt.enf[table]
        self.block = block
        self.state = state
        self.stats = stats

    def key(self, column: str, *extra: str | int) -> list[int]:
        return seed_key(self.rt.seed, self.t.name, column, self.block, *extra)

    def run(
        self,
        rows: np.ndarray,
        related: dict[str, tuple[dict[str, Values], np.ndarray]],
        cols: dict[str, Values] | None = None,
        late: bool = False,
    ):
        """The block's columns and rules; with ``late``, only those that wait for the aggregated
        child rows (their aggregates are already in ``cols``)."""
        n = len(rows)
        cols = {} if cols is None else cols
        aligned: dict = {}
        for name in self.enf.order:
            if (name in self.t.late) != late:
                continue
            ctx = self.ctx(n, cols, rows, self.key(name), related, aligned)
            cols[name] = self.column(self.t.columns[name], ctx, rows, related, ())
        self.rules(cols, rows, related, [r for r in self.enf.rules if r.late == late])
        return cols

    def ctx(self, n: int, cols, rows, key: list[int], related, aligned: dict) -> Ctx:
        """The context a column's closures see; one place, so a subclass can give it another
        random source (the Hypothesis strategies draw through ``synthdsl.testing``)."""
        return Ctx(n, cols, rows, key, related, None, aligned)

    def null_mask(self, info: ColumnInfo, ctx: Ctx) -> np.ndarray:
        """Which rows of a ``nulls p%`` column are null: a stream of its own, beside the values'."""
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([*ctx.key, 1])))
        return rng.random(ctx.n) < info.node.nulls

    # ---- one column for the rows of ctx
    def column(self, info: ColumnInfo, ctx: Ctx, rows, related, extra: tuple) -> Values:
        try:
            return self._column(info, ctx, rows, related, extra)
        except SynthError as err:
            err.at(column_span(info))
            raise

    def _column(self, info: ColumnInfo, ctx: Ctx, rows, related, extra: tuple) -> Values:
        try:
            v = coerce(self._value(info, ctx, rows, related), info.dtype)
        except (distributions.InvalidParameterError, distributions.EmptyIntervalError) as exc:
            raise DataError(f"table '{self.t.name}': {exc}", column=info.name) from None
        except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. a date past year 9999
            raise DataError(
                f"table '{self.t.name}': column '{info.name}' could not be computed: {exc}",
                column=info.name,
            ) from None
        v = _round_and_clamp(v, info)
        if v.data.dtype.kind == "f" and np.isinf(v.data).any():
            i = int(np.flatnonzero(np.isinf(v.data))[0])
            raise DataError(
                f"table '{self.t.name}': column '{info.name}' overflows to infinity "
                "(check its distribution's parameters, or clamp it)",
                column=info.name,
                row=int(rows[i]) + 1,
            )
        if v.data.dtype.kind == "M":
            _check_date_range(v, info, self.t.name, rows)
        if info.dtype.kind == "decimal":
            _check_decimal_fits(v, info, self.t.name, rows)
        if info.node.nulls:
            v = v.with_null(self.null_mask(info, ctx))
        if v.null is not None and not info.dtype.nullable:
            bad = int(np.flatnonzero(v.null)[0])
            raise DataError(
                f"table '{self.t.name}': column '{info.name}' is not nullable but its value is null "
                f"(declare it {info.dtype}? or use coalesce())",
                column=info.name,
                row=int(rows[bad]) + 1,
            )
        return v

    def _value(self, info: ColumnInfo, ctx: Ctx, rows, related) -> Values:
        n = ctx.n
        if info.kind == "ref":
            table, key = info.ref
            if table == self.t.parent:
                return ctx.related_col(table, key)
            target = self.rt.materialized[table]
            total = len(target[key])
            if total == 0:
                raise DataError(f"table '{self.t.name}' references '{table}', which has no rows")
            idx = ctx.rng.integers(0, total, n)
            ctx.cols[_REF + table] = Values(idx)
            related[table] = (target, idx) if n == len(rows) else related[table]
            ctx._aligned.clear()
            return target[key].take(idx)
        if info.kind == "default":
            if info.dtype.kind == "bool":
                return Values(ctx.rng.random(n) < 0.5)
            labels = np.array(info.dtype.values, dtype=object)
            return Values(labels[ctx.rng.integers(0, len(labels), n)])
        c = info.compiled
        if info.name in self.enf.unique_by_construction and c.provider is not None:
            total = self.rt.totals[self.t.name]
            key = seed_key(self.rt.seed, self.t.name, info.name, "unique")
            data = (
                c.provider.generate_unique(key, int(rows[0]), n, total)
                if n
                else np.empty(0, object)
            )
            if n and (rows[-1] - rows[0] + 1 != n):  # a redraw of scattered rows
                data = np.concatenate(
                    [c.provider.generate_unique(key, int(r), 1, total) for r in rows]
                )
            return Values(np.asarray(data, dtype=object))
        tr = self.enf.truncate.get(info.name)
        if tr is not None:
            return self._truncated(c, tr, ctx)
        forbids = self.enf.forbid.get(info.name)
        if forbids:
            return self._conditional(c, forbids, ctx)
        return c.fn(ctx)

    def _truncated(self, c, tr, ctx: Ctx) -> Values:
        draw = c.dist
        vals = {p: pc.fn(ctx) for p, pc in draw.params.items()}
        params = {p: v.data.astype(np.float64) for p, v in vals.items()}
        params = {p: (a[0] if a.size and (a == a[0]).all() else a) for p, a in params.items()}
        params = {p: (float(a) if np.ndim(a) == 0 else a) for p, a in params.items()}

        low, high = truncation_bound(tr.low, ctx), truncation_bound(tr.high, ctx)
        if isinstance(low, np.ndarray):
            low = np.where(np.isnan(low), -np.inf, low)
        if isinstance(high, np.ndarray):
            high = np.where(np.isnan(high), np.inf, high)
        data = draw.dist.sample_truncated(
            ctx.rng, ctx.n, params, low, high, tr.low_inclusive, tr.high_inclusive
        )
        nulls = [v.null for v in vals.values() if v.null is not None]
        return Values(data, np.logical_or.reduce(nulls) if nulls else None)

    def _conditional(self, c, forbids, ctx: Ctx) -> Values:
        labels, weights = c.cat.labels, c.cat.weights
        keys = labels.tolist()
        # Group rows by which forbids apply; each group draws from renormalized weights.
        applies = np.zeros((ctx.n, len(forbids)), dtype=bool)
        for j, f in enumerate(forbids):
            given = ctx.cols[f.given]
            applies[:, j] = pd.Index(list(f.given_labels)).get_indexer(given.data) >= 0
        codes = applies @ (1 << np.arange(len(forbids)))
        out = np.empty(ctx.n, dtype=labels.dtype)
        u = ctx.rng.random(ctx.n)
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            w = weights.copy()
            for j, f in enumerate(forbids):
                if code >> j & 1:
                    w[[k in f.labels for k in keys]] = 0.0
            if w.sum() <= 0:
                names = ", ".join(f.rule for f in forbids)
                raise RuleError(
                    f"rule(s) {names} of table '{self.t.name}' leave no allowed value for some "
                    f"rows (given {', '.join(f.given for f in forbids)})"
                )
            cdf = np.cumsum(w) / w.sum()
            idx = np.minimum(np.searchsorted(cdf, u[rows], side="right"), len(cdf) - 1)
            out[rows] = labels[idx]
        return Values(out)

    # ---- rules
    def failures(self, r: RuleExec, cols, rows, related, touched=None) -> np.ndarray:
        """Rows failing ``r``. A row rule is evaluated only on ``touched`` rows when given: the
        others passed every rule before the last redraw and did not change since."""
        n = len(rows)
        if r.kind == "row":
            if touched is None:
                return ~truth(r.compiled.fn(Ctx(n, cols, rows, [0], related)))
            mask = np.zeros(n, dtype=bool)
            if len(touched):
                sub = {c: cols[c].take(touched) for c in r.compiled.deps}
                rel = {t: (c, i[touched]) for t, (c, i) in related.items()}
                ctx = Ctx(len(touched), sub, rows[touched], [0], rel)
                mask[touched] = ~truth(r.compiled.fn(ctx))
            return mask
        if r.kind == "unique":
            return self._dupes(r, cols)
        return self._fd_conflicts(r, cols)

    def _dupes(self, r: RuleExec, cols) -> np.ndarray:
        vals = [cols[c] for c in r.columns]
        null = np.zeros(len(vals[0]), dtype=bool)
        for v in vals:
            null |= v.is_null()
        frame = pd.DataFrame({c: v.data for c, v in zip(r.columns, vals)})
        dup = frame.duplicated(keep="first").to_numpy() & ~null
        seen = self.state.setdefault(r.name, set())
        if seen:
            keys = (
                list(zip(*(v.data.tolist() for v in vals)))
                if len(vals) > 1
                else vals[0].data.tolist()
            )
            dup |= np.fromiter((k in seen for k in keys), bool, len(keys)) & ~null
        return dup

    def _fd_conflicts(self, r: RuleExec, cols) -> np.ndarray:
        a, b = cols[r.columns[0]], cols[r.columns[-1]]
        mapping = self.state.setdefault(r.name, {})
        first = (
            pd.DataFrame({"a": a.data, "b": b.data})
            .groupby("a", sort=False)["b"]
            .transform("first")
        )
        bad = first.to_numpy() != b.data
        if mapping:
            expected = pd.Series(a.data).map(mapping)
            known = expected.notna().to_numpy()
            bad |= known & (expected.to_numpy() != b.data)
        return bad & ~a.is_null()

    def commit_state(self, cols, rules: list[RuleExec]) -> None:
        for r in rules:
            if r.kind == "unique" and not r.by_construction:
                vals = [cols[c] for c in r.columns]
                null = np.zeros(len(vals[0]), dtype=bool)
                for v in vals:
                    null |= v.is_null()
                keep = ~null
                if len(vals) == 1:
                    self.state.setdefault(r.name, set()).update(vals[0].data[keep].tolist())
                else:
                    self.state.setdefault(r.name, set()).update(
                        zip(*(v.data[keep].tolist() for v in vals))
                    )
            elif r.kind == "determines" and not r.by_construction:
                a, b = cols[r.columns[0]], cols[r.columns[-1]]
                m = self.state.setdefault(r.name, {})
                for k, v in zip(a.data.tolist(), b.data.tolist()):
                    m.setdefault(k, v)

    def rules(self, cols, rows, related, rules: list[RuleExec]) -> None:
        if not rules:
            return
        try:
            self._rules(cols, rows, related, rules)
        except SynthError as err:
            name = getattr(err, "rule", None)
            info = next((r for r in self.t.rules if r.name == name), None)
            if info is not None:
                err.at(info.node.span)
            elif name is not None and name.startswith("unique_") and name[7:] in self.t.columns:
                err.at(self.t.columns[name[7:]].node.span)
            raise

    def _rules(self, cols, rows, related, rules: list[RuleExec]) -> None:
        order = self.enf.order
        # Cumulative acceptance per rule: of all rows redrawn so far, the share that then passed.
        tried = dict.fromkeys((r.name for r in rules), 0)
        failed_again = dict.fromkeys((r.name for r in rules), 0)
        touched = None
        for attempt in range(1, MAX_ATTEMPTS + 2):
            failing = [(r, self.failures(r, cols, rows, related, touched)) for r in rules]
            failing = [(r, m) for r, m in failing if m.any()]
            if not failing:
                self.commit_state(cols, rules)
                return
            for r, mask in failing:
                if attempt > 1:
                    failed_again[r.name] += int(mask.sum())
                accepted = 1 - failed_again[r.name] / tried[r.name] if tried[r.name] else 1.0
                if not r.redraw:
                    self._fail(r, mask, rows, 0.0, "has no random column to redraw")
                floor = attempt > FLOOR_AFTER and tried[r.name] >= FLOOR_MIN_TRIED
                if attempt > MAX_ATTEMPTS or (floor and accepted < ACCEPTANCE_FLOOR):
                    if r.kind == "unique":
                        self._fail_unique(r, mask, cols, rows)
                    self._fail(r, mask, rows, accepted, "could not be met")
            touched = np.flatnonzero(np.logical_or.reduce([m for _, m in failing]))
            for j, (r, mask) in enumerate(failing):
                idx = np.flatnonzero(mask)
                tried[r.name] += len(idx)
                key = (self.t.name, r.name)
                self.stats.redrawn[key] = self.stats.redrawn.get(key, 0) + len(idx)
                self._redraw(r, idx, cols, rows, related, attempt, j, order)

    def _redraw(self, r: RuleExec, idx, cols, rows, related, attempt, j, order) -> None:
        redo = set(r.redraw)
        for name in order:  # descendants of redrawn columns are recomputed too
            deps = self.t.columns[name].deps | _bound_cols(self.enf, name)
            if deps & redo:
                redo.add(name)
        sub_cols = {k: v.take(idx) for k, v in cols.items()}
        sub_rel = {t: (c, i[idx]) for t, (c, i) in related.items()}
        aligned: dict = {}
        for name in order:
            if name not in redo:
                continue
            key = self.key(name, "reject", attempt, j)
            ctx = self.ctx(len(idx), sub_cols, rows[idx], key, sub_rel, aligned)
            sub_cols[name] = self.column(self.t.columns[name], ctx, rows[idx], sub_rel, ())
        for name in redo:
            whole, part = cols[name], sub_cols[name]
            data = whole.data.copy()
            data[idx] = part.data
            null = None
            if whole.null is not None or part.null is not None:
                null = whole.is_null().copy()
                null[idx] = part.is_null()
            cols[name] = Values(data, null)
        for t, (c, i) in list(related.items()):
            ref_col = _REF + t
            if ref_col in sub_cols and t in self.rt.materialized:
                full = i.copy()
                full[idx] = sub_cols[ref_col].data
                related[t] = (c, full)
                cols[ref_col] = Values(full)

    def _fail_unique(self, r: RuleExec, mask, cols, rows) -> None:
        """Redraws stopped finding new values: say how many distinct values the column(s) gave."""
        vals = [cols[c] for c in r.columns]
        null = np.logical_or.reduce([v.is_null() for v in vals])
        keep = ~mask & ~null
        if len(vals) == 1:
            seen = set(vals[0].data[keep].tolist())
        else:
            seen = set(zip(*(v.data[keep].tolist() for v in vals)))
        seen |= self.state.get(r.name, set())
        total = self.rt.totals.get(self.t.name)
        what = self._source_text(r.columns)
        if r.name != f"unique_{r.columns[0]}":
            what = f"rule '{r.name}': {what}"
        needs = f"the table needs {total:,}" if total is not None else "the table needs more"

        first = int(rows[int(np.flatnonzero(mask)[0])]) + 1
        raise _for_rule(
            r.name,
            RuleError(
                f"{what} of table '{self.t.name}' must be unique, but redrawing found only "
                f"{len(seen):,} distinct values and then no new ones (first duplicate: row {first}); "
                f"it seems to produce no more, and {needs}. Lower the row count, "
                "drop `unique`, or combine it with something that has more values"
            ),
        )

    def _source_text(self, columns: tuple[str, ...]) -> str:
        """``column 'x' (faker.day_of_week())`` or ``columns a, b``, for messages."""
        if len(columns) > 1:
            return "columns " + ", ".join(f"'{c}'" for c in columns)
        info = self.t.columns[columns[0]]
        gen = info.node.gen
        span = getattr(getattr(gen, "expr", None), "span", None)
        text = span.text() if span is not None else None
        return f"column '{info.name}'" + (f" ({text})" if text else "")

    def _fail(self, r: RuleExec, mask, rows, accepted: float, why: str) -> None:
        first = int(rows[int(np.flatnonzero(mask)[0])]) + 1
        raise _for_rule(
            r.name,
            RuleError(
                f"rule '{r.name}' of table '{self.t.name}' {why}: {int(mask.sum())} row(s) still "
                f"fail (first: row {first}); columns {', '.join(r.columns)}; observed acceptance "
                f"rate {accepted:.2%}. Loosen the rule or the distributions of its columns."
            ),
        )


def _for_rule(name: str, err: RuleError) -> RuleError:
    err.rule = name  # BlockGen.rules attaches the rule's span from it
    return err


def column_span(info: ColumnInfo) -> Span:
    """Where a column's value is written in the spec (its expression), else the column itself."""
    expr = getattr(info.node.gen, "expr", None)
    span = getattr(expr, "span", None)
    return span if span is not None and span.line else info.node.span


def _bound_cols(enf: Enforcement, name: str) -> set[str]:
    out = set()
    tr = enf.truncate.get(name)
    if tr is not None:
        out |= {b for b in (tr.low, tr.high) if isinstance(b, str)}
    for f in enf.forbid.get(name, []):
        out.add(f.given)
    return out


# ------------------------------------------------------------------ families of blocks
def _counts(rt: Runtime, child: str, block: int, n_parent: int) -> np.ndarray:
    t = rt.spec.tables[child]
    ctx = Ctx(n_parent, {}, np.arange(n_parent), seed_key(rt.seed, child, "__rows__", block))
    v = t.count.fn(ctx)
    data = np.asarray(v.data)
    if data.dtype.kind == "f":
        data = np.floor(data)
    counts = np.maximum(data.astype(np.int64), 0)
    if t.count_clamp is not None:
        counts = np.clip(counts, *t.count_clamp)
    return counts


def count_pass(rt: Runtime, root: str) -> dict[str, np.ndarray]:
    """Rows per block for each table of a family (counts only), so child serials know offsets."""
    totals: dict[str, list[int]] = {name: [] for name in rt.family(root)}
    for k in range(rt.n_blocks(root)):
        n = min(BLOCK_ROWS, rt.rows[root] - k * BLOCK_ROWS)
        totals[root].append(n)
        stack = [(root, n)]
        while stack:
            parent, n_parent = stack.pop()
            for child in rt.children[parent]:
                c = int(_counts(rt, child, k, n_parent).sum())
                totals[child].append(c)
                stack.append((child, c))
    return {name: np.asarray(v, dtype=np.int64) for name, v in totals.items()}


def gen_family_block(
    rt: Runtime, root: str, k: int, offsets: dict[str, np.ndarray], state: dict, stats: Stats
) -> dict[str, dict[str, Values]]:
    """Block k of a root table and all its descendants' rows."""
    out: dict[str, dict[str, Values]] = {}
    n = min(BLOCK_ROWS, rt.rows[root] - k * BLOCK_ROWS)
    rows = np.arange(k * BLOCK_ROWS, k * BLOCK_ROWS + n, dtype=np.int64)
    _gen(rt, root, k, rows, {}, out, offsets, state, stats)
    return out


def _gen(rt, table, k, rows, related, out, offsets, state, stats) -> None:
    """Block k of ``table`` and its descendants. A table that aggregates a child table computes its
    early columns and rules, then that child's rows (which read only early columns), then the
    aggregates and its late columns and rules, then its other children. Every column still draws
    from its own (table, column, block) stream, so the order changes no value."""
    related = dict(related)
    gen = BlockGen(rt, table, k, state.setdefault(table, {}), stats)
    cols = gen.run(rows, related)
    out[table] = cols
    stats.rows[table] = stats.rows.get(table, 0) + len(rows)

    def child_rows(child: str) -> np.ndarray:
        counts = _counts(rt, child, k, len(rows))
        idx = np.repeat(np.arange(len(rows)), counts)
        start = int(offsets[child][k])
        crows = np.arange(start, start + len(idx), dtype=np.int64)
        _gen(rt, child, k, crows, {table: (cols, idx)}, out, offsets, state, stats)
        return idx

    finish_block(gen, cols, rows, related, out, rt.children[table], child_rows)


def finish_block(
    gen: BlockGen,
    cols: dict[str, Values],
    rows: np.ndarray,
    related: dict,
    out: dict[str, dict[str, Values]],
    children: list[str],
    child_rows: Callable[[str], np.ndarray],
) -> None:
    """After a table's early columns: the child tables it aggregates, its aggregates and late
    columns and rules, then its other children. ``child_rows(child)`` generates a child table's rows
    for this block into ``out`` and returns each child row's parent row index."""
    t = gen.t
    parent_idx: dict[str, np.ndarray] = {}
    first = [c for c in children if c in t.aggregated]
    for child in first:
        parent_idx[child] = child_rows(child)
    if t.aggregates:
        for key, (func, child, column) in t.aggregates.items():
            values = out[child][column] if column is not None else None
            cols[key] = aggregate.compute(func, values, parent_idx[child], len(rows))
        gen.run(rows, related, cols, late=True)
    for child in children:
        if child not in first:
            child_rows(child)


def to_batch(rt: Runtime, table: str, cols: dict[str, Values]) -> pa.Table:
    t = rt.spec.tables[table]
    arrays = []
    for c in t.columns:
        try:
            arrays.append(to_arrow(cols[c], t.columns[c].dtype))
        except (pa.ArrowException, ValueError, OverflowError) as exc:
            raise DataError(
                f"table '{table}': column '{c}' does not fit its type {t.columns[c].dtype}: {exc}",
                column=c,
            ).at(column_span(t.columns[c])) from None
    return pa.Table.from_arrays(arrays, schema=rt.schema(table).arrow_schema())


# ------------------------------------------------------------------ driving a run
def prepare(rt: Runtime) -> dict[str, dict[str, np.ndarray]]:
    """Row totals per block for every family; also sets ``rt.totals`` (rows per table)."""
    offsets, totals = {}, {}
    for root in rt.roots:
        per_block = count_pass(rt, root)
        for name, arr in per_block.items():
            totals[name] = int(arr.sum())
        offsets[root] = {
            name: np.concatenate([[0], np.cumsum(arr)[:-1]]) if len(arr) else arr
            for name, arr in per_block.items()
        }
    rt.totals = totals
    return offsets


def _family_order(rt: Runtime) -> list[str]:
    deps: dict[str, set[str]] = {r: set() for r in rt.roots}
    for t in rt.spec.tables.values():
        for c in t.columns.values():
            if c.ref and c.ref[0] != t.parent:
                a, b = rt.root_of(t.name), rt.root_of(c.ref[0])
                if a == b:
                    raise DataError(
                        f"table '{t.name}' references '{c.ref[0]}' inside its own family; "
                        "reference a table of another family"
                    )
                deps[a].add(b)
    from synthdsl.check.model import toposort as _toposort

    order, _ = _toposort({r: sorted(d) for r, d in deps.items()})
    return order


def iter_batches(
    rt: Runtime,
    chunk_blocks: int = 8,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, pa.Table]]:
    """Yield (table, batch) in a deterministic order: families in order, chunks in block order."""
    offsets = prepare(rt)
    stats = rt.stats = Stats()
    state: dict = {}
    pool = None
    if workers > 1:
        from synthdsl.engines import local as _workers

        pool = _workers.Pool(rt, workers)
    try:
        for root in _family_order(rt):
            family = rt.family(root)
            keep = {t for t in family if t in rt.materialize}
            kept: dict[str, list[dict[str, Values]]] = {t: [] for t in keep}
            n_blocks = rt.n_blocks(root)
            sequential = any(rt.enf[t].stateful for t in family) or pool is None
            chunks = [
                range(s, min(s + chunk_blocks, n_blocks)) for s in range(0, n_blocks, chunk_blocks)
            ]
            if sequential:
                results = (_run_chunk(rt, root, ch, offsets[root], state) for ch in chunks)
            else:
                results = pool.map(root, chunks, offsets[root])
            for batches, chunk_stats, raw in results:
                stats.merge(chunk_stats)
                yield from batches
                for t in keep:
                    kept[t].append(raw[t])
                if progress:
                    progress(sum(b.num_rows for t, b in batches if t == root))
            for t in keep:
                rt.materialized[t] = _concat(kept[t], rt.spec.tables[t])
    finally:
        if pool is not None:
            pool.close()


def ensure_materialized(rt: Runtime, root: str) -> None:
    """In a worker: build the referenced tables a family needs (same bytes as the main process)."""
    offsets = None
    for other in _family_order(rt):
        if other == root:
            return
        need = [t for t in rt.family(other) if t in rt.materialize and t not in rt.materialized]
        if not need:
            continue
        offsets = offsets or prepare(rt)
        blocks = range(rt.n_blocks(other))
        _, _, raw = _run_chunk(rt, other, blocks, offsets[other], {})
        for t in need:
            rt.materialized[t] = raw[t]


def _concat(parts: list[dict[str, Values]], t) -> dict[str, Values]:
    out = {}
    for c in t.columns:
        datas = [p[c].data for p in parts]
        nulls = [p[c].is_null() for p in parts]
        data = np.concatenate(datas) if datas else np.empty(0)
        null = np.concatenate(nulls) if nulls else None
        out[c] = Values(data, null if null is not None and null.any() else None)
    return out


def _run_chunk(rt: Runtime, root: str, blocks: range, offsets, state):
    stats = Stats()
    per_table: dict[str, list[dict[str, Values]]] = {t: [] for t in rt.family(root)}
    for k in blocks:
        out = gen_family_block(rt, root, k, offsets, state, stats)
        for t, cols in out.items():
            per_table[t].append(cols)
    batches = []
    raw = {}
    for t in rt.family(root):
        merged = _concat(per_table[t], rt.spec.tables[t])
        batches.append((t, to_batch(rt, t, merged)))
        if t in rt.materialize:
            raw[t] = merged
    return batches, stats, raw
