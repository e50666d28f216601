"""Parse: ``.synth`` text -> ``ast.Module``.

The Lark parser is built once per process (LALR, contextual lexer, positions on) from
``grammar/synth.lark``. A small post-lexer makes newlines end statements except where a statement
obviously goes on (inside brackets, after an operator, before ``and``/``or``/``implies``). Syntax errors
become ``Diagnostic`` values with a span and, for common slips, a hint; the parser resumes after an error
so one run reports every broken line, not just the first.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from synthdsl.errors import Diagnostic, SpecError
from synthdsl.source import SourceFile, Span
from synthdsl.syntax import ast
from synthdsl.syntax._recover import Recovery, _unclosed
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

    A pass over the tokens first (``_scan``) reports brackets never closed and names with
    non-ASCII letters, and finds where each statement starts. The text is then parsed once: at an
    error the parser drops the broken statement and goes on at the next statement start
    (``_recover.Recovery``), so each later statement is still checked and the work stays linear in
    the size of the file, however many lines are broken.
    """
    scan = _scan(source)
    recovery = Recovery(
        source, scan.text, scan.starts, scan.diagnostics, _parser(), _anchors(), MAX_SYNTAX_ERRORS
    )
    try:
        tree = _parser().parse(scan.text, on_error=recovery)
    except UnexpectedInput as err:  # the recovery stopped (end of file, enough errors)
        recovery.seen(err)
        tree = None
    diags = recovery.result()
    if diags or tree is None:
        raise SpecError(diags)
    return _ToAst(source).transform(tree)


@functools.cache
def _anchors() -> frozenset[int]:
    """Parser states where a statement starts: a table member (``rule`` may come next) or a
    top-level statement (``table`` may come next); recovery pops the parser back to one."""
    states = _parser().parser.parser.parser.parse_table.states
    return frozenset(s for s, acts in states.items() if "RULE" in acts or "TABLE" in acts)


@functools.cache
def _scanner() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regular expression for all of the grammar's terminals, in the order Lark's lexer tries
    them, plus a named group for any other character; and the keywords (``table`` -> ``TABLE``).

    Built from the grammar's own terminals, so it lexes as the parser does, but without Lark's
    per-token bookkeeping: the pass before parsing reads a megabyte in well under a second.
    """
    terms = sorted(
        _parser().terminals,
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    keywords = {t.pattern.value: t.name for t in terms if t.pattern.type == "str"}
    keywords = {k: v for k, v in keywords.items() if k.isidentifier()}
    parts = [
        f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terms if t.pattern.value not in keywords
    ]
    return re.compile("|".join([*parts, "(?P<_BAD>.)"]), re.S), keywords


@dataclass
class _Scanned:
    """What the pass before parsing found: the text to parse (broken statements blanked, same
    length and line breaks as the file, so positions stay), the offsets where statements start,
    and the diagnostics."""

    text: str
    starts: list[int]
    diagnostics: list[Diagnostic]


# Tokens that start a statement wherever they stand (they cannot occur inside an expression), and
# tokens that start one when they open a line.
_STARTS_ANYWHERE = frozenset({"LBRACE", "RBRACE", "TABLE", "RULE"})
_STARTS_A_LINE = frozenset(
    {"DATASET", "SEED", "LOCALE", "IMPORT", "ROWS", "MODEL", "BUDGET", "SIMULATE"}
)


def _scan(source: SourceFile) -> _Scanned:
    """One pass over the tokens, before parsing.

    A bracket still open where a new statement obviously starts (``{``, ``}``, ``table``, ``rule``,
    a line starting with ``dataset``/``seed``/``rows``/... or with a column declaration
    ``name type``, or the end of the file) is E003 at the bracket, and its statement is blanked:
    the parser would otherwise join the following lines into it (newlines inside brackets do not
    end a statement) and report them instead. Each statement gets its own error. A name with
    non-ASCII letters is one E001 with the backtick hint, and is replaced by ``_`` in the parsed
    text so that its statement parses on. Expressions nested too deeply are E006 (``_Nesting``).
    The pass stops at ``MAX_SYNTAX_ERRORS`` errors: later ones would not be shown.
    """
    text = source.text
    track = _Statements(source)
    nesting = _Nesting()
    deep: list[int] = []
    for tok in _Newlines().process(track.follow(_raw_tokens(source, track))):
        if nesting.add(tok):
            track.diags.append(_too_deep(source, tok))
            deep.append(tok.start_pos)
    blanks = track.blanks + [_statement_around(track.starts, pos, len(text)) for pos in deep]
    edits = track.edits + [(a, b, _BLANK.sub(" ", text[a:b])) for a, b in blanks]
    return _Scanned(_apply(text, edits), track.starts, track.diags)


class _Statements:
    """Where statements start, and brackets left open at the start of the next one (see ``_scan``)."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.diags: list[Diagnostic] = []
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement of the same length)
        self.cut: list[int] = []  # a string or quoted name not closed: the rest of its line is lost
        self.starts: list[int] = []
        self.blanks: list[tuple[int, int]] = []
        self.opened: list[Token] = []
        self.stmt = 0  # offset of the current statement's first token
        self.at_start = self.line_start = True
        self.prev: Token | None = None

    def follow(self, raw: Iterator[Token]) -> Iterator[Token]:
        """Pass the tokens on, taking note of each (with the next one as look-ahead)."""
        cur: Token | None = None
        for nxt in itertools.chain(raw, [None]):
            if cur is not None:
                self._step(cur, nxt)
                yield cur
                if len(self.diags) >= MAX_SYNTAX_ERRORS:
                    return
            cur = nxt
        if self.opened:
            self._close(len(self.source.text))

    def _step(self, tok: Token, nxt: Token | None) -> None:
        if tok.type == "_NL":
            self.line_start = True
            prev = self.prev
            cut_off = bool(self.cut) and (
                prev is None or prev.start_pos < self.cut[-1] < tok.start_pos
            )
            if not self.opened and (prev is None or prev.type not in _CONTINUE_AFTER or cut_off):
                self.at_start = True  # (a line whose end was cut off ends its statement)
            self.prev = tok
            return
        if self.opened and (
            tok.type in _STARTS_ANYWHERE
            or (self.line_start and tok.type in _STARTS_A_LINE)
            or (self.line_start and _declares_column(tok, nxt))
        ):
            self._close(tok.start_pos)
        if self.at_start:
            self.starts.append(tok.start_pos)
            self.stmt = tok.start_pos
            self.at_start = False
        if tok.type in _OPEN:
            self.opened.append(tok)
        elif tok.type in _CLOSE and self.opened:
            self.opened.pop()
        elif tok.type in ("LBRACE", "RBRACE") and not self.opened:
            self.at_start = True
        self.line_start = False
        self.prev = tok

    def _close(self, end: int) -> None:
        """The current statement ends at ``end`` with brackets open: E003, and blank it out."""
        if not _cut_between(self.cut, self.stmt, end):
            self.diags.append(_unclosed(self.source, self.opened[-1]))
            self.blanks.append((self.stmt, end))
        self.opened.clear()
        self.at_start = True


