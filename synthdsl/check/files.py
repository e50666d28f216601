"""What is wrong with a path a spec names as a file (a dataset, an import), without a traceback.

``Path.is_file`` raises on some paths instead of answering (a name longer than the file system
allows raises ``OSError: File name too long``), and a FIFO would block a reader forever; the
checker turns each answer here into a diagnostic.
"""

from __future__ import annotations

from pathlib import Path

NOT_FOUND = "not found"


def file_problem(path: Path) -> str | None:
    """None for a regular file; else what the path is: ``NOT_FOUND``, a directory, ..."""
    try:
        if path.is_file():
            return None
        if path.is_dir():
            return "a directory"
        if path.exists():  # a FIFO, a socket, a device: reading it could block forever
            return "not a regular file (a pipe, socket or device)"
    except OSError as exc:
        return f"a path the system refuses ({exc.strerror or exc})"
    return NOT_FOUND
