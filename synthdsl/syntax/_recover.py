"""Syntax errors as diagnostics, and where to resume: what ``parse`` reports for a Lark error.

``_syntax_diagnostic`` turns an ``UnexpectedInput`` into a ``Diagnostic`` with a span, the tokens
that were expected and, for a common slip (matched against labelled examples by parser state), a
hint. ``Recovery`` is the parser's error handler: it records each error (one per line) and
resumes at the next statement. ``_unclosed`` reports a bracket that is never closed.
"""

from __future__ import annotations

import bisect
import re

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import LexerState, LineCounter
from lark.parsers.lalr_analysis import Shift

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
        char = err.char or "?"  # the parsed text's character (the file's may be blanked out)
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
        if tok.type == "LBRACE" and hint is None and source.line(line).lstrip().startswith("table"):
            hint = "the table before this one is missing its '}'"  # `table` read as a column
        if str(tok) == ">" and column > 1 and source.line(line)[column - 2 : column - 1] == "-":
            # ``lookup(ds, key = lower(x) -> v)``: `->` is lexed as `-` `>` where no arrow fits
            return Diagnostic(
                "E002",
                "'->' can only follow a name: lookup(DATASET, KEY -> VALUE) or "
                "lookup(DATASET, KEY = COLUMN -> VALUE)",
                Span(source, line, column - 1, line, column + 1),
                "to match a computed value, compute it in a column first and name that column",
            )
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


class Recovery:
    """Lark's ``on_error`` handler: records each syntax error and resumes after it.

    One error per line is reported (a second one on a line is a knock-on effect), as is a ``}`` or
    the end of the file after an earlier error. To resume, the parser's stacks are popped back to
    the start of the statement (a state where a table member or a top-level statement may begin)
    and the lexer jumps to the next statement start found by ``parse._scan`` -- or stays at the
    offending token when that token can start a statement there (``table`` after a table that lacks
    its ``}``). A stray character is first just skipped, so one typo does not cost its statement.
    The file is parsed once, whatever the number of errors.
    """

    def __init__(
        self,
        source: SourceFile,
        text: str,
        starts: list[int],
        scanned: list[Diagnostic],
        parser: Lark,
        anchors: frozenset[int],
        limit: int,
    ) -> None:
        self.source, self.text, self.starts = source, text, starts
        self.parser, self.anchors, self.limit = parser, anchors, limit
        self.scanned = scanned
        self._scanned_at = sorted((d.span.line, d.span.column) for d in scanned)
        self.parsed: list[Diagnostic] = []
        self.lines = {d.span.line for d in scanned}
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._last: UnexpectedInput | None = None
        self._restarted_at = -1

    def __call__(self, err: UnexpectedInput) -> bool:
        """Record ``err``; True to resume parsing, False to stop (end of file, enough errors)."""
        self._last = err
        tok: Token | None = getattr(err, "token", None)
        if tok is not None and tok.type == "$END":
            self._record(err)
            return False
        first_on_line = self._record(err)
        if self._enough(err):
            return False
        if isinstance(err, UnexpectedCharacters) and first_on_line and err.char not in "\"'`":
            return True  # Lark skips the character; the statement goes on
        self._resync(err)
        return True

    def seen(self, err: UnexpectedInput) -> None:
        """The error Lark raised at the end: recorded unless the handler already saw it."""
        if err is not self._last:
            self._record(err)

    def result(self) -> list[Diagnostic]:
        """The diagnostics in file order, the first of each line, at most ``limit``."""
        found = sorted(self.scanned + self.parsed, key=lambda d: (d.span.line, d.span.column))
        firsts = [d for i, d in enumerate(found) if i == 0 or found[i - 1].span.line != d.span.line]
        return firsts[: self.limit]

    def _record(self, err: UnexpectedInput) -> bool:
        tok: Token | None = getattr(err, "token", None)
        had_errors = bool(self.scanned or self.parsed)
        if had_errors and tok is not None and tok.type in ("RBRACE", "$END"):
            return False
        line = getattr(err, "line", 0) or 0
        if tok is not None and tok.type == "$END":
            line = -1
        if line in self.lines:
            return False
        d = _syntax_diagnostic(err, self.source, self.parser)
        if d.span.line in self.lines:
            return False
        self.parsed.append(d)
        self.lines.update((line, d.span.line))
        return True

    def _enough(self, err: UnexpectedInput) -> bool:
        """``limit`` errors at or before this one: later ones would not be shown."""
        at = (getattr(err, "line", 0) or 0, getattr(err, "column", 0) or 0)
        return len(self.parsed) + bisect.bisect_right(self._scanned_at, at) >= self.limit

    def _resync(self, err: UnexpectedInput) -> None:
        ip = err.interactive_parser
        ps = ip.parser_state
        states, values = ps.state_stack, ps.value_stack
        while len(states) > 1 and states[-1] not in self.anchors:
            states.pop()
            values.pop()
        tok: Token | None = getattr(err, "token", None)
        pos = err.pos_in_stream if isinstance(err, UnexpectedCharacters) else None
        if tok is not None and tok.start_pos is not None:
            pos = tok.start_pos
            action = ps.parse_conf.states[states[-1]].get(tok.type)
            shifts = tok.type != "_NL" and action is not None and action[0] is Shift
            if shifts and pos > self._restarted_at:  # never twice at the same place
                self._restarted_at = pos
                self._move(ip.lexer_thread.state, pos)
                return
        i = bisect.bisect_right(self.starts, pos if pos is not None else len(self.text))
        self._move(
            ip.lexer_thread.state, self.starts[i] if i < len(self.starts) else len(self.text)
        )

    def _move(self, state: LexerState, pos: int) -> None:
        """Put the lexer at offset ``pos`` (a fresh line counter: line and column there)."""
        line = bisect.bisect_right(self._line_starts, pos)
        ctr = LineCounter("\n")
        ctr.char_pos = pos
        ctr.line = line
        ctr.line_start_pos = self._line_starts[line - 1]
        ctr.column = pos - ctr.line_start_pos + 1
        state.line_ctr = ctr
