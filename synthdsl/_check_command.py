"""``synthdsl check SPEC``: the answer shared by the script's fast path and the Typer command.

Kept in its own module, free of Typer, so ``synthdsl._entry`` can answer ``synthdsl check FILE`` before
the command-line library loads, and ``synthdsl.cli`` prints exactly the same thing.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _emit(text: str, stream) -> None:
    """One line, whatever the terminal's encoding can show (a path is the user's bytes)."""
    enc = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(enc, "backslashreplace").decode(enc) + "\n")
    stream.flush()


def check_file(spec: Path) -> int:
    """``synthdsl check SPEC``: 0 and one ``ok`` line, or 1 and every problem (with carets)."""
    import synthdsl
    from synthdsl.errors import SynthError

    try:
        s = synthdsl.load(spec)
    except SynthError as err:
        _emit(err.render(), sys.stderr)
        return 1
    n = len(s.tables)
    _emit(f"{spec}: ok ({n} table{'s' if n != 1 else ''})", sys.stdout)
    return 0
