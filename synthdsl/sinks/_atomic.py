"""Temp files beside their targets, and the rename that publishes them.

Input: a final path (``out/users.csv``). Output: a hidden temp path in the same directory
(``out/.users.csv.tmp-1a2b3c4d``) that the caller fills, then ``publish`` moves it over the target
with ``os.replace``. Same directory means same filesystem, so the rename is atomic: a reader sees
the old file or the complete new one, never a half-written one, and a crash leaves only hidden
temps behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_ATTEMPTS = 100


def create_temp(target: Path, tag: str = "tmp") -> Path:
    """Create an empty hidden file beside ``target`` and return its path.

    Created with ``O_EXCL`` so two runs writing into the same directory never share a temp, and
    with mode 0o666 so the umask (not ``mkstemp``'s 0o600) decides the published file's
    permissions.

    Args:
        target: the final path the temp will be published to.
        tag: marks the temp's role in its name (``tmp`` for files published at commit, ``stage`` for
            scratch files that are only deleted); both are hidden and both are removed on abort.
    """
    target = Path(target)
    for _ in range(_ATTEMPTS):
        temp = target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return temp
    raise FileExistsError(f"could not create a temp file beside {target}")  # pragma: no cover


def fsync_path(path: Path) -> None:
    """Flush a closed file's data, so a crash after the rename cannot leave an empty file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry (the rename itself); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def publish(temp: Path, target: Path) -> Path:
    """Move a finished, closed temp over ``target`` (durably) and return ``target``."""
    fsync_path(temp)
    os.replace(temp, target)
    return target


def discard(path: Path) -> None:
    """Delete a temp if it exists; never raises, because it runs while another error propagates."""
    with contextlib.suppress(OSError):
        Path(path).unlink(missing_ok=True)


def atomic_write_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` all-or-nothing: temp beside it, then ``os.replace``."""
    target = Path(target)
    temp = create_temp(target)
    try:
        with open(temp, "wb") as f:
            f.write(data)
        publish(temp, target)
    except BaseException:
        discard(temp)
        raise
    fsync_dir(target.parent)
    return target
