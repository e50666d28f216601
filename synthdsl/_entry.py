"""The ``synthdsl`` script: ``synthdsl check FILE`` without loading the command-line library.

``check`` is the command an editor or a pre-commit hook runs on every save, so its start-up is most
of what a user waits for. Its plain form (``synthdsl check FILE``, nothing else) is answered here,
without Typer (which also imports pydantic); every other command line, ``--help`` included, goes to
``synthdsl.cli``. Both paths print the same lines and exit with the same codes (a test compares them).
"""

from __future__ import annotations

import sys
from pathlib import Path

from synthdsl._check_command import check_file


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
