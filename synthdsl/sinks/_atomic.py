"""Temp files beside their targets, and the rename that publishes them.

Input: a final path (``out/users.csv``). Output: a hidden temp path in the same directory
(``out/.users.csv.tmp-4242-1a2b3c4d``: role, the writing process's id, a random part) that the caller
fills, then ``publish`` moves it over the target with ``os.replace``. Same directory means same
filesystem, so the rename is atomic: a reader sees the old file or the complete new one, never a
half-written one, and a crash leaves only hidden temps behind. ``remove_stale_temps`` deletes those
of a killed run (its process id no longer exists) at the start of the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
from pathlib import Path

from synthdsl.errors import DataError

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
        temp = target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return temp
    raise FileExistsError(f"could not create a temp file beside {target}")  # pragma: no cover


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process's own temps belong to a sink that is still open
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: keep its temps
    return True


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete hidden temps of ``target`` left by a killed run; returns the paths removed.

    Only names of this module's own pattern are touched (``.NAME.tmp-PID-HEX`` and ``.stage-``,
    with SQLite's ``-journal``/``-wal``/``-shm`` companions), and only when process PID no longer
    exists, so a run writing into the same folder at the same time keeps its files. Names without a
    PID come from older versions and are always stale.
    """
    target = Path(target)
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(?:tmp|stage)-(?:(\d+)-)?[0-9a-f]{{8}}(?:-journal|-wal|-shm)?"
    )
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = pattern.fullmatch(path.name)
        if m is None or (m.group(1) is not None and _alive(int(m.group(1)))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


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
    remove_stale_temps(target)
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


LOCK_NAME = ".synthdsl.lock"


def lock_folder(out_dir: Path) -> int:
    """Take the output folder for this run; a second run into it at the same time is refused.

    ``flock`` on a hidden file in the folder, released by ``unlock_folder`` (and by the system if the
    process dies). The file is removed when released; a run that locked a file another run has just
    removed tries again, so two runs never both think they hold the folder.
    """
    path = Path(out_dir) / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataError(
                f"another synthdsl run is writing into {out_dir}: wait until it ends, or write "
                "somewhere else"
            ) from None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the file was removed between our open and our lock: take the new one


def unlock_folder(out_dir: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(Path(out_dir) / LOCK_NAME)  # while still holding the lock
    os.close(fd)
