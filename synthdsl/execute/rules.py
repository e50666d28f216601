"""Rule checks for the block loop: which rows fail a row rule, a ``unique`` or a ``determines``.

Input: a block, a rule and the block's columns. Output: a mask of failing rows. ``unique`` and
``determines`` hold across the whole table, so what earlier blocks committed is kept in the run's state
(which is why a table with such a rule runs its blocks in order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthdsl.errors import RuleError
from synthdsl.expr.context import Ctx, truth


def failures(block, r, cols, rows, related, touched=None) -> np.ndarray:
    """Rows failing ``r``. A row rule is evaluated only on ``touched`` rows when given: the others
    passed every rule before the last redraw and did not change since."""
    n = len(rows)
    kind = r.spec.kind
    if kind == "row":
        if r.compiled is None:
            return np.zeros(n, dtype=bool)
        if touched is None:
            return ~truth(r.compiled.fn(Ctx(n, cols, rows, [0], related)))
        mask = np.zeros(n, dtype=bool)
        if len(touched):
            sub = {c: cols[c].take(touched) for c in r.compiled.deps}
            rel = {t: (c, i[touched]) for t, (c, i) in related.items()}
            ctx = Ctx(len(touched), sub, rows[touched], [0], rel)
            mask[touched] = ~truth(r.compiled.fn(ctx))
        return mask
    if kind == "unique":
        return _dupes(block, r, cols)
    return _fd_conflicts(block, r, cols)


def _null_any(vals) -> np.ndarray:
    null = np.zeros(len(vals[0]), dtype=bool)
    for v in vals:
        null |= v.is_null()
    return null


def _dupes(block, r, cols) -> np.ndarray:
    vals = [cols[c] for c in r.spec.columns]
    null = _null_any(vals)
    frame = pd.DataFrame({c: v.data for c, v in zip(r.spec.columns, vals)})
    dup = frame.duplicated(keep="first").to_numpy() & ~null
    seen = block.state.setdefault(r.name, set())
    if seen:
        keys = (
            list(zip(*(v.data.tolist() for v in vals))) if len(vals) > 1 else vals[0].data.tolist()
        )
        dup |= np.fromiter((k in seen for k in keys), bool, len(keys)) & ~null
    return dup


def _fd_conflicts(block, r, cols) -> np.ndarray:
    a, b = cols[r.spec.columns[0]], cols[r.spec.columns[-1]]
    mapping = block.state.setdefault(r.name, {})
    first = (
        pd.DataFrame({"a": a.data, "b": b.data}).groupby("a", sort=False)["b"].transform("first")
    )
    bad = first.to_numpy() != b.data
    if mapping:
        expected = pd.Series(a.data).map(mapping)
        known = expected.notna().to_numpy()
        bad |= known & (expected.to_numpy() != b.data)
    return bad & ~a.is_null()


def commit_state(block, cols, rules) -> None:
    """Remember what this block's rows hold for the table-wide rules of later blocks."""
    for r in rules:
        kind = r.spec.kind
        if kind == "unique" and not r.spec.by_construction:
            vals = [cols[c] for c in r.spec.columns]
            keep = ~_null_any(vals)
            seen = block.state.setdefault(r.name, set())
            if len(vals) == 1:
                seen.update(vals[0].data[keep].tolist())
            else:
                seen.update(zip(*(v.data[keep].tolist() for v in vals)))
        elif kind == "determines" and not r.spec.by_construction:
            a, b = cols[r.spec.columns[0]], cols[r.spec.columns[-1]]
            m = block.state.setdefault(r.name, {})
            for k, v in zip(a.data.tolist(), b.data.tolist()):
                m.setdefault(k, v)


def fail_unique(block, r, mask) -> None:
    """Redraws stopped finding new values: say how many distinct values the column(s) gave."""
    cols = block.current
    vals = [cols[c] for c in r.spec.columns]
    keep = ~mask & ~_null_any(vals)
    if len(vals) == 1:
        seen = set(vals[0].data[keep].tolist())
    else:
        seen = set(zip(*(v.data[keep].tolist() for v in vals)))
    seen |= block.state.get(r.name, set())
    total = block.run.totals.get(block.t.name)
    what = _source_text(block, r.spec.columns)
    if r.name != f"unique_{r.spec.columns[0]}":
        what = f"rule '{r.name}': {what}"
    needs = f"the table needs {total:,}" if total is not None else "the table needs more"
    first = int(block.rows_of(mask)[0]) + 1
    err = RuleError(
        f"{what} of table '{block.t.name}' must be unique, but redrawing found only "
        f"{len(seen):,} distinct values and then no new ones (first duplicate: row {first}); "
        f"it seems to produce no more, and {needs}. Lower the row count, "
        "drop `unique`, or combine it with something that has more values"
    )
    err.rule = r.name
    raise err


def _source_text(block, columns: tuple[str, ...]) -> str:
    """``column 'x' (faker.day_of_week())`` or ``columns 'a', 'b'``, for messages."""
    if len(columns) > 1:
        return "columns " + ", ".join(f"'{c}'" for c in columns)
    span = block.t.spans.get(columns[0])
    text = span.text() if span is not None else None
    return f"column '{columns[0]}'" + (f" ({text})" if text else "")
