"""Run the spec-mutation fuzzer at any size and print an outcome table per mutation class.

    python -m tests.fuzz --n 6000 --seed 1            # a campaign: the table, then every failure
    python -m tests.fuzz --seed 1 --class deep_not --case 7   # one case: its text and outcome
    python -m tests.fuzz --n 600 --log fuzz.log       # one line per case as it ends (find a hang)

Exit status 1 when any case is a traceback, a bad message or a timeout. ``--memory-mb`` caps the
address space so a mutant that tries to allocate terabytes ends in ``MemoryError`` (a traceback the
table shows) instead of taking the machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from tests.fuzz.driver import (
    FAILURES,
    OUTCOMES,
    TIME_LIMIT,
    Result,
    cases,
    make_case,
    printable,
    run_case,
    warm_up,
)
from tests.fuzz.mutators import MUTATORS


def table(results: list[Result]) -> str:
    """Counts of each outcome per class, and a total row."""
    by: dict[str, Counter] = {cls: Counter() for cls in MUTATORS}
    for r in results:
        by.setdefault(r.case.cls, Counter())[r.outcome] += 1
        by[r.case.cls]["warned"] += bool(r.warned)
    width = max(len(c) for c in by) + 2
    head = (
        "class".ljust(width)
        + "".join(o.rjust(12) for o in OUTCOMES)
        + "total".rjust(8)
        + "warned".rjust(8)
    )
    lines = [head, "-" * len(head)]
    total: Counter = Counter()
    for cls, counts in by.items():
        if not counts:
            continue
        total.update(counts)
        row = "".join(str(counts.get(o, 0)).rjust(12) for o in OUTCOMES)
        n = sum(counts[o] for o in OUTCOMES)
        lines.append(cls.ljust(width) + row + str(n).rjust(8) + str(counts["warned"]).rjust(8))
    lines.append("-" * len(head))
    row = "".join(str(total.get(o, 0)).rjust(12) for o in OUTCOMES)
    n = sum(total[o] for o in OUTCOMES)
    lines.append("total".ljust(width) + row + str(n).rjust(8) + str(total["warned"]).rjust(8))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=600, help="mutants in all (spread over the classes)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--class", dest="classes", action="append", choices=sorted(MUTATORS))
    ap.add_argument("--case", type=int, help="run only this case number (with one --class)")
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="CPU seconds per case")
    ap.add_argument("--log", type=Path, help="append one line per finished case")
    ap.add_argument("--memory-mb", type=int, help="cap the address space (MiB)")
    args = ap.parse_args(argv)
    if args.memory_mb:
        cap = args.memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if args.case is not None:
        if not args.classes or len(args.classes) != 1:
            ap.error("--case needs exactly one --class")
        case = make_case(args.seed, args.classes[0], args.case)
        print(f"--- {case.base} ({case.path}), format {case.format} ---")
        print(printable(case.text) + "\n---")
        result = run_case(case, args.time_limit)
        print(printable(f"{result.outcome} in {result.seconds:.2f}s\n{result.detail}"))
        return 1 if result.outcome in FAILURES else 0
    classes = args.classes or list(MUTATORS)
    per_class = max(1, -(-args.n // len(classes)))
    results: list[Result] = []
    log = args.log.open("a", encoding="utf-8") if args.log else None
    warm_up()
    start = time.perf_counter()
    for case in cases(args.seed, per_class, classes):
        if log:  # before running, so a hang leaves its case as the last line
            log.write(f"start {case.cls} {case.number}\n")
            log.flush()
        r = run_case(case, args.time_limit)
        results.append(r)
        if log:
            log.write(f"{r.outcome} {case.cls} {case.number} {r.seconds:.2f}s\n")
            log.flush()
    elapsed = time.perf_counter() - start
    print(table(results))
    print(f"\n{len(results)} mutants, seed {args.seed}, {elapsed:.0f}s")
    slowest = max(results, key=lambda r: r.seconds)
    print(f"slowest: {slowest.seconds:.2f}s ({slowest.case.reproduce()})")
    warned = Counter(r.warned.split(" (")[0][:150] for r in results if r.warned)
    if warned:
        print("\nwarnings that reached the terminal (first per case):")
        for text, n in warned.most_common():
            print(f"  {n:5d}  {text}")
    bad = [r for r in results if r.outcome in FAILURES]
    for r in bad:
        print("\n" + "=" * 100 + "\n" + r.report(max_text=1500))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
