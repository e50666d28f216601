"""The card part of a fixture check: are ``card.json`` and ``card.md`` in a directory up to date?

Input: the card a fresh run wrote (into a temporary directory) and the directory checked. Output:
for each of ``card.json`` and ``card.md`` a status (``ok``, ``differs``, ``missing``) and the
problems found, as lines for the summary (``seed: expected 8, found 7``).

``card.json`` is compared field by field, except ``CARD_IGNORED``: the engine version and the
chunk size say how the data was made, not what it is (the data files do not depend on them), and
``evaluation`` is added later by ``synthdsl evaluate``. ``card.md`` must be the rendering of the
fresh card with those fields taken from the ``card.json`` found, so it is stale exactly when it
no longer says what its ``card.json`` says.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from synthdsl._fixtures_text import excerpts, show_value
from synthdsl.card.markdown import CARD_MD_FILE, render_card_md
from synthdsl.card.model import CARD_FILE, Card

CARD_IGNORED = ("synthdsl_version", "chunk_size", "evaluation")

Status = Literal["ok", "differs", "missing"]
Outcome = tuple[str, Status, tuple[str, ...]]  # file name, status, problems


def check_card(card: Card, expected: Path, out: Path) -> list[Outcome]:
    """The outcomes of ``card.json`` and ``card.md`` in ``out``; ``expected`` holds fresh ones."""
    found, outcome = _read_card(out / CARD_FILE)
    if found is not None:
        want = card.model_dump(mode="json")
        problems = json_diff(
            {k: v for k, v in want.items() if k not in CARD_IGNORED},
            {k: v for k, v in found.items() if k not in CARD_IGNORED},
        )
        outcome = (CARD_FILE, "differs" if problems else "ok", tuple(problems))
    assert outcome is not None
    return [outcome, _check_card_md(card, expected, out, found)]


def _read_card(path: Path) -> tuple[dict[str, Any] | None, Outcome | None]:
    """The card found as a JSON object, or the outcome saying why there is none."""
    if not path.is_file():
        return None, (CARD_FILE, "missing", ())
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as err:
        return None, (CARD_FILE, "differs", (f"cannot read it: {err}",))
    if not isinstance(found, dict):
        return None, (CARD_FILE, "differs", ("not a JSON object",))
    return found, None


def _check_card_md(card: Card, expected: Path, out: Path, found: dict[str, Any] | None) -> Outcome:
    path = out / CARD_MD_FILE
    if not path.is_file():
        return CARD_MD_FILE, "missing", ()
    want = (expected / CARD_MD_FILE).read_text(encoding="utf-8")
    if found is not None:
        kept = {k: found[k] for k in CARD_IGNORED if k in found}
        # An invalid card.json is reported on its own; card.md is then compared with a fresh one.
        with contextlib.suppress(ValidationError):
            want = render_card_md(Card.model_validate({**card.model_dump(mode="json"), **kept}))
    try:
        have = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeError) as err:
        return CARD_MD_FILE, "differs", (f"cannot read it: {err}",)
    if have == want:
        return CARD_MD_FILE, "ok", ()
    pairs = itertools.zip_longest(want.split("\n"), have.split("\n"))
    number, (a, b) = next((n, p) for n, p in enumerate(pairs, 1) if p[0] != p[1])
    a, b = excerpts(a, b)
    return CARD_MD_FILE, "differs", (f"line {number}: expected {a}, found {b}",)


def json_diff(want: Any, have: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as ``path: expected X, found Y`` lines (deepest paths)."""
    if isinstance(want, dict) and isinstance(have, dict):
        out: list[str] = []
        for key in [*want, *(k for k in have if k not in want)]:
            where = f"{path}.{key}" if path else key
            if key not in have:
                out.append(f"{where}: missing")
            elif key not in want:
                out.append(f"{where}: unexpected field")
            else:
                out += json_diff(want[key], have[key], where)
        return out
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        return [
            p for i, (a, b) in enumerate(zip(want, have)) for p in json_diff(a, b, f"{path}[{i}]")
        ]
    if want == have:
        return []
    hint = " (the spec changed since the fixtures were written)" if path == "spec_sha256" else ""
    return [f"{path}: expected {show_value(want)}, found {show_value(have)}{hint}"]
