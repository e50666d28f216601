"""Parse: ``.synth`` text -> ``ast.Module``.

The Lark parser is built once per process (LALR, contextual lexer, positions on) from
``grammar/synth.lark``. A small post-lexer makes newlines end statements except where a statement
obviously goes on (inside brackets, after an operator, before ``and``/``or``/``implies``). Syntax errors
become ``Diagnostic`` values with a span and, for common slips, a hint; the parser resumes after an error
so one run reports every broken line, not just the first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from synthdsl.errors import Diagnostic, SpecError
from synthdsl.source import SourceFile, Span
from synthdsl.syntax import ast


def grammar_text() -> str:
    """The text of ``synth.lark``: package data ``synthdsl/grammar/`` in a wheel (pyproject maps the
    top-level ``grammar/`` folder there), else the ``grammar/`` folder beside the package (a checkout,
    run from the tree or installed editable)."""
    package = resources.files("synthdsl")
    lark = package / "grammar" / "synth.lark"
    if not lark.is_file():
        lark = Path(str(package)).parent / "grammar" / "synth.lark"
    return lark.read_text(encoding="utf-8")


# A newline after one of these tokens does not end the statement.
_CONTINUE_AFTER = frozenset(
    {
        "PLUS",
        "MINUS",
        "STAR",
        "SLASH",
        "COMP_OP",
        "EQUAL",
        "TILDE",
        "ARROW",
        "COMMA",
        "COLON",
        "DOT",
        "AND",
        "OR",
        "IMPLIES",
        "NOT",
        "IF",
        "THEN",
        "ELSE",
        "IN",
        "BETWEEN",
        "IS",
        "DETERMINES",
        "LBRACE",
        "PER",
        "GIVEN",
    }
)
_OPEN = frozenset({"LPAR", "LSQB"})
_CLOSE = frozenset({"RPAR", "RSQB"})


class _Newlines:
    """Post-lexer: drops newlines inside brackets, after a token that cannot end a statement, after
    ``{``, and repeated ones. It never looks ahead: the contextual lexer needs the parser state to be
    current when it lexes the next token (lines starting with ``and``/``or``/... are handled by the
    newline terminal's own look-ahead in the grammar).
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        prev: Token | None = None
        for tok in stream:
            if tok.type == "NAME" and tok.startswith("`"):
                # `education-num`: the name is the text inside; the span keeps the backticks
                tok = Token.new_borrow_pos("NAME", tok[1:-1], tok)
            if tok.type == "_NL" and (
                depth > 0 or prev is None or prev.type in _CONTINUE_AFTER or prev.type == "_NL"
            ):
                continue
            if tok.type in _OPEN:
                depth += 1
            elif tok.type in _CLOSE:
                depth = max(0, depth - 1)
            yield tok
            prev = tok
        if prev is not None and prev.type != "_NL":
            yield Token.new_borrow_pos("_NL", "\n", prev)


@functools.cache
def _parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        postlex=_Newlines(),
        cache=False,
    )


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    if any(c in clean for c in ".eE"):
        return float(clean)
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
        return ("nulls", _number(items[0]) / 100.0, self._meta_span(meta))

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


# Labelled examples of common slips: Lark's match_examples finds the closest by parser state.
def _variants(*members: str) -> list[str]:
    """Each slip as the first member of a table and after another member (different LR states)."""
    out = []
    for m in members:
        for before in ("", "table a {\n rows 1\n}\n"):
            out.append(before + "table t {\n" + m + "\n}\n")
            out.append(before + "table t {\n rows 1\n" + m + "\n}\n")
            out.append(before + "table t {\n rows 1\n a int = 1\n" + m + "\n}\n")
    return out


_SLIPS: dict[str, list[str]] = {
    "a column needs a type before '~' or '=' (for example `x float ~ normal(0, 1)`)": _variants(
        " x ~ normal(0, 1)", " x = 1"
    ),
    "use '==' to compare; '=' starts a computed column": _variants(
        " rule r: x = 1", " rule r: x > 1 and x = 1"
    ),
    "a rule needs a name and a colon: `rule name: condition`": _variants(" rule x > 1", " rule x"),
    "write a percentage after 'nulls', as in `nulls 5%`": _variants(
        " x int = 1 nulls 5", " x int = 1 nulls 0.05"
    ),
}

_DISPLAY = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "_NL": "end of line",
    "COMP_OP": "a comparison",
    "$END": "end of file",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "DOT": "'.'",
    "EQUAL": "'='",
    "TILDE": "'~'",
    "QMARK": "'?'",
    "ARROW": "'->'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "PERCENT": "'%'",
}


def _display(term: str) -> str:
    return _DISPLAY.get(term, f"'{term.lower()}'")


