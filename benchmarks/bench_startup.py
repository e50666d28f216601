"""Startup benchmark: how long ``synthdsl check`` takes on a small spec, next to the floors.

A newcomer's first command is ``synthdsl check``; an editor or a pre-commit hook runs it on every save.
Its cost is almost all imports, so the table puts it beside what any Python tool pays (the bare
interpreter, numpy) and what a careless import would add (pandas, scipy, Faker, Mimesis).

    python benchmarks/bench_startup.py              # 15 runs per command
    python benchmarks/bench_startup.py --runs 3     # CI smoke

Target (issue 10): ``synthdsl check`` on the 10-column spec without providers under 0.3 s.
Each figure is the best and the median wall time of fresh child processes, commands interleaved so
that load from other processes hits them alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 0.3
HEAVY = ("pandas", "pyarrow", "scipy", "faker", "mimesis", "sklearn", "matplotlib")

CHECK = [sys.executable, "-m", "synthdsl", "check"]
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    "python -c 'import pandas'": [sys.executable, "-c", "import pandas"],
    "synthdsl --version": [sys.executable, "-m", "synthdsl", "--version"],
    "synthdsl check numeric10 (10 columns)": [*CHECK, str(HERE / "specs" / "numeric10.synth")],
    "synthdsl check people20 (providers)": [*CHECK, str(HERE / "specs" / "people20.synth")],
}
TARGETED = "synthdsl check numeric10 (10 columns)"


def _time(cmd: list[str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return elapsed


def heavy_imports(spec: Path) -> list[str]:
    """The heavy libraries that checking ``spec`` imports (it should import none it does not use)."""
    code = (
        "import sys, json\n"
        "import synthdsl\n"
        f"synthdsl.load({str(spec)!r})\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15, help="child processes per command")
    args = ap.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():  # warm the file cache and the .pyc files once
        _time(cmd)
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            times[name].append(_time(cmd))
    floor = min(times["python -c pass (floor)"])
    print(f"startup: best and median of {args.runs} fresh processes (seconds)\n")
    print(f"{'command':40} {'best':>7} {'median':>7} {'best - floor':>13}")
    for name, ts in times.items():
        best = min(ts)
        print(f"{name:40} {best:7.3f} {statistics.median(ts):7.3f} {best - floor:13.3f}")
    best = min(times[TARGETED])
    verdict = "met" if best < TARGET_S else f"MISSED by {best - TARGET_S:.3f} s"
    print(f"\ntarget: {TARGETED} < {TARGET_S} s: {verdict}")
    for spec in ("numeric10.synth", "people20.synth"):
        libs = heavy_imports(HERE / "specs" / spec)
        print(f"heavy libraries imported by checking {spec}: {', '.join(libs) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
