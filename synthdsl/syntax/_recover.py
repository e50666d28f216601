"""Syntax errors as diagnostics, and where to resume: what ``parse`` reports for a Lark error.

``_syntax_diagnostic`` turns an ``UnexpectedInput`` into a ``Diagnostic`` with a span, the tokens
that were expected and, for a common slip (matched against labelled examples by parser state), a
hint. ``_line_to_blank`` picks the line ``parse`` blanks out before parsing again, and
``_unclosed`` reports a bracket that is never closed.
"""

from __future__ import annotations

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from synthdsl.errors import Diagnostic
from synthdsl.source import SourceFile, Span


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
    "DATE": "a date YYYY-MM-DD",
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


def _syntax_diagnostic(err: UnexpectedInput, source: SourceFile, parser: Lark) -> Diagnostic:
    line = getattr(err, "line", 0) or 0
    column = getattr(err, "column", 0) or 0
    hint = None
    if not isinstance(err, UnexpectedCharacters):  # a stray character is never one of the slips
        try:
            hint = err.match_examples(parser.parse, _SLIPS, use_accepts=True)
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