def _found(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "$END":
        return "end of file"
    return f"'{tok}'"


def _syntax_diagnostic(err: UnexpectedInput, source: SourceFile) -> Diagnostic:
    line = getattr(err, "line", 0) or 0
    column = getattr(err, "column", 0) or 0
    hint = None
    if not isinstance(err, UnexpectedCharacters):  # a stray character is never one of the slips
        try:
            hint = err.match_examples(_parser().parse, _SLIPS, use_accepts=True)
        except Exception:  # match_examples re-parses examples; a failure must not hide the error
            hint = None
    if isinstance(err, UnexpectedCharacters):
        char = source.text[err.pos_in_stream] if err.pos_in_stream < len(source.text) else "?"
        span = Span(source, line, column, line, column + 1)
        msg = f"unexpected character '{char}'"
        if char in "\"'":
            msg = "unterminated string"
        if char == "`":
            return _quoted_name_diagnostic(source, err.pos_in_stream, span)
        return Diagnostic("E001", msg, span, hint)
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected_terms = set(err.expected)
        state = getattr(err, "state", None)
        if state is not None:
            try:
                table = state.parse_conf.parse_table.states[state.position]
                expected_terms = {t for t in table if t.isupper() or t.startswith(("_", "$"))}
            except (AttributeError, KeyError):
                pass
        expected = sorted({_display(t) for t in expected_terms if not t.startswith("__")})
        if tok.type == "$END" and "RBRACE" in expected_terms:
            span = Span(source, line, column, line, column + 1)
            return Diagnostic("E004", "end of file inside a table: '}' is missing", span, hint)
        if tok.type == "$END":
            line = source.text.count("\n") + 1
            column = len(source.line(line)) + 1
        width = max(1, len(str(tok))) if tok.type not in ("_NL", "$END") else 1
        span = Span(source, line, column, line, column + width)
        shown = ", ".join(expected[:8]) + (", ..." if len(expected) > 8 else "")
        return Diagnostic("E002", f"unexpected {_found(tok)}; expected {shown}", span, hint)
    if isinstance(err, UnexpectedEOF):
        line = source.text.count("\n") + 1
        span = Span(source, line, len(source.line(line)) + 1, line, len(source.line(line)) + 2)
        return Diagnostic("E002", "unexpected end of file", span, hint)
    return Diagnostic("E002", str(err), Span(source, line, column, line, column + 1), hint)


def _quoted_name_diagnostic(source: SourceFile, pos: int, span: Span) -> Diagnostic:
    """A backtick that does not start a name: an empty ``` `` ``` or one not closed on its line."""
    if source.text[pos + 1 : pos + 2] == "`":
        span = Span(source, span.line, span.column, span.line, span.column + 2)
        return Diagnostic(
            "E005",
            "empty quoted name",
            span,
            "write the name between the backticks, as in `education-num`",
        )
    return Diagnostic(
        "E005",
        "unterminated quoted name",
        span,
        "close the name with a backtick on the same line, as in `education-num`",
    )


MAX_SYNTAX_ERRORS = 20


def parse(source: SourceFile) -> ast.Module:
    """Parse one file; raise ``SpecError`` with every syntax error found (at most one per line).

    Recovery re-parses with the broken line blanked out (line numbers stay), so each later statement
    is still checked; an unexpected ``}`` or end of file after an earlier error is taken as a knock-on
    effect and not reported twice.
    """
    lines = source.text.split("\n")
    diags: list[Diagnostic] = _unclosed_brackets(source)
    blanked: set[int] = {d.span.line for d in diags}
    for line in blanked:
        lines[line - 1] = ""
    tree = None
    for _ in range(MAX_SYNTAX_ERRORS + 5):
        try:
            tree = _parser().parse("\n".join(lines))
            break
        except UnexpectedInput as err:
            tok_type = getattr(getattr(err, "token", None), "type", None)
            d = _syntax_diagnostic(err, source)
            last = max((x.span.line for x in diags), default=0)
            knock_on = bool(diags) and (tok_type in ("RBRACE", "$END") or d.span.line < last)
            if not knock_on:
                diags.append(d)
            if d.code == "E004":
                break
            line = _line_to_blank(err, lines)
            if line is None or line in blanked or len(diags) >= MAX_SYNTAX_ERRORS:
                break
            blanked.add(line)
            lines[line - 1] = ""
    if diags or tree is None:
        raise SpecError(diags)
    return _ToAst(source).transform(tree)


def _unclosed_brackets(source: SourceFile) -> list[Diagnostic]:
    """Brackets still open at a ``{``, ``}``, a new table or rule, or the end of the file.

    Found by a pass over the tokens before parsing, because the parser would only notice much later
    (at the ``}``) and point at the wrong place.
    """
    out: list[Diagnostic] = []
    opened: list[Token] = []
    try:
        for tok in _parser().lex(source.text):
            if tok.type in _OPEN:
                opened.append(tok)
            elif tok.type in _CLOSE and opened:
                opened.pop()
            elif opened and tok.type in ("LBRACE", "RBRACE", "TABLE", "RULE"):
                out.append(_unclosed(source, opened[-1]))
                opened.clear()
    except UnexpectedInput:
        return out
    if opened:
        out.append(_unclosed(source, opened[-1]))
    return out


def _unclosed(source: SourceFile, tok: Token) -> Diagnostic:
    span = Span(source, tok.line, tok.column, tok.line, tok.column + 1)
    closer = ")" if tok.type == "LPAR" else "]"
    return Diagnostic("E003", f"'{tok}' is never closed", span, f"add '{closer}'")


def _line_to_blank(err: UnexpectedInput, lines: list[str]) -> int | None:
    """The line holding the broken statement: the error's line, or the last non-blank line before a
    newline or end-of-file token (the statement ended early)."""
    tok = getattr(err, "token", None)
    line = getattr(err, "line", None) or 0
    if tok is not None and tok.type in ("_NL", "$END"):
        line = tok.line if tok.type == "_NL" and tok.line else len(lines)
        while line > 1 and not lines[line - 1].strip():
            line -= 1
    if not 1 <= line <= len(lines):
        return None
    return line


def parse_text(text: str, path: str = "<string>") -> ast.Module:
    return parse(SourceFile(path, text))
