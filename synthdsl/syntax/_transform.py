"""Lark parse tree -> AST nodes with spans (``_ToAst``), and the literal helpers it uses."""

from __future__ import annotations

import math

from lark import Token, Transformer, v_args

from synthdsl.source import SourceFile, Span
from synthdsl.syntax import ast


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    if any(c in clean for c in ".eE"):
        return float(clean)
    if len(clean) > 4000:  # past Python's digit limit for int(); the checker reports E305
        return 10 ** (len(clean.lstrip("0")) - 1) if clean.lstrip("0") else 0
    return int(clean)


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    escapes = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "0": "\0"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


_ELSE = object()  # the `else` key of a conditional table's row


def _signed(items: list) -> tuple[float, float | None]:
    """``[MINUS] NUMBER [[MINUS] NUMBER]`` (placeholders None) -> epsilon and delta, signs kept so
    the checker can say what is wrong with a negative one."""
    out: list[float | None] = []
    sign = 1.0
    for tok in items:
        if tok is None:
            continue
        if tok.type == "MINUS":
            sign = -1.0
            continue
        try:
            out.append(sign * float(_number(tok)))
        except OverflowError:
            out.append(math.inf)
        sign = 1.0
    return out[0], (out[1] if len(out) > 1 else None)


class _ToAst(Transformer):
    """Lark tree -> AST nodes with spans."""

    def __init__(self, source: SourceFile):
        super().__init__()
        self.source = source

    # ---- spans
    def _tok_span(self, tok: Token) -> Span:
        return Span(
            self.source, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0
        )

    def _meta_span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.source, 0, 0, 0, 0)
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def __default__(self, data, children, meta):  # pragma: no cover - every rule has a method
        raise NotImplementedError(data)

    # ---- statements
    @v_args(meta=True)
    def start(self, meta, items):
        return ast.Module(self.source.path, tuple(items), span=self._meta_span(meta))

    @v_args(meta=True)
    def seed(self, meta, items):
        return ast.Seed(_number(items[0]), span=self._meta_span(meta))

    @v_args(meta=True)
    def locale(self, meta, items):
        tok = items[0]
        value = _unquote(tok) if tok.type == "STRING" else str(tok)
        return ast.Locale(value, span=self._meta_span(meta))

    @v_args(meta=True)
    def today(self, meta, items):
        tok = items[0]
        value = _unquote(tok) if tok.type == "STRING" else str(tok)
        return ast.Today(value, span=self._meta_span(meta))

    @v_args(meta=True)
    def dataset(self, meta, items):
        name, fmt, args = items[0], items[1], items[2]
        positional: list[ast.Expr] = []
        kwargs: list[ast.Kwarg] = []
        for a in args or ():
            if isinstance(a, ast.Kwarg):
                kwargs.append(a)
            elif isinstance(a, ast.Expr):
                positional.append(a)
        path = positional[0].value if positional and isinstance(positional[0], ast.String) else ""
        return ast.Dataset(
            str(name), str(fmt), path, tuple(kwargs), tuple(positional), span=self._meta_span(meta)
        )

    @v_args(meta=True)
    def import_(self, meta, items):
        return ast.Import(_unquote(items[0]), span=self._meta_span(meta))

    @v_args(meta=True)
    def table(self, meta, items):
        name = items[0]
        rows: list = []
        columns, multis, rules = [], [], []
        for m in items[1:]:
            if isinstance(m, ast.RowsFixed | ast.RowsPer):
                rows.append(m)
            elif isinstance(m, ast.Column):
                columns.append(m)
            elif isinstance(m, ast.Multi):
                multis.append(m)
            elif isinstance(m, ast.Rule):
                rules.append(m)
        return ast.Table(
            str(name),
            rows[0] if rows else None,
            tuple(columns),
            tuple(multis),
            tuple(rules),
            tuple(rows[1:]),
            span=self._tok_span(name),
        )

    # ---- models
    @v_args(meta=True)
    def model(self, meta, items):
        name, kind, *members = items
        groups: dict[type, list] = {
            ast.Learn: [],
            ast.Focus: [],
            ast.Privacy: [],
            ast.ModelOption: [],
            ast.NetNode: [],
        }
        for m in members:
            if m is not None:
                groups[type(m)].append(m)
        return ast.Model(
            str(name),
            str(kind),
            tuple(groups[ast.Learn]),
            tuple(groups[ast.Focus]),
            tuple(groups[ast.Privacy]),
            tuple(groups[ast.ModelOption]),
            tuple(groups[ast.NetNode]),
            kind_span=self._tok_span(kind),
            text=self.source.text[meta.start_pos : meta.end_pos] if not meta.empty else "",
            span=self._tok_span(name),
        )

    @v_args(meta=True)
    def learn(self, meta, items):
        dataset, *rest = items
        weight = rest.pop() if rest and (rest[-1] is None or isinstance(rest[-1], tuple)) else None
        names = [t for t in rest if isinstance(t, Token)]
        return ast.Learn(
            str(dataset),
            tuple(str(t) for t in names),
            weight[0] if weight else None,
            tuple(self._tok_span(t) for t in names),
            dataset_span=self._tok_span(dataset),
            weight_span=weight[1] if weight else Span(self.source, 0, 0, 0, 0),
            span=self._meta_span(meta),
        )

    def learn_weight(self, items):
        return (str(items[0]), self._tok_span(items[0]))

    @v_args(meta=True)
    def focus(self, meta, items):
        return ast.Focus(str(items[0]), span=self._tok_span(items[0]))

    @v_args(meta=True)
    def privacy_dp(self, meta, items):
        eps, delta = _signed(items)
        return ast.Privacy(eps, delta, span=self._meta_span(meta))

    @v_args(meta=True)
    def privacy_none(self, meta, items):
        return ast.Privacy(None, None, span=self._meta_span(meta))

    @v_args(meta=True)
    def option(self, meta, items):
        return ast.ModelOption(str(items[0]), tuple(items[1:]), span=self._meta_span(meta))

    @v_args(meta=True)
    def node(self, meta, items):
        name, *rest = items
        parents = [str(t) for t in rest if isinstance(t, Token) and t.type == "NAME"]
        tilde = next(
            (i for i, t in enumerate(rest) if isinstance(t, Token) and t.type == "TILDE"), None
        )
        dist = rest[tilde + 1] if tilde is not None else None
        rows = tuple(r for r in rest if isinstance(r, ast.CptRow))
        return ast.NetNode(str(name), tuple(parents), dist, rows, span=self._tok_span(name))

    @v_args(meta=True)
    def cpt_row(self, meta, items):
        key, value = items
        if key is _ELSE:
            return ast.CptRow(None, value, span=self._meta_span(meta))
        keys = key if isinstance(key, tuple) else (key,)
        return ast.CptRow(keys, value, span=self._meta_span(meta))

    def cpt_tuple(self, items):
        return tuple(items)

    def cpt_else(self, items):
        return _ELSE

    @v_args(meta=True)
    def percent(self, meta, items):
        return ast.Percent(_number(items[0]), span=self._meta_span(meta))

    @v_args(meta=True)
    def budget(self, meta, items):
        eps, delta = _signed(items[1:])
        return ast.Budget(str(items[0]), eps, delta, span=self._meta_span(meta))

    # ---- simulations
    @v_args(meta=True)
    def simulate(self, meta, items):
        name, (unit, every, every_span), start, end, *members = items
        groups: dict[type, list] = {
            ast.SimEmit: [],
            ast.SimStop: [],
            ast.SimStart: [],
            ast.SimRecord: [],
        }
        updates = []
        for m in members:
            if isinstance(m, ast.SimUpdate | ast.SimTransition):
                updates.append(m)
            elif m is not None:
                groups[type(m)].append(m)
        return ast.Simulate(
            str(name),
            unit,
            every,
            start,
            end,
            tuple(updates),
            tuple(groups[ast.SimEmit]),
            tuple(groups[ast.SimStop]),
            tuple(groups[ast.SimStart]),
            tuple(groups[ast.SimRecord]),
            every_span=every_span,
            span=self._tok_span(name),
        )

    @v_args(meta=True)
    def sim_daily(self, meta, items):
        return ("day", 1, self._meta_span(meta))

    @v_args(meta=True)
    def sim_weekly(self, meta, items):
        return ("week", 1, self._meta_span(meta))

    @v_args(meta=True)
    def sim_monthly(self, meta, items):
        return ("month", 1, self._meta_span(meta))

    @v_args(meta=True)
    def sim_yearly(self, meta, items):
        return ("year", 1, self._meta_span(meta))

    @v_args(meta=True)
    def sim_every_n(self, meta, items):
        n, unit = items
        value = _number(n)
        return (str(unit), value if isinstance(value, int) else -1, self._meta_span(meta))

    @v_args(meta=True)
    def sim_update(self, meta, items):
        name, op, expr = items
        return ast.SimUpdate(str(name), expr, op.type == "TILDE", span=self._tok_span(name))

    @v_args(meta=True)
    def sim_transition(self, meta, items):
        name, _tilde, *rows = items
        rows = tuple(r for r in rows if isinstance(r, ast.TransRow))
        return ast.SimTransition(str(name), rows, span=self._tok_span(name))

    @v_args(meta=True)
    def trans_row(self, meta, items):
        source, _arrow, target, prob = items
        return ast.TransRow(source, target, prob, span=self._meta_span(meta))

    @v_args(meta=True)
    def sim_emit(self, meta, items):
        name, count, when = items
        return ast.SimEmit(
            str(name), count, when, table_span=self._tok_span(name), span=self._meta_span(meta)
        )

    def emit_count(self, items):
        return items[0]

    def emit_when(self, items):
        return items[0]

    @v_args(meta=True)
    def sim_stop(self, meta, items):
        return ast.SimStop(items[0], span=self._meta_span(meta))

    @v_args(meta=True)
    def sim_start_when(self, meta, items):
        return ast.SimStart(items[0], False, span=self._meta_span(meta))

    @v_args(meta=True)
    def sim_start_at(self, meta, items):
        return ast.SimStart(items[0], True, span=self._meta_span(meta))

    @v_args(meta=True)
    def sim_record(self, meta, items):
        return ast.SimRecord(str(items[0]), span=self._tok_span(items[0]))

    @v_args(meta=True)
    def rows_fixed(self, meta, items):
        return ast.RowsFixed(items[0], span=self._meta_span(meta))

    @v_args(meta=True)
    def rows_per(self, meta, items):
        return ast.RowsPer(str(items[0]), items[2], items[3], span=self._meta_span(meta))

    @v_args(meta=True)
    def rows_clamp(self, meta, items):
        return ast.RowsClamp(items[0], items[1], span=self._meta_span(meta))

    @v_args(meta=True)
    def column(self, meta, items):
        name, typ, gen, *mods = items
        fields: dict = {}
        for kind, value, span in mods:
            fields[kind] = value
            if kind == "nulls":
                fields["nulls_span"] = span
        return ast.Column(str(name), typ, gen, span=self._tok_span(name), **fields)

    @v_args(meta=True)
    def type(self, meta, items):
        name, args, q = items
        values = tuple(a.name if isinstance(a, ast.Name) else a.value for a in args or ())
        return ast.TypeRef(str(name), values, q is not None, span=self._meta_span(meta))

    def type_args(self, items):
        return [i for i in items if i is not None]

    @v_args(meta=True)
    def drawn(self, meta, items):
        return ast.Drawn(items[1], span=self._meta_span(meta))

    @v_args(meta=True)
    def computed(self, meta, items):
        return ast.Computed(items[1], span=self._meta_span(meta))

    @v_args(meta=True)
    def ref(self, meta, items):
        return ast.Ref(str(items[1]), str(items[2]), span=self._meta_span(meta))

    @v_args(meta=True)
    def key(self, meta, items):
        return ("key", True, self._meta_span(meta))

    @v_args(meta=True)
    def unique(self, meta, items):
        return ("unique", True, self._meta_span(meta))

    @v_args(meta=True)
    def nulls(self, meta, items):
        try:
            share = _number(items[0]) / 100.0
        except OverflowError:  # an int past the float range: the checker says E180 (0% to 100%)
            share = math.inf
        return ("nulls", share, self._meta_span(meta))

    @v_args(meta=True)
    def clamp(self, meta, items):
        return ("clamp", (items[0], items[1]), self._meta_span(meta))

    @v_args(meta=True)
    def round_(self, meta, items):
        return ("round", _number(items[0]), self._meta_span(meta))

    @v_args(meta=True)
    def multi(self, meta, items):
        # items: NAME+, TILDE, the model's NAME, then the given NAMEs (None when absent)
        tilde = next(k for k, i in enumerate(items) if isinstance(i, Token) and i.type == "TILDE")
        cols = [str(i) for i in items[:tilde]]
        rest = [str(i) for i in items[tilde + 1 :] if i is not None]
        return ast.Multi(tuple(cols), rest[0], tuple(rest[1:]), span=self._meta_span(meta))

    @v_args(meta=True)
    def rule(self, meta, items):
        return ast.Rule(str(items[0]), items[1], span=self._tok_span(items[0]))

    # ---- expressions
    @v_args(meta=True)
    def if_(self, meta, items):
        return ast.If(items[0], items[1], items[2], span=self._meta_span(meta))

    def _bin(self, op, meta, items):
        return ast.Binary(op, items[0], items[-1], span=self._meta_span(meta))

    @v_args(meta=True)
    def implies(self, meta, items):
        return self._bin("implies", meta, items)

    @v_args(meta=True)
    def or_(self, meta, items):
        return self._bin("or", meta, items)

    @v_args(meta=True)
    def and_(self, meta, items):
        return self._bin("and", meta, items)

    @v_args(meta=True)
    def not_(self, meta, items):
        return ast.Unary("not", items[0], span=self._meta_span(meta))

    @v_args(meta=True)
    def compare(self, meta, items):
        return ast.Binary(str(items[1]), items[0], items[2], span=self._meta_span(meta))

    @v_args(meta=True)
    def binop(self, meta, items):
        return ast.Binary(str(items[1]), items[0], items[2], span=self._meta_span(meta))

    @v_args(meta=True)
    def in_(self, meta, items):
        return ast.In(items[0], items[1], False, span=self._meta_span(meta))

    @v_args(meta=True)
    def not_in(self, meta, items):
        return ast.In(items[0], items[1], True, span=self._meta_span(meta))

    @v_args(meta=True)
    def between(self, meta, items):
        return ast.Between(items[0], items[1], items[2], span=self._meta_span(meta))

    @v_args(meta=True)
    def is_null(self, meta, items):
        return ast.IsNull(items[0], False, span=self._meta_span(meta))

    @v_args(meta=True)
    def is_not_null(self, meta, items):
        return ast.IsNull(items[0], True, span=self._meta_span(meta))

    @v_args(meta=True)
    def determines(self, meta, items):
        return ast.Determines(items[0], items[1], span=self._meta_span(meta))

    @v_args(meta=True)
    def neg(self, meta, items):
        operand = items[-1]
        if isinstance(operand, ast.Number):
            return ast.Number(-operand.value, span=self._meta_span(meta))
        return ast.Unary("-", operand, span=self._meta_span(meta))

    @v_args(meta=True)
    def attr(self, meta, items):
        return ast.Attr(items[0], str(items[1]), span=self._meta_span(meta))

    @v_args(meta=True)
    def call(self, meta, items):
        func, args = items[0], items[1] or []
        positional = tuple(a for a in args if isinstance(a, ast.Expr))
        kwargs = tuple(a for a in args if isinstance(a, ast.Kwarg))
        pairs = tuple(a for a in args if isinstance(a, ast.Pair))
        arrows = tuple(a for a in args if isinstance(a, ast.Arrow))
        return ast.Call(func, positional, kwargs, pairs, arrows, span=self._meta_span(meta))

    def args(self, items):
        return list(items)

    @v_args(meta=True)
    def kwarg(self, meta, items):
        return ast.Kwarg(str(items[0]), items[2], span=self._meta_span(meta))

    @v_args(meta=True)
    def pair(self, meta, items):
        return ast.Pair(items[0], items[1], span=self._meta_span(meta))

    @v_args(meta=True)
    def arrow(self, meta, items):
        return ast.Arrow(str(items[0]), str(items[2]), span=self._meta_span(meta))

    @v_args(meta=True)
    def arrow_on(self, meta, items):
        # items: NAME EQUAL NAME ARROW NAME (the dataset's key, the row's column, the value)
        return ast.Arrow(str(items[0]), str(items[4]), str(items[2]), span=self._meta_span(meta))

    @v_args(meta=True)
    def list_(self, meta, items):
        return ast.ListExpr(tuple(i for i in items if i is not None), span=self._meta_span(meta))

    # ---- atoms (terminals arrive as Tokens; literals in type args arrive as plain values)
    @v_args(meta=True)
    def number(self, meta, items):
        tok = items[0]
        return ast.Number(_number(tok), span=self._tok_span(tok))

    @v_args(meta=True)
    def neg_number(self, meta, items):
        tok = items[1]
        return ast.Number(-_number(tok), span=self._meta_span(meta))

    @v_args(meta=True)
    def string(self, meta, items):
        tok = items[0]
        return ast.String(_unquote(tok), span=self._tok_span(tok))

    @v_args(meta=True)
    def true(self, meta, items):
        return ast.Bool(True, span=self._meta_span(meta))

    @v_args(meta=True)
    def false(self, meta, items):
        return ast.Bool(False, span=self._meta_span(meta))

    @v_args(meta=True)
    def null(self, meta, items):
        return ast.Null(span=self._meta_span(meta))

    @v_args(meta=True)
    def name(self, meta, items):
        tok = items[0]
        return ast.Name(str(tok), span=self._tok_span(tok))
