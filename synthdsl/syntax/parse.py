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

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from synthdsl.errors import Diagnostic, SpecError
from synthdsl.source import SourceFile, Span
from synthdsl.syntax import ast
from synthdsl.syntax._recover import _line_to_blank, _syntax_diagnostic, _unclosed
from synthdsl.syntax._transform import _ToAst


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
            d = _syntax_diagnostic(err, source, _parser())
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
    nesting = _Nesting()
    try:
        for tok in _parser().lex(source.text):
            if nesting.add(tok):
                out.append(_too_deep(source, tok))
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


# Expressions nest at most this deep (operators chained, brackets, `not`, `if`): the transformer,
# the checker and the compiled closures recurse once per level, and Python's stack is finite.
MAX_NESTING = 100
_NESTING_OPS = frozenset(
    ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "implies", "if"]
)


class _Nesting:
    """An upper bound on an expression's depth from its tokens alone (before parsing, so a 1 MB line
    of `1 + 1 + ...` is refused without building its tree): per bracket level, the operators since
    the last comma; the bound is their sum over the open levels plus the number of open brackets."""

    def __init__(self) -> None:
        self.levels = [0]
        self.reported = False

    def add(self, tok: Token) -> bool:
        """Take the next token; True once when the bound first passes ``MAX_NESTING``."""
        if tok.type in ("_NL", "LBRACE", "RBRACE"):
            self.levels, self.reported = [0], False
            return False
        if tok.type in _OPEN:
            self.levels.append(0)
        elif tok.type in _CLOSE:
            if len(self.levels) > 1:
                self.levels.pop()
        elif tok.type == "COMMA" or str(tok) == ",":
            self.levels[-1] = 0
        elif str(tok) in _NESTING_OPS:
            self.levels[-1] += 1
        if not self.reported and sum(self.levels) + len(self.levels) - 1 > MAX_NESTING:
            self.reported = True
            return True
        return False


def _too_deep(source: SourceFile, tok: Token) -> Diagnostic:
    span = Span(source, tok.line, tok.column, tok.line, tok.column + max(1, len(str(tok))))
    return Diagnostic(
        "E006",
        f"expression nested too deeply: more than {MAX_NESTING} operators or brackets in a chain",
        span,
        "split it into several columns (a = ..., b = a + ...)",
    )


def parse_text(text: str, path: str = "<string>") -> ast.Module:
    return parse(SourceFile(path, text))
