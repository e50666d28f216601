"""Hypothesis strategies from ``.synth`` specs: ``rows``, ``frames`` and ``tables``.

A public name of its own, as ``hypothesis.extra.pandas`` is, so tests read
``from synthdsl.hypothesis import frames``. Hypothesis is an optional dependency: without it, importing
this module says which extra to install.
"""

from __future__ import annotations

from synthdsl._optional import import_optional

import_optional("hypothesis", "synthdsl.hypothesis")

from synthdsl.testing.strategies import frames, rows, tables  # noqa: E402

__all__ = ["frames", "rows", "tables"]
