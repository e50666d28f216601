"""Source files and spans.

Input: the text of a ``.synth`` file and its path. Output: ``SourceFile`` and ``Span`` values that every
later stage carries so that a diagnostic can point at the exact text it is about. The caret is drawn only
when a diagnostic is rendered (``errors.render``), so spans stay cheap to copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One spec's text, with the path used in messages (relative where possible)."""

    path: str
    text: str

    @classmethod
    def read(cls, path: str | Path) -> SourceFile:
        p = Path(path)
        return cls(path=str(p), text=p.read_text(encoding="utf-8"))

    def line(self, lineno: int) -> str:
        lines = self.text.splitlines()
        if 1 <= lineno <= len(lines):
            return lines[lineno - 1]
        return ""

    @property
    def directory(self) -> Path:
        return Path(self.path).resolve().parent if self.path != "<string>" else Path.cwd()


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; 1-based line and column, as editors show them."""

    source: SourceFile | None = field(compare=False, repr=False)
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    @property
    def path(self) -> str:
        return self.source.path if self.source else "<unknown>"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def text(self) -> str | None:
        """The source text of a one-line span (for messages), or None when it spans lines."""
        if self.source is None or not self.line or self.end_line != self.line:
            return None
        return self.source.line(self.line)[self.column - 1 : self.end_column - 1] or None


NO_SPAN = Span(None, 0, 0, 0, 0)
