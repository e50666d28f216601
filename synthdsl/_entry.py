"""The ``synthdsl`` script: ``synthdsl check FILE`` without loading the command-line library.

``check`` is the command an editor or a pre-commit hook runs on every save, so its start-up is most
of what a user waits for. Its plain form (``synthdsl check FILE``, nothing else) is answered here,
without Typer (which also imports pydantic); every other command line, ``--help`` included, goes to
``synthdsl.cli``. Both paths print the same lines and exit with the same codes (a test compares them).
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


def main() -> None:
    """Entry point of the ``synthdsl`` script and ``python -m synthdsl``."""
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "check" and not args[1].startswith("-"):
        try:
            code = check_file(Path(args[1]))
        except KeyboardInterrupt:
            code = 130
        sys.exit(code)
    from synthdsl.cli import main as cli_main

    cli_main()
