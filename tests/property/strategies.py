"""Hypothesis strategies *of* ``.synth`` specs, each spec carrying oracles built beside its text.

``specs()`` draws a ``SpecCase``: 1-2 root tables and optionally a child table (``rows per PARENT
~ poisson(lam)`` with ``ref PARENT.id``), each with 2-8 columns from a menu (numeric draws with
optional clamp/round/nulls, categoricals, enums, dates, booleans, computed columns over earlier
columns) and 0-4 rules shaped to be satisfiable with reasonable probability (bounds inside the
bulk of a draw, orderings between two normal draws, forbidden category pairs, ``implies`` shapes,
``is null or`` guards).

Nothing here asks the engine anything. Each rule is an ``Expr`` tree that renders to spec text *and*
evaluates itself over a DataFrame with SQL's three-valued logic; each column records what a correct
engine must produce: declared type, nullability, label set, clamp, round, hard support, and for
computed columns an independent recomputation from the other output columns. Tests compare engine
output against these oracles.

Reuse: ``specs()`` takes knobs (row counts, child table, rules); ``SpecCase.text()`` is the spec,
``SpecCase.tables`` the structured description, ``SpecCase.with_column`` inserts a column.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from scipy import stats

BLOCK_ROWS = 16_384  # the engine's block size: rows above this span several blocks
REFERENCE_DATE = "2026-01-01"  # dates are drawn before it, so years_between(d, it) >= 0

Arr = tuple[np.ndarray, np.ndarray]  # (data, null mask)

# Shapes once excluded because of engine bugs found by these properties, all fixed since and now
# always generated: rules over bare enum/bool columns only (they were not counted as random),
# forbidden category pairs that together forbid every label for some rows (the conditional
# categorical stopped instead of falling back to rejection), and clamp bounds off the value grid
# (np.clip then a truncating cast; round after clamp).
DEFAULT_COLUMNS_ONLY_RULES = True
FORBIDS_MAY_EXHAUST = True
CLAMP_OFF_GRID = True


# ====================================================================== values of an output column
def column_values(df: pd.DataFrame, name: str, kind: str) -> Arr:
    """(data, null) of a DataFrame column as plain numpy: floats, bools, object text or days."""
    s = df[name]
    null = s.isna().to_numpy(dtype=bool)
    if kind == "num":
        data = s.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
        data = np.where(null, 0.0, data)
    elif kind == "bool":
        data = s.astype("boolean").fillna(False).to_numpy(dtype=bool)
    elif kind == "date":
        data = pd.to_datetime(s).to_numpy().astype("datetime64[D]")
        data = np.where(null, np.datetime64("1970-01-01", "D"), data)
    else:
        data = np.array([("" if n else str(x)) for x, n in zip(s.tolist(), null)], dtype=object)
    return data, null


# ====================================================================== rule expressions
class Expr:
    """A rule expression: ``text()`` is its spec text, ``ev(df)`` its value with SQL null logic."""

    prec = 9  # 0 implies, 1 or, 2 and, 3 not, 4 comparison, 9 atom

    def text(self) -> str:
        raise NotImplementedError

    def ev(self, df: pd.DataFrame) -> Arr:
        raise NotImplementedError

    def cols(self) -> frozenset[str]:
        return frozenset()

    def __str__(self) -> str:
        return self.text()


def _wrap(e: Expr, min_prec: int) -> str:
    return f"({e.text()})" if e.prec < min_prec else e.text()


def _true(v: Arr) -> np.ndarray:
    return v[0].astype(bool) & ~v[1]


def _false(v: Arr) -> np.ndarray:
    return ~v[0].astype(bool) & ~v[1]


@dataclass(frozen=True)
class Col(Expr):
    name: str
    kind: str  # num | text | date | bool

    def text(self) -> str:
        return self.name

    def ev(self, df):
        return column_values(df, self.name, self.kind)

    def cols(self):
        return frozenset({self.name})


@dataclass(frozen=True)
class Num(Expr):
    value: float
    literal: str

    def text(self) -> str:
        return self.literal

    def ev(self, df):
        return np.full(len(df), self.value, dtype=np.float64), np.zeros(len(df), dtype=bool)


@dataclass(frozen=True)
class Str(Expr):
    value: str

    def text(self) -> str:
        return f'"{self.value}"'

    def ev(self, df):
        data = np.empty(len(df), dtype=object)
        data[:] = self.value
        return data, np.zeros(len(df), dtype=bool)


@dataclass(frozen=True)
class DateLit(Expr):
    iso: str

    def text(self) -> str:
        return f'date("{self.iso}")'

    def ev(self, df):
        data = np.full(len(df), np.datetime64(self.iso, "D"))
        return data, np.zeros(len(df), dtype=bool)


_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Cmp(Expr):
    op: str
    left: Expr
    right: Expr
    prec = 4

    def text(self) -> str:
        return f"{self.left.text()} {self.op} {self.right.text()}"

    def ev(self, df):
        (a, na), (b, nb) = self.left.ev(df), self.right.ev(df)
        null = na | nb
        return np.asarray(_OPS[self.op](a, b), dtype=bool) & ~null, null

    def cols(self):
        return self.left.cols() | self.right.cols()


@dataclass(frozen=True)
class Between(Expr):
    operand: Expr
    low: Expr
    high: Expr
    prec = 4

    def text(self) -> str:
        return f"{self.operand.text()} between {self.low.text()} and {self.high.text()}"

    def ev(self, df):
        x = self.operand
        return And(Cmp(">=", x, self.low), Cmp("<=", x, self.high)).ev(df)

    def cols(self):
        return self.operand.cols()


@dataclass(frozen=True)
class In(Expr):
    operand: Expr
    values: tuple[str, ...]
    negated: bool = False
    prec = 4

    def text(self) -> str:
        items = ", ".join(f'"{v}"' for v in self.values)
        return f"{self.operand.text()} {'not in' if self.negated else 'in'} [{items}]"

    def ev(self, df):
        data, null = self.operand.ev(df)
        hit = np.isin(data.astype(object), np.array(self.values, dtype=object))
        return (hit != self.negated) & ~null, null

    def cols(self):
        return self.operand.cols()


@dataclass(frozen=True)
class IsNull(Expr):
    operand: Expr
    prec = 4

    def text(self) -> str:
        return f"{self.operand.text()} is null"

    def ev(self, df):
        _, null = self.operand.ev(df)
        return null.copy(), np.zeros(len(null), dtype=bool)

    def cols(self):
        return self.operand.cols()


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr
    prec = 3

    def text(self) -> str:
        return f"not {_wrap(self.operand, 3)}"

    def ev(self, df):
        v = self.operand.ev(df)
        return _false(v), v[1]

    def cols(self):
        return self.operand.cols()


@dataclass(frozen=True)
class And(Expr):
    left: Expr
    right: Expr
    prec = 2

    def text(self) -> str:
        return f"{_wrap(self.left, 2)} and {_wrap(self.right, 3)}"

    def ev(self, df):
        a, b = self.left.ev(df), self.right.ev(df)
        t = _true(a) & _true(b)
        f = _false(a) | _false(b)
        return t, ~(t | f)

    def cols(self):
        return self.left.cols() | self.right.cols()


@dataclass(frozen=True)
class Or(Expr):
    left: Expr
    right: Expr
    prec = 1

    def text(self) -> str:
        return f"{_wrap(self.left, 1)} or {_wrap(self.right, 2)}"

    def ev(self, df):
        a, b = self.left.ev(df), self.right.ev(df)
        t = _true(a) | _true(b)
        f = _false(a) & _false(b)
        return t, ~(t | f)

    def cols(self):
        return self.left.cols() | self.right.cols()


@dataclass(frozen=True)
class Implies(Expr):
    left: Expr
    right: Expr
    prec = 0

    def text(self) -> str:
        return f"{_wrap(self.left, 1)} implies {_wrap(self.right, 0)}"

    def ev(self, df):
        return Or(Not(self.left), self.right).ev(df)

    def cols(self):
        return self.left.cols() | self.right.cols()


@dataclass(frozen=True)
class Rule:
    name: str
    expr: Expr
    shape: str  # bound | guard | order | forbid | implies

    def text(self) -> str:
        return f"rule {self.name}: {self.expr.text()}"

    @property
    def columns(self) -> frozenset[str]:
        return self.expr.cols()

    def holds(self, df: pd.DataFrame) -> np.ndarray:
        """Rows where the rule is true (a null value does not satisfy a rule)."""
        return _true(self.expr.ev(df))


# ====================================================================== columns and tables
@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # declared base type: int float text enum date bool
    gen: str  # "~ normal(0, 1)", "= a + b", "= ref t0.id", or "" (the type's default generator)
    role: str  # draw | cat | date | bool | computed | serial | ref | default
    nullable: bool = False
    nulls: int = 0  # percent
    key: bool = False
    clamp: tuple[Num, Num] | None = None
    round: int | None = None
    enum_values: tuple[str, ...] | None = None
    labels: tuple[str, ...] | None = None  # every value the column may take (text, enum, bool)
    dist: str | None = None
    # bounds that the middle half of the values lie within, for rules: (low, high), either None
    bulk: tuple[Num | None, Num | None] | None = None
    center: float | None = None  # a middle value, to orient orderings
    support: tuple[float, float] | None = None  # hard range of non-null numeric values
    date_range: tuple[str, str] | None = None
    ref: tuple[str, str] | None = None
    op: str | None = None  # computed: add | scale | sign | years | fmt | upper
    # False for bare ``enum(...)``/``bool`` columns (the type's default generator) and columns
    # computed only from them: see DEFAULT_COLUMNS_ONLY_RULES
    random: bool = True
    expect: Callable[[pd.DataFrame], Arr] | None = field(default=None, compare=False, repr=False)

    @property
    def expr_kind(self) -> str:
        return {"int": "num", "float": "num", "text": "text", "enum": "text"}.get(
            self.kind, self.kind
        )

    @property
    def discrete(self) -> bool:
        return self.kind == "int"

    def decl(self) -> str:
        typ = self.kind
        if self.enum_values is not None:
            typ = "enum(" + ", ".join(f'"{v}"' for v in self.enum_values) + ")"
        parts = [self.name, typ + ("?" if self.nullable else "")]
        if self.gen:
            parts.append(self.gen)
        if self.key:
            parts.append("key")
        if self.clamp is not None:
            parts.append(f"clamp({self.clamp[0].literal}, {self.clamp[1].literal})")
        if self.round is not None:
            parts.append(f"round({self.round})")
        if self.nulls:
            parts.append(f"nulls {self.nulls}%")
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    rows: int | None  # None for a child table
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    parent: str | None = None
    lam: float | None = None

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def text(self) -> str:
        head = f"rows {self.rows}" if self.parent is None else f"rows per {self.parent} ~ "
        if self.parent is not None:
            head += f"poisson({_lit(self.lam)})"
        body = [head, *(c.decl() for c in self.columns), *(r.text() for r in self.rules)]
        return f"table {self.name} {{\n" + "".join(f"  {line}\n" for line in body) + "}\n"


@dataclass(frozen=True)
class SpecCase:
    seed: int
    tables: tuple[Table, ...]

    def text(self) -> str:
        return f"seed {self.seed}\n\n" + "\n".join(t.text() for t in self.tables)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    @property
    def rules(self) -> list[tuple[str, Rule]]:
        return [(t.name, r) for t in self.tables for r in t.rules]

    @property
    def max_rows(self) -> int:
        return max(t.rows or 0 for t in self.tables)

    def with_column(self, table: str, index: int, column: Column) -> SpecCase:
        """This spec with ``column`` inserted at position ``index`` of ``table``."""
        tables = []
        for t in self.tables:
            if t.name == table:
                cols = list(t.columns)
                cols.insert(index, column)
                t = replace(t, columns=tuple(cols))
            tables.append(t)
        return replace(self, tables=tuple(tables))

    def __repr__(self) -> str:
        return f"SpecCase(<<<\n{self.text()}>>>)"

    def _repr_pretty_(self, p, cycle) -> None:  # how Hypothesis prints a falsifying example
        p.text(repr(self))


# ====================================================================== numbers
def _lit(x: float) -> str:
    """A number literal of the language that parses back to exactly ``float(x)``."""
    x = float(x)
    if x.is_integer():
        return str(int(x))
    return repr(x)


def _num(x: float, digits: int) -> Num:
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return Num(float(text), text)


def _floor_num(x: float, digits: int) -> Num:
    return _num(math.floor(x * 10**digits) / 10**digits, digits)


def _ceil_num(x: float, digits: int) -> Num:
    return _num(math.ceil(x * 10**digits) / 10**digits, digits)


# ====================================================================== numeric draws
def _sometimes(draw) -> bool:
    """True one time in four; shrinks to False, so minimal examples drop optional features."""
    return draw(st.integers(0, 3)) == 3


CONTINUOUS = ("normal", "uniform", "lognormal", "exponential", "gamma", "beta")
DISCRETE = ("poisson", "binomial")
DISTS = ("normal", "uniform", "poisson", "lognormal", "exponential", "binomial", "gamma", "beta")


@st.composite
def _dist_params(draw, dist: str) -> tuple[tuple[float, ...], object, tuple[float, float]]:
    """Parameters, the scipy distribution with the same law, and the hard support."""
    sf = st.sampled_from
    if dist == "normal":
        mean = draw(st.integers(-50, 150)) + draw(sf([0, 0.5, 0.25]))
        sd = draw(sf([1, 0.5, 2, 5, 10, 30]))
        return (mean, sd), stats.norm(mean, sd), (-math.inf, math.inf)
    if dist == "uniform":
        low = draw(st.integers(-100, 100))
        width = draw(sf([10, 0.5, 1, 3, 50, 250]))
        return (low, low + width), stats.uniform(low, width), (low, low + width)
    if dist == "lognormal":
        mu, sigma = draw(sf([0, 0.5, 1, 2, 3.25])), draw(sf([0.5, 0.1, 0.15, 1]))
        return (mu, sigma), stats.lognorm(sigma, scale=math.exp(mu)), (0, math.inf)
    if dist == "exponential":
        mean = draw(sf([1, 0.5, 3, 10, 40]))
        return (mean,), stats.expon(scale=mean), (0, math.inf)
    if dist == "gamma":
        shape, scale = draw(sf([2, 0.5, 1, 4.5, 9])), draw(sf([1, 0.5, 2, 5]))
        return (shape, scale), stats.gamma(shape, scale=scale), (0, math.inf)
    if dist == "beta":
        a, b = draw(sf([2, 0.5, 1, 5])), draw(sf([2, 0.5, 1, 5]))
        return (a, b), stats.beta(a, b), (0, 1)
    if dist == "poisson":
        lam = draw(sf([4, 0.3, 1, 2.5, 12, 40]))
        return (lam,), stats.poisson(lam), (0, math.inf)
    n, p = draw(st.integers(1, 40)), draw(sf([0.5, 0.1, 0.3, 0.8, 0.95]))
    return (n, p), stats.binom(n, p), (0, n)


@st.composite
def numeric_column(draw, name: str) -> Column:
    """``x float ~ DIST(...)`` (int for poisson/binomial), maybe clamp, round, nullable, nulls."""
    dist = draw(st.sampled_from(DISTS))
    params, law, (lo_s, hi_s) = draw(_dist_params(dist))
    discrete = dist in DISCRETE
    q02, q25, q50, q75, q98 = (float(law.ppf(q)) for q in (0.02, 0.25, 0.5, 0.75, 0.98))
    rnd = None
    if not discrete and _sometimes(draw):
        # a rounding grid fine enough that the middle half still holds several grid points
        fits = [d for d in range(4) if 4 * 10.0**-d <= q75 - q25]
        if fits:
            rnd = draw(st.sampled_from(fits))
    clamp = None
    if _sometimes(draw):
        # bounds outside the middle half; on the value grid unless CLAMP_OFF_GRID (bug 3)
        if CLAMP_OFF_GRID:
            digits = (rnd if rnd is not None else 0) + draw(st.integers(0, 2))
        else:
            digits = 0 if discrete else rnd if rnd is not None else draw(st.integers(0, 2))
        clamp = (_floor_num(q02, digits), _ceil_num(q98, digits))
        if CLAMP_OFF_GRID and discrete:
            clamp = (_num(q02 - 0.5, 1), _num(q98 + 0.5, 1))
    bulk = (_num(q25, 0), _num(q75, 0)) if discrete else (_num(q25, 4), _num(q75, 4))
    if bulk[0].value > bulk[1].value or (not discrete and bulk[0].value >= bulk[1].value):
        bulk = None
    half = 0.5 * 10.0**-rnd if rnd is not None else 0.0
    lo, hi = lo_s - half, hi_s + half
    if clamp is not None:
        lo, hi = max(lo, clamp[0].value), min(hi, clamp[1].value)
    nullable = _sometimes(draw)
    nulls = draw(st.sampled_from([10, 0, 5, 50])) if nullable else 0
    return Column(
        name,
        "int" if discrete else "float",
        f"~ {dist}({', '.join(_lit(p) for p in params)})",
        "draw",
        nullable=nullable,
        nulls=nulls,
        clamp=clamp,
        round=rnd,
        dist=dist,
        bulk=bulk,
        center=q50,
        support=(lo, hi),
    )


# ====================================================================== categoricals, dates, bools
LABELS = ("red", "green", "blue", "amber", "north", "south", "x,y", "deep sea", "o'k", "Zed")


@st.composite
def _weights(draw, labels: tuple[str, ...]) -> str:
    if draw(st.booleans()):
        return "[" + ", ".join(f'"{lab}"' for lab in labels) + "]"
    ws = draw(st.lists(st.integers(1, 9), min_size=len(labels), max_size=len(labels)))
    total = sum(ws)
    return ", ".join(f'"{lab}": {w / total:.9f}' for lab, w in zip(labels, ws))


@st.composite
def categorical_column(draw, name: str) -> Column:
    """``c text ~ categorical(...)``, ``e enum(...) ~ categorical(...)`` or a bare ``enum``."""
    labels = tuple(draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=5, unique=True)))
    form = draw(st.sampled_from(["text", "enum", "default"]))
    nullable = _sometimes(draw)
    nulls = draw(st.sampled_from([10, 0, 30])) if nullable else 0
    if form == "text":
        gen = f"~ categorical({draw(_weights(labels))})"
        return Column(name, "text", gen, "cat", nullable, nulls, labels=labels)
    extra = tuple(draw(st.lists(st.sampled_from(LABELS), max_size=2, unique=True)))
    values = labels + tuple(v for v in extra if v not in labels)
    if form == "enum":
        gen = f"~ categorical({draw(_weights(labels))})"
        return Column(name, "enum", gen, "cat", nullable, nulls, enum_values=values, labels=labels)
    return Column(
        name,
        "enum",
        "",
        "default",
        nullable,
        nulls,
        enum_values=values,
        labels=values,
        random=False,
    )


@st.composite
def date_column(draw, name: str) -> Column:
    start = dt.date(1900, 1, 1) + dt.timedelta(days=draw(st.integers(0, 40_000)))
    span = draw(st.sampled_from([3650, 0, 1, 40, 20_000]))
    end = min(start + dt.timedelta(days=span), dt.date(2025, 12, 31))
    lo, hi = start.isoformat(), end.isoformat()
    nullable = _sometimes(draw)
    nulls = draw(st.sampled_from([10, 0, 50])) if nullable else 0
    gen = f'~ uniform(date("{lo}"), date("{hi}"))'
    mid = (start.toordinal() + end.toordinal()) / 2
    return Column(name, "date", gen, "date", nullable, nulls, date_range=(lo, hi), center=mid)


@st.composite
def bool_column(draw, name: str) -> Column:
    nullable = _sometimes(draw)
    nulls = draw(st.sampled_from([10, 0])) if nullable else 0
    if _sometimes(draw):
        return Column(name, "bool", "", "default", nullable, nulls, random=False)
    p = draw(st.sampled_from([0.3, 0.5, 0.05, 0.9, 1, 0]))
    return Column(name, "bool", f"~ bernoulli({_lit(p)})", "bool", nullable, nulls)


def drawn_column(name: str) -> st.SearchStrategy[Column]:
    """A column that draws values and needs no other column (the menu without computed columns)."""
    return st.one_of(
        numeric_column(name), categorical_column(name), date_column(name), bool_column(name)
    )


# ====================================================================== computed columns
def _numeric_result(values: list[Arr], f) -> Arr:
    data = f(*(v[0] for v in values))
    null = np.logical_or.reduce([v[1] for v in values])
    return np.where(null, 0, data), null


def _text_of(x, kind: str, spec: str) -> str:
    if kind == "date":
        return np.datetime_as_string(x, unit="D")
    if kind == "bool":
        return "true" if x else "false"
    if kind == "int":
        return format(int(x), spec)
    if kind == "float":
        return format(float(x), spec) if spec else repr(float(x))
    return format(str(x), spec)


def _years(d: np.ndarray, ref: str) -> np.ndarray:
    r = dt.date.fromisoformat(ref)
    out = []
    for x in d.tolist():
        out.append(r.year - x.year - ((r.month, r.day) < (x.month, x.day)))
    return np.array(out, dtype=np.float64)


def computed_options(earlier: list[Column]) -> list[str]:
    nums = [c for c in earlier if c.kind in ("int", "float")]
    opts = []
    if len(nums) >= 2:
        opts.append("add")
    if nums:
        opts.append("scale")
    if any(c.center is not None for c in nums):
        opts.append("sign")
    if any(c.kind == "date" for c in earlier):
        opts.append("years")
    if any(c.kind in ("text", "enum") for c in earlier):
        opts.append("upper")
    if earlier:
        opts.append("fmt")
    return opts


@st.composite
def computed_column(draw, name: str, earlier: list[Column]) -> Column:
    """``= a + b``, ``= a * 2``, ``= if a > K then "pos" else "neg"``, ``years_between``, ..."""
    op = draw(st.sampled_from(computed_options(earlier)))
    nums = [c for c in earlier if c.kind in ("int", "float")]
    if op == "add":
        a, b = draw(
            st.lists(st.sampled_from(nums), min_size=2, max_size=2, unique_by=lambda c: c.name)
        )
        kind = "int" if a.kind == b.kind == "int" else "float"
        bulk = None
        if a.bulk and b.bulk and a.bulk[0] and b.bulk[0]:
            bulk = (_num(a.bulk[0].value + b.bulk[0].value, 4), None)

        def expect(df, a=a.name, b=b.name):
            return _numeric_result(
                [column_values(df, a, "num"), column_values(df, b, "num")], operator.add
            )

        return Column(
            name,
            kind,
            f"= {a.name} + {b.name}",
            "computed",
            a.nullable or b.nullable,
            op=op,
            bulk=bulk,
            # not the median of a + b, but P(a + b <= it) >= P(a <= median, b <= median) = 1/4
            center=None if a.center is None or b.center is None else a.center + b.center,
            expect=expect,
        )
    if op == "scale":
        a = draw(st.sampled_from(nums))
        how = draw(st.sampled_from(["* 2", "* 0.5", "- 3", "* -1"]))
        f = {
            "* 2": lambda x: x * 2,
            "* 0.5": lambda x: x * 0.5,
            "- 3": lambda x: x - 3,
            "* -1": lambda x: x * -1,
        }[how]
        kind = "float" if a.kind == "float" or how == "* 0.5" else "int"
        bulk = None
        if a.bulk and a.bulk[0] and a.bulk[1]:
            ends = sorted([f(a.bulk[0].value), f(a.bulk[1].value)])
            digits = 0 if kind == "int" else 4
            bulk = (_num(ends[0], digits), _num(ends[1], digits))

        def expect(df, a=a.name, f=f):
            return _numeric_result([column_values(df, a, "num")], f)

        center = None if a.center is None else f(a.center)  # f is monotone: the new median
        return Column(
            name,
            kind,
            f"= {a.name} {how}",
            "computed",
            a.nullable,
            op=op,
            bulk=bulk,
            center=center,
            expect=expect,
        )
    if op == "sign":
        # K at or above a middle value of a, so both labels occur (a rule can always reach "neg")
        a = draw(st.sampled_from([c for c in nums if c.center is not None]))
        k = _ceil_num(a.center, 2)

        def expect(df, a=a.name, k=k.value):
            data, null = column_values(df, a, "num")
            out = np.where((data > k) & ~null, "pos", "neg").astype(object)
            return out, np.zeros(len(df), dtype=bool)

        gen = f'= if {a.name} > {k.literal} then "pos" else "neg"'
        # SQL CASE: a null condition takes the else branch, so the column is never null
        return Column(
            name, "text", gen, "computed", False, op=op, labels=("neg", "pos"), expect=expect
        )
    if op == "years":
        d = draw(st.sampled_from([c for c in earlier if c.kind == "date"]))

        def expect(df, d=d.name):
            data, null = column_values(df, d, "date")
            return np.where(null, 0, _years(data, REFERENCE_DATE)), null

        gen = f'= years_between({d.name}, date("{REFERENCE_DATE}"))'
        return Column(name, "int", gen, "computed", d.nullable, op=op, expect=expect)
    if op == "upper":
        c = draw(st.sampled_from([c for c in earlier if c.kind in ("text", "enum")]))

        def expect(df, c=c.name):
            data, null = column_values(df, c, "text")
            return np.array([x.upper() for x in data], dtype=object), null

        labels = tuple(x.upper() for x in c.labels) if c.labels else None
        return Column(
            name,
            "text",
            f"= upper({c.name})",
            "computed",
            c.nullable,
            op=op,
            labels=labels,
            expect=expect,
            random=c.random,
        )
    parts = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2))
    specs = [draw(st.sampled_from(["", ".2f"])) if p.kind == "float" else "" for p in parts]
    seps = draw(
        st.lists(
            st.sampled_from(["-", " | ", "", "/", "{{", "}}"]),
            min_size=len(parts),
            max_size=len(parts),
        )
    )
    template = "".join(f"{sep}{{{':' + s if s else ''}}}" for sep, s in zip(seps, specs))
    literal_seps = [s.replace("{{", "{").replace("}}", "}") for s in seps]

    def expect(df, parts=parts, specs=specs, seps=literal_seps):
        vals = [column_values(df, p.name, p.expr_kind) for p in parts]
        null = np.logical_or.reduce([v[1] for v in vals])
        out = np.empty(len(df), dtype=object)
        for i in range(len(df)):
            if null[i]:
                out[i] = ""
                continue
            out[i] = "".join(
                sep + _text_of(v[0][i], p.kind, s) for sep, s, p, v in zip(seps, specs, parts, vals)
            )
        return out, null

    args = ", ".join(p.name for p in parts)
    nullable = any(p.nullable for p in parts)
    return Column(
        name, "text", f'= format("{template}", {args})', "computed", nullable, op=op, expect=expect
    )


# ====================================================================== rules
def _membership(
    col: Col, labels: frozenset[str], domain: tuple[str, ...], negate: bool, draw
) -> Expr:
    """An expression true where ``col`` is (not, when ``negate``) in ``labels``, in one of several
    spellings; the complement spelling lists the other labels of ``domain``."""
    inside = tuple(v for v in domain if v in labels)
    outside = tuple(v for v in domain if v not in labels)
    spell = draw(st.sampled_from(["direct", "complement"] if outside else ["direct"]))
    if spell == "complement":
        inside, negate = outside, not negate
    if len(inside) == 1 and draw(st.booleans()):
        return Cmp("!=" if negate else "==", col, Str(inside[0]))
    return In(col, inside, negate)


def _bound_expr(draw, x: Column) -> Expr | None:
    """A bound on a numeric column inside the middle half of its values."""
    if x.bulk is None:
        return None
    low, high = x.bulk
    col = Col(x.name, "num")
    forms = []
    if low is not None:
        forms += [">=", "flip>="] + ([] if x.discrete else [">", "flip>"])
    if high is not None:
        forms += ["<="] + ([] if x.discrete else ["<"])
    if low is not None and high is not None:
        forms += ["between", "and"]
    form = draw(st.sampled_from(forms))
    if form in (">", ">="):
        return Cmp(form, col, low)
    if form.startswith("flip"):
        return Cmp(_FLIP[form[4:]], low, col)
    if form in ("<", "<="):
        return Cmp(form, col, high)
    if form == "between":
        return Between(col, low, high)
    return And(Cmp(">=" if x.discrete else ">", col, low), Cmp("<=", col, high))


_FLIP = {">": "<", ">=": "<="}


@st.composite
def rules_for(draw, columns: tuple[Column, ...], max_rules: int = 4) -> tuple[Rule, ...]:
    """0-``max_rules`` rules over ``columns``, each satisfiable with reasonable probability.

    Categorical forbids never forbid a column's first label, so every row can always satisfy all of
    them at once; orderings always put the column with the smaller center on the smaller side, so
    they never form a cycle; bounds sit inside the middle half of a column's values (and inside its
    clamp), so bounds on one column always intersect.
    """
    bounded = [c for c in columns if c.bulk is not None]
    nullable_bounded = [c for c in bounded if c.nullable]
    normals = [c for c in columns if c.dist == "normal"]
    dates = [c for c in columns if c.kind == "date" and c.role == "date"]
    cats = [c for c in columns if c.labels and len(c.labels) >= 2 and c.kind in ("text", "enum")]
    bools = [c for c in columns if c.kind == "bool"]
    shapes = []
    if bounded:
        shapes.append("bound")
    if nullable_bounded:
        shapes.append("guard")
    if len(normals) >= 2 or len(dates) >= 2:
        shapes.append("order")
    if len(cats) >= 2 and (DEFAULT_COLUMNS_ONLY_RULES or any(c.random for c in cats)):
        shapes.append("forbid")
    if bounded and (cats or bools):
        shapes.append("implies")
    if not shapes:
        return ()
    out: list[Rule] = []
    for i in range(draw(st.integers(0, max_rules))):
        shape = draw(st.sampled_from(shapes))
        if shape == "bound":
            expr = _bound_expr(draw, draw(st.sampled_from(bounded)))
        elif shape == "guard":
            x = draw(st.sampled_from(nullable_bounded))
            inner, guard = _bound_expr(draw, x), IsNull(Col(x.name, "num"))
            expr = Or(guard, inner) if draw(st.booleans()) else Or(inner, guard)
        elif shape == "order":
            pool = [p for p in (normals, dates) if len(p) >= 2]
            a, b = draw(
                st.lists(
                    st.sampled_from(draw(st.sampled_from(pool))),
                    min_size=2,
                    max_size=2,
                    unique_by=lambda c: c.name,
                )
            )
            if (a.center, a.name) > (b.center, b.name):
                a, b = b, a
            ca, cb = Col(a.name, a.expr_kind), Col(b.name, b.expr_kind)
            op = draw(st.sampled_from(["<", "<=", ">", ">="]))
            if a.date_range and b.date_range and a.date_range[0] >= b.date_range[1]:
                op += "" if op.endswith("=") else "="  # a strict order is impossible here
            expr = Cmp(op, ca, cb) if op in ("<", "<=") else Cmp(op, cb, ca)
        elif shape == "forbid":
            c = draw(st.sampled_from(cats))
            d = draw(
                st.sampled_from(
                    [
                        x
                        for x in cats
                        if x.name != c.name and (x.random or c.random or DEFAULT_COLUMNS_ONLY_RULES)
                    ]
                )
            )
            if draw(st.booleans()):
                c, d = d, c
            # never forbid the first label of c, nor (unless FORBIDS_MAY_EXHAUST) of d
            sc = frozenset(draw(st.lists(st.sampled_from(c.labels[1:]), min_size=1, unique=True)))
            pool = d.labels if FORBIDS_MAY_EXHAUST else d.labels[1:]
            sd = frozenset(draw(st.lists(st.sampled_from(pool), min_size=1, unique=True)))
            cc, cd = Col(c.name, "text"), Col(d.name, "text")
            form = draw(st.sampled_from(["not_and", "implies", "or"]))
            if form == "not_and":
                expr = Not(
                    And(
                        _membership(cc, sc, c.labels, False, draw),
                        _membership(cd, sd, d.labels, False, draw),
                    )
                )
            elif form == "implies":
                expr = Implies(
                    _membership(cc, sc, c.labels, False, draw),
                    _membership(cd, sd, d.labels, True, draw),
                )
            else:
                expr = Or(
                    _membership(cc, sc, c.labels, True, draw),
                    _membership(cd, sd, d.labels, True, draw),
                )
        else:  # implies: a categorical or bool condition and a bound on a numeric column
            x = draw(st.sampled_from(bounded))
            bound_expr = _bound_expr(draw, x)
            cond_col = draw(st.sampled_from(cats + bools))
            if cond_col.kind == "bool":
                cond: Expr = Col(cond_col.name, "bool")
            else:
                labels = frozenset(
                    draw(st.lists(st.sampled_from(cond_col.labels), min_size=1, unique=True))
                )
                cond = _membership(Col(cond_col.name, "text"), labels, cond_col.labels, False, draw)
            if draw(st.booleans()):
                expr = Implies(cond, bound_expr)
            else:  # contrapositive: not bound implies not cond
                expr = Implies(Not(bound_expr), Not(cond))
        out.append(Rule(f"r{i}", expr, shape))
    return tuple(out)


# ====================================================================== tables and specs
@st.composite
def columns_for(draw, n_min: int = 2, n_max: int = 8, prefix: str = "c") -> list[Column]:
    cols: list[Column] = []
    for i in range(draw(st.integers(n_min, n_max))):
        name = f"{prefix}{i}"
        kinds = ["num", "cat", "date", "bool"] + (["computed"] if computed_options(cols) else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "num":
            cols.append(draw(numeric_column(name)))
        elif kind == "cat":
            cols.append(draw(categorical_column(name)))
        elif kind == "date":
            cols.append(draw(date_column(name)))
        elif kind == "bool":
            cols.append(draw(bool_column(name)))
        else:
            cols.append(draw(computed_column(name, cols)))
    return cols


ID = Column("id", "int", "= serial()", "serial", key=True)


def row_counts(big: bool | None = None, max_small: int = 3000) -> st.SearchStrategy[int]:
    """Small row counts, or (``big``) counts spanning 2-3 blocks; ``None`` mixes in a few big."""
    small, large = st.integers(1, max_small), st.integers(BLOCK_ROWS + 1, 40_000)
    if big is None:
        return st.integers(0, 19).flatmap(lambda k: large if k == 19 else small)
    return large if big else small


@st.composite
def specs(
    draw,
    *,
    big: bool | None = None,
    max_small_rows: int = 3000,
    child: bool | None = None,
    max_rules: int = 4,
) -> SpecCase:
    """A valid spec with its oracles.

    ``big``: True makes the first table span several blocks, False keeps every table small, None
    mixes in a few multi-block tables. ``child``: force (True) or forbid (False) a child table.
    """
    n_roots = draw(st.integers(1, 2))
    has_child = draw(st.booleans()) if child is None else child
    tables: list[Table] = []
    for i in range(n_roots):
        name = f"t{i}"
        rows = draw(row_counts(big if i == 0 else False, max_small_rows))
        cols = draw(columns_for(prefix=f"{'ab'[i]}"))
        head = [ID] if (i == 0 and has_child) or draw(st.booleans()) else []
        if i == 1 and tables[0].columns[0] is ID and draw(st.booleans()):
            head.append(Column("t0_ref", "int", "= ref t0.id", "ref", ref=("t0", "id")))
        cols = head + cols
        tables.append(Table(name, rows, tuple(cols), draw(rules_for(tuple(cols), max_rules))))
    if has_child:
        big_parent = (tables[0].rows or 0) > BLOCK_ROWS
        lam = draw(st.sampled_from([1, 0.5, 1.5] if big_parent else [1, 0.5, 2.5, 3]))
        cols = [Column("parent_id", "int", "= ref t0.id", "ref", ref=("t0", "id"))]
        cols += draw(columns_for(1, 5, prefix="k"))
        means = [c for c in tables[0].columns if c.kind in ("int", "float") and not c.nullable]
        if means and draw(st.booleans()):  # a draw whose parameter is a parent column
            mean = draw(st.sampled_from(means))
            sd = draw(st.sampled_from([1, 0.5, 10]))
            gen = f"~ normal(t0.{mean.name}, {_lit(sd)})"
            at = draw(st.integers(1, len(cols)))
            cols.insert(at, Column("kp", "float", gen, "draw", dist="normal(parent)"))
        rules = draw(rules_for(tuple(cols), max_rules))
        tables.append(Table("k0", None, tuple(cols), rules, parent="t0", lam=lam))
    seed = draw(st.integers(0, 2**32 - 1))
    return SpecCase(seed, tuple(tables))


def spec_texts(**kwargs) -> st.SearchStrategy[str]:
    """Just the text of ``specs(**kwargs)``."""
    return specs(**kwargs).map(SpecCase.text)
