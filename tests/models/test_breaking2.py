"""Breaking the models feature, second round: one test per bug found (each asserts the intended
behaviour, so it fails until the bug is fixed). See FINDINGS2.md at the repository root.

Tests run the real command line in a subprocess (``python -m synthdsl``) in ``tmp_path``.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.models.conftest import out_of, synthdsl

ROOT = Path(__file__).resolve().parents[2]


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------- declared networks

NETWORK = """seed 1
model m : bayesnet {{
  node a ~ categorical({labels})
}}
table t {{
  rows 200
  a {decl}
  (a) ~ m
}}
"""


def test_float_labels_into_an_int_column_are_refused_not_rounded(tmp_path):
    """G2: `categorical(1.5: 0.5, 2.5: 0.5)` drawn into `a int` passes check and every row is 2
    (1.5 and 2.5 both round half-to-even to 2): the declared distribution is silently lost."""
    spec = NETWORK.format(labels="1.5: 0.5, 2.5: 0.5", decl="int")
    (tmp_path / "s.synth").write_text(spec)
    r = synthdsl(tmp_path, "check", "s.synth")
    assert r.returncode != 0 and "E417" in out_of(r), out_of(r)


def test_label_outside_the_clamp_is_refused(tmp_path):
    """G3: `a int clamp(0, 1)` with `categorical(1: 0.5, 2: 0.5)`: every 2 is clamped to 1 with no
    word; a label the column can never hold should be refused like an enum's unlisted label."""
    spec = NETWORK.format(labels="1: 0.5, 2: 0.5", decl="int clamp(0, 1)")
    (tmp_path / "s.synth").write_text(spec)
    r = synthdsl(tmp_path, "check", "s.synth")
    assert r.returncode != 0 and "E417" in out_of(r), out_of(r)


@pytest.mark.parametrize(
    "labels, decl",
    [('"x": 0.5, "y": 0.5', "int"), ("1: 0.5, 2: 0.5", "text"), ('"x": 0.5, "y": 0.5', "int?")],
)
def test_label_type_mismatch_is_a_check_error(tmp_path, labels, decl):
    """G4: text labels into `int` ("could not convert string to float: 'x'") and int labels into
    `text` ("Expected bytes, got a 'int' object") pass `check` and fail only in `generate`, with no
    error code; `float`, `bool`, `date` columns get E417 at check."""
    spec = NETWORK.format(labels=labels, decl=decl)
    (tmp_path / "s.synth").write_text(spec)
    r = synthdsl(tmp_path, "check", "s.synth")
    assert r.returncode != 0 and "E417" in out_of(r), out_of(r)


# ---------------------------------------------------------------------------- learned networks


def test_dp_text_column_with_no_released_label_is_not_silently_empty(tmp_path):
    """G1: under `privacy epsilon 1 delta 1e-6`, a `text` column whose labels all miss the
    stability threshold (200 rows) is generated as "" on every row of a non-nullable column: no
    message at fit or generate, nothing in the card. It must be refused (or at least said loudly)."""
    rng = random.Random(0)
    with (tmp_path / "d.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["cat", "flag"])
        for _ in range(200):
            w.writerow([rng.choice("abc"), rng.choice(["true", "false"])])
    (tmp_path / "s.synth").write_text(
        """seed 1
dataset d = csv("d.csv")
model m : bayesnet {
  learn from d (cat, flag)
  privacy epsilon 1 delta 1e-6
}
table t {
  rows 100
  cat text
  flag bool
  (cat, flag) ~ m
}
"""
    )
    r = synthdsl(tmp_path, "generate", "s.synth", "--out", "o", "--format", "csv")
    assert "Traceback" not in out_of(r), out_of(r)
    if r.returncode == 0:
        rows = read_csv(tmp_path / "o" / "t.csv")
        card = (tmp_path / "o" / "card.md").read_text()
        said = "cat" in r.stderr or "no label" in card.lower()
        assert said and any(row["cat"] != "" for row in rows), (r.stderr, rows[:3])


# ---------------------------------------------------------------------------- Python API


def test_two_string_specs_do_not_share_an_artifact(tmp_path):
    """G5: `synthdsl.loads(text)` puts every artifact in `cwd/.synthdsl/models/inline/MODEL`: two
    different in-memory specs with a model `m` collide, and the second is refused as stale (the
    bug F15 fixed for files, back for strings; a file `inline.synth` collides too)."""
    with (tmp_path / "d.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "y"])
        for i in range(60):
            w.writerow(["a" if i % 2 else "b", "u" if i % 3 else "v"])
    base = f"""seed 1
dataset d = csv("{tmp_path / "d.csv"}")
model m : bayesnet {{
  learn from d (x, y)
  privacy none
}}
table t {{
  rows 10
  x enum("a", "b")
  y TYPE
  (x, y) ~ m
}}
"""
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r})
os.chdir({str(tmp_path)!r})
import synthdsl
base = {base!r}
synthdsl.loads(base.replace("TYPE", 'enum("u", "v")')).fit()
other = synthdsl.loads(base.replace("TYPE", "text"))
other.fit()  # its own artifact: nothing stale
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-1500:]
