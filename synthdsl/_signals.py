"""Holding Ctrl-C and SIGTERM back through a step that must not be cut in two.

Input: a block of code (``with signals_held():``). Output: SIGINT and SIGTERM that arrive during it are
handled after it, by the handlers that were in place (KeyboardInterrupt, the CLI's SIGTERM handler,
or the default action). Used where a signal in the middle would leave a mess: a run renaming its
files into place (``sinks._atomic``) and a pool starting its workers (``engines.local``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

STOP = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def signals_held():
    """Hold ``STOP`` signals back (main thread only: Python handles signals there), then handle
    the first that came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    handlers = {sig: signal.signal(sig, lambda s, f: held.append(s)) for sig in STOP}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    for sig in held[:1]:
        handler = handlers[sig]
        if callable(handler):
            handler(sig, None)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), sig)
