"""Rows per second of the Faker identifier providers that issue 10 vectorized.

Measures ``resolve(...).generate(key, n)`` (the provider alone, no sink) for each provider, best of
three, and prints whether it took the vectorized path. Run it on this checkout for "after" and on
a checkout before the change for "before" (``PYTHONPATH=OLD_CHECKOUT``); see benchmarks/README.md.

    .venv/bin/python benchmarks/bench_identifiers.py [--rows N]
"""

from __future__ import annotations

import argparse
import time

from synthdsl.expr.providers import resolve

NAMES = ("ipv4", "ipv6", "iban", "bban", "uuid4", "sha256", "md5", "user_agent", "url")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    for name in NAMES:
        prov = resolve("faker", (name,))
        rows = args.rows if prov.vectorized else max(args.rows // 20, 1)  # per row: fewer rows
        prov.generate([1], 1_000)  # warm-up: lazy tables
        best = min(_time(prov, rows) for _ in range(3))
        path = "vectorized" if prov.vectorized else "per row"
        print(f"faker.{name:11s} {path:10s} {rows / best:>12,.0f} rows/s")


def _time(prov, rows: int) -> float:
    t0 = time.perf_counter()
    prov.generate([2], rows)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