_BLANK = re.compile(r"[^\n]")


def _declares_column(tok: Token, nxt: Token | None) -> bool:
    """``name type`` opening a line: two names in a row never occur inside an expression."""
    return tok.type == "NAME" and nxt is not None and nxt.type == "NAME" and nxt.line == tok.line


def _cut_between(cut: list[int], a: int, b: int) -> bool:
    """A statement with a string not closed: its brackets are not counted (the rest of the line
    was skipped), and the parser reports the string."""
    i = bisect.bisect_left(cut, a)
    return i < len(cut) and cut[i] < b


def _statement_around(starts: list[int], pos: int, end: int) -> tuple[int, int]:
    i = bisect.bisect_right(starts, pos)
    return (starts[i - 1] if i else 0, starts[i] if i < len(starts) else end)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each edit's span replaced, in order (edits keep lengths; where two overlap,
    the later wins: a blanked statement stays blank)."""
    if len(edits) <= 64:
        for a, b, rep in edits:
            text = text[:a] + rep + text[b:]
        return text
    chars = list(text)
    for a, b, rep in edits:
        chars[a:b] = rep
    return "".join(chars)


def _raw_tokens(source: SourceFile, track: _Statements) -> Iterator[Token]:
    """The file's tokens, as Lark's basic lexer gives them (``%ignore`` ones left out), past
    characters no token starts with: a name with non-ASCII letters is reported (``diags``) and
    replaced (``edits``); a quote or backtick not closed skips the rest of its line (``cut``; the
    parser reports it); any other character is skipped (the parser reports it)."""
    text, diags, edits, cut = source.text, track.diags, track.edits, track.cut
    scanner, keywords = _scanner()
    ignored = frozenset(_parser().ignore_tokens)
    pos, line, line_start, end = 0, 1, 0, len(text)
    while pos < end:
        m = scanner.match(text, pos)
        assert m is not None  # the last alternative takes any character
        kind, value = m.lastgroup or "_BAD", m.group()
        nxt = m.end()
        if kind == "_BAD":
            word = _non_ascii_name(text, pos)
            if word is not None:
                a, nxt = word
                diags.append(_non_ascii_diagnostic(source, a, nxt, line, a - line_start + 1))
                edits.append((a, nxt, "_" * (nxt - a)))
            elif value in "\"'`":
                nl = text.find("\n", pos)
                nxt = end if nl < 0 else nl
                cut.append(pos)
        elif kind not in ignored:
            if kind == "NAME":
                kind = keywords.get(value, kind)
            yield Token(kind, value, pos, line, pos - line_start + 1, end_pos=nxt)
        if kind in ("_NL", "CONTINUED_LINE"):
            line += value.count("\n")
            line_start = text.rfind("\n", pos, nxt) + 1
        pos = nxt


def _non_ascii_name(text: str, pos: int) -> tuple[int, int] | None:
    """The span of the word around ``text[pos]`` when that is a non-ASCII letter or digit."""
    ch = text[pos]
    if ch.isascii() or not (ch.isalnum() or ch == "_"):
        return None
    a = pos
    while a > 0 and (text[a - 1].isalnum() or text[a - 1] == "_"):
        a -= 1
    m = _WORD.match(text, pos)
    return a, (m.end() if m else pos + 1)


_WORD = re.compile(r"\w+")


def _non_ascii_diagnostic(source: SourceFile, a: int, b: int, line: int, col: int) -> Diagnostic:
    word = source.text[a:b]
    bad = next(c for c in word if not c.isascii())
    return Diagnostic(
        "E001",
        f"unexpected character '{bad}' in the name '{word}'",
        Span(source, line, col, line, col + (b - a)),
        f"names with non-ASCII letters must be written between backticks: `{word}`",
    )


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
