"""Diagnostics and the exceptions that carry them.

Every user-facing problem becomes a ``Diagnostic`` (a stable code, a message, a span, an optional hint).
Stages collect diagnostics and raise once (``SpecError``) so the user sees every problem of a spec in one
run. ``render`` draws ``path:line:col``, the source line and a caret; the CLI prints it without a traceback.
Codes are listed in ``docs/errors.md``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from synthdsl.source import NO_SPAN, Span

MAX_SHOWN = 50


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: ``code`` is stable (see docs/errors.md), ``message`` says what and what was expected."""

    code: str
    message: str
    span: Span = NO_SPAN
    hint: str | None = None

    def render(self) -> str:
        return render(self)


def render(d: Diagnostic) -> str:
    """Format as ``path:line:col: error[code]: message`` then the line and a caret under the span.

    Errors found while generating have no code (``code=""``): they render as ``error: message``.
    A span whose source text is unknown (empty, as ``ast_json.from_json`` makes it) renders the
    ``path:line:col`` head only.
    """
    s = d.span
    label = f"error[{d.code}]" if d.code else "error"
    head = f"{s}: {label}: {d.message}" if s.line else f"{label}: {d.message}"
    out = [head]
    if s.source is not None and s.source.text and s.line:  # no text (a decoded plan): no caret
        text = s.source.line(s.line)
        width = 1
        if s.end_line == s.line and s.end_column > s.column:
            width = s.end_column - s.column
        width = max(1, min(width, max(1, len(text) - s.column + 1)))
        gutter = f"{s.line:>4} | "
        out.append(gutter + text)
        out.append(" " * (len(gutter) + s.column - 1) + "^" * width)
    if d.hint:
        out.append(f"  hint: {d.hint}")
    return "\n".join(out)


class SynthError(Exception):
    """Base of every error synthdsl raises on purpose; the CLI prints these without a traceback.

    ``span`` is the spec construct (a column, a rule) an error found while generating is about; when
    set, ``render`` shows ``path:line:col``, the line and a caret as check diagnostics do.
    """

    exit_code = 1
    span: Span = NO_SPAN

    def render(self) -> str:
        return render(Diagnostic("", str(self), self.span))

    def at(self, span: Span | None) -> SynthError:
        """Attach ``span`` unless a more precise one is already set; returns self (for ``raise``)."""
        if span is not None and not self.span.line:
            self.span = span
        return self

    def __reduce__(self):
        # Keep column, row and span when a worker process sends the error back (pickling an
        # exception otherwise calls ``cls(*args)`` and drops every attribute).
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[SynthError], args: tuple, state: dict) -> SynthError:
    err = Exception.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class SpecError(SynthError):
    """A spec is wrong: carries every diagnostic found, not just the first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        shown = self.diagnostics[:MAX_SHOWN]
        parts = [d.render() for d in shown]
        rest = len(self.diagnostics) - len(shown)
        if rest > 0:
            parts.append(f"... and {rest} more error(s)")
        n = len(self.diagnostics)
        parts.append(f"{n} error{'s' if n != 1 else ''} found")
        return "\n".join(parts)


class DataError(SynthError):
    """A dataset or a run's data is wrong; names the table/column/row it is about."""

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None):
        self.column = column
        self.row = row
        where = []
        if column is not None and f"column '{column}'" not in message:  # never named twice
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{message}" + (f" ({', '.join(where)})" if where else ""))


class OptionError(SynthError):
    """A bad run option (a row override naming an unknown table, ...): a usage error, exit code 2.

    ``option`` is how the caller spelled it (``rows=`` in Python); the CLI re-raises it as a usage
    error of its own flag (``--rows``), so each message names what the user actually typed.
    """

    exit_code = 2

    def __init__(self, detail: str, *, option: str):
        self.detail = detail
        self.option = option
        super().__init__(f"{option} {detail}")


class RuleError(SynthError):
    """A rule could not be met during generation (acceptance below the floor)."""


class MissingExtraError(SynthError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, module: str, *, hint: str | None = None):
        self.extra = extra
        how = hint or f"pip install 'synthdsl[{extra}]'"
        super().__init__(f"{feature} needs the optional package '{module}': install it with  {how}")


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def spec_name(name: str) -> str:
    """How a name is written in a spec: ``'age'``, or ```education-num``` when it needs backticks."""
    return f"'{name}'" if _IDENTIFIER.fullmatch(name) else f"`{name}`"


def did_you_mean(
    name: str, candidates: Iterable[str], n: int = 3, *, quoted: bool = True
) -> str | None:
    """A hint naming the closest candidates, or None when nothing is close.

    With ``quoted`` (names of a spec), a candidate that is not an identifier is shown between
    backticks, as the spec must write it (``did you mean `education-num`?``).
    """
    candidates = list(candidates)
    same_but_case = [c for c in candidates if c.lower() == name.lower() and c != name]
    close = same_but_case or difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)
    if not close:
        return None
    shown = [spec_name(c) if quoted else f"'{c}'" for c in close]
    if len(shown) == 1:
        return f"did you mean {shown[0]}?"
    return "did you mean " + ", ".join(shown[:-1]) + f" or {shown[-1]}?"
