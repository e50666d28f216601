"""Core benchmarks for synthdsl: the engine next to the practical limit and the usual alternatives.

Cases (see benchmarks/README.md):

  a  numeric10.synth, 1e6 rows -> Parquet: engine vs a hand-written numpy + pyarrow script that
     builds the same 10 columns and writes them with the engine sink's writer settings.
  b  numeric10.synth, 1e7 rows -> Parquet through the CLI in a child process: rows/s and the
     child's peak RSS.
  c  people20.synth, 1e5 rows -> Parquet (4 Faker identifier fields + 16 drawn/computed columns):
     engine vs a plain Python loop over Faker + random, and vs a loop over Mimesis + random (both
     loops on all the rows; --loop-fraction F measures them on a share F and scales linearly).
  d  examples/taste.synth (clinic, with rules and a child table), 1e6 patients -> Parquet:
     rows/s over both tables, and per rule the share of rows redrawn.

Every figure is the best (min time) of a few repeats, engine and peer interleaved in the same run,
so that load from other processes hits both alike.

    python benchmarks/bench_core.py                 # full sizes (a few minutes)
    python benchmarks/bench_core.py --quick         # CI smoke sizes
    python benchmarks/bench_core.py --only a,c --repeats 5
    python benchmarks/bench_core.py --only a --profile   # + cProfile of the engine part
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import math
import os
import platform
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _machine import machine_line  # benchmarks/ is the script's folder

import synthdsl
from synthdsl.sinks.parquet import ROW_GROUP_ROWS, WRITER_OPTIONS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NUMERIC10 = HERE / "specs" / "numeric10.synth"
LOOP_FRACTION = 1.0  # case c: share of the rows the Python loops run on (set by --loop-fraction)
PEOPLE20 = HERE / "specs" / "people20.synth"
TASTE = ROOT / "examples" / "taste.synth"
CHUNK = 131_072  # the CLI's default --chunk-size

FULL = {"a": 1_000_000, "b": 10_000_000, "c": 100_000, "d": 1_000_000}
QUICK = {"a": 100_000, "b": 1_000_000, "c": 10_000, "d": 100_000}
TARGET_A = 0.9  # engine rows/s over numpy rows/s (issue 9: keep it at 0.9 or more)
TARGET_B_BYTES = 1 << 30  # peak RSS of the CLI child
TARGET_C = 20.0  # engine rows/s over the Faker loop's rows/s


# ---------------------------------------------------------------------------------------------
# Results table
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    case: str
    rows: str = ""
    seconds: str = ""
    rate: str = ""
    peer: str = "-"
    peer_rate: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: str = "-"


HEADER = ("case", "rows", "seconds", "rows/s", "peer", "peer rows/s", "ratio", "target", "met")
RIGHT = {1, 2, 3, 5, 6}


def render(rows: list[Row]) -> str:
    cells = [HEADER] + [
        (r.case, r.rows, r.seconds, r.rate, r.peer, r.peer_rate, r.ratio, r.target, r.met)
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]

    def line(c):
        return "  ".join(
            (v.rjust(w) if i in RIGHT else v.ljust(w)) for i, (v, w) in enumerate(zip(c, widths))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(c) for c in cells[1:])])


def n_(x: int) -> str:
    return f"{x:,}"


def rate_(x: float) -> str:
    return f"{x:,.0f}"


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


# ---------------------------------------------------------------------------------------------
# Timing helpers
# ---------------------------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def interleave(repeats: int, **fns: Callable[[int], object]) -> dict[str, tuple[float, object]]:
    """Run each function ``repeats`` times, alternating between them; keep each one's fastest run.

    Each function gets the repeat index (to write to a fresh directory). Returns ``{name: (best
    seconds, result of the best run)}``; ``all_times`` of each name are kept in ``interleave.log``.
    """
    best: dict[str, tuple[float, object]] = {}
    log: dict[str, list[float]] = {k: [] for k in fns}
    for i in range(repeats):
        for name, fn in fns.items():
            sec, out = timed(lambda fn=fn, i=i: fn(i))
            log[name].append(sec)
            if name not in best or sec < best[name][0]:
                best[name] = (sec, out)
    interleave.log = log  # type: ignore[attr-defined]
    return best


def fresh(base: Path, name: str) -> Path:
    d = base / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


# ---------------------------------------------------------------------------------------------
# (a) numeric10: the numpy + pyarrow practical limit
# ---------------------------------------------------------------------------------------------

NUMERIC10_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("x", pa.float64(), nullable=False),
        pa.field("y", pa.float64(), nullable=False),
        pa.field("n", pa.int64(), nullable=False),
        pa.field("u", pa.float64(), nullable=False),
        pa.field("grp", pa.string(), nullable=False),
        pa.field("flag", pa.bool_(), nullable=False),
        pa.field("total", pa.float64(), nullable=False),
        pa.field("ratio", pa.float64(), nullable=False),
        pa.field("big", pa.bool_(), nullable=False),
    ]
)
GRP_LABELS = pa.array(["a", "b", "c"], pa.string())
GRP_CDF = np.cumsum([0.5, 0.3, 0.2])


def numpy_numeric10(path: Path, n: int, seed: int = 1) -> int:
    """numeric10.synth by hand: same distributions, computed columns, schema and writer settings."""
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(str(path), NUMERIC10_SCHEMA, **WRITER_OPTIONS) as writer:
        for start in range(0, n, ROW_GROUP_ROWS):
            m = min(ROW_GROUP_ROWS, n - start)
            ids = np.arange(start + 1, start + m + 1, dtype=np.int64)
            x = rng.normal(50, 10, m)
            y = rng.lognormal(1, 0.5, m)
            k = rng.poisson(4, m).astype(np.int64, copy=False)
            u = rng.uniform(0, 1, m)
            gi = np.minimum(np.searchsorted(GRP_CDF, rng.random(m), side="right"), 2)
            grp = GRP_LABELS.take(gi)
            flag = rng.random(m) < 0.3
            total = x + y
            ratio = x / (k + 1)
            big = x > 60
            cols = [ids, x, y, k, u, grp, flag, total, ratio, big]
            table = pa.Table.from_arrays(cols, schema=NUMERIC10_SCHEMA)
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    return n


def same_layout(engine_file: Path, peer_file: Path) -> str:
    """'' if both files have the same Arrow schema, row count and row groups; else what differs."""
    a, b = pq.ParquetFile(engine_file), pq.ParquetFile(peer_file)
    if not a.schema_arrow.equals(b.schema_arrow):
        return f"schema differs:\n{a.schema_arrow}\nvs\n{b.schema_arrow}"
    ma, mb = a.metadata, b.metadata
    if (ma.num_rows, ma.num_row_groups) != (mb.num_rows, mb.num_row_groups):
        a_, b_ = (ma.num_rows, ma.num_row_groups), (mb.num_rows, mb.num_row_groups)
        return f"(rows, row groups) differ: {a_} vs {b_}"
    return ""


def case_a(tmp: Path, n: int, repeats: int, notes: list[str]) -> list[Row]:
    spec = synthdsl.load(NUMERIC10)

    def engine(i):
        out = fresh(tmp, f"a_engine_{i % 2}")
        spec.write(out, format="parquet", rows={"facts": n}, chunk_size=CHUNK, workers=1)
        return out / "facts.parquet"

    def numpy_(i):
        out = fresh(tmp, f"a_numpy_{i % 2}")
        numpy_numeric10(out / "facts.parquet", n)
        return out / "facts.parquet"

    best = interleave(repeats, engine=engine, numpy=numpy_)
    diff = same_layout(best["engine"][1], best["numpy"][1])
    if diff:
        notes.append(f"a: WARNING engine and numpy outputs differ: {diff}")
    else:
        notes.append("a: engine and numpy files checked: same Arrow schema, rows and row groups.")
    shutil.rmtree(tmp / "a_engine_0", ignore_errors=True)
    shutil.rmtree(tmp / "a_engine_1", ignore_errors=True)
    shutil.rmtree(tmp / "a_numpy_0", ignore_errors=True)
    shutil.rmtree(tmp / "a_numpy_1", ignore_errors=True)
    se, sn = best["engine"][0], best["numpy"][0]
    ratio = sn / se  # = (n/se) / (n/sn)
    return [
        Row(
            "a numeric10 -> parquet",
            n_(n),
            f"{se:.2f}",
            rate_(n / se),
            "numpy+pyarrow",
            rate_(n / sn),
            f"{ratio:.2f}",
            f">= {TARGET_A}",
            yes(ratio >= TARGET_A),
        )
    ]


# ---------------------------------------------------------------------------------------------
# (b) numeric10 at 1e7 rows through the CLI: rows/s and the child's peak RSS
# ---------------------------------------------------------------------------------------------


def run_child(argv: list[str]) -> tuple[float, int, float]:
    """Run ``argv``; return (wall seconds, the child's own peak RSS in bytes, its CPU seconds).

    ``os.wait4`` returns the resource usage of exactly this child (ru_maxrss is the high-water mark
    of its resident set), unlike ``getrusage(RUSAGE_CHILDREN)``, which is the max over all children
    waited for so far.
    """
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        sec = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{text}")
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return sec, usage.ru_maxrss * scale, usage.ru_utime + usage.ru_stime


def case_b(tmp: Path, n: int, repeats: int, notes: list[str]) -> list[Row]:
    best_sec, peak, cpu = math.inf, 0, math.inf
    for i in range(repeats):
        out = fresh(tmp, f"b_{i}")
        argv = [
            sys.executable,
            "-m",
            "synthdsl",
            "generate",
            str(NUMERIC10),
            "--out",
            str(out / "o"),
            "--format",
            "parquet",
            "--rows",
            f"facts={n}",
        ]
        sec, rss, cpu_sec = run_child(argv)
        shutil.rmtree(out, ignore_errors=True)
        best_sec, peak, cpu = min(best_sec, sec), max(peak, rss), min(cpu, cpu_sec)
    notes.append(
        "b: wall time of the whole CLI child (interpreter start, import, check, generate, write); "
        "peak RSS via os.wait4 of that child, the highest over the repeats. The child's CPU "
        f"time (user+sys, best run) was {cpu:.2f} s = {n / cpu:,.0f} rows per CPU-second; wall "
        "time well above it means other processes took the CPU."
    )
    return [
        Row(
            "b numeric10 CLI -> parquet",
            n_(n),
            f"{best_sec:.2f}",
            rate_(n / best_sec),
            "peak RSS (child)",
            "-",
            f"{peak / 2**20:,.0f} MiB",
            "< 1024 MiB",
            yes(peak < TARGET_B_BYTES),
        )
    ]


# ---------------------------------------------------------------------------------------------
# (c) people20: engine vs Python loops over Faker / Mimesis
# ---------------------------------------------------------------------------------------------

PEOPLE20_SCHEMA = pa.schema(
    [
        pa.field(name, typ, nullable=False)
        for name, typ in [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("email", pa.string()),
            ("city", pa.string()),
            ("phone", pa.string()),
            ("sex", pa.string()),
            ("age", pa.int64()),
            ("height", pa.float64()),
            ("weight", pa.float64()),
            ("income", pa.float64()),
            ("kids", pa.int64()),
            ("score", pa.float64()),
            ("member", pa.bool_()),
            ("tier", pa.string()),
            ("joined", pa.date32()),
            ("bmi", pa.float64()),
            ("adult", pa.bool_()),
            ("senior", pa.bool_()),
            ("band", pa.string()),
            ("code", pa.string()),
        ]
    ]
)
TIERS = ("bronze", "silver", "gold")
TIER_CUM = (0.6, 0.9, 1.0)
JOIN_START = dt.date(2015, 1, 1)
JOIN_SPAN = (dt.date(2025, 12, 31) - JOIN_START).days


Ident = Callable[[], tuple[str, str, str, str]]


def loop_people(path: Path, n: int, ident: Ident, r: random.Random) -> int:
    """people20.synth as a plain Python loop: ``ident()`` gives (name, email, city, phone) and
    ``random`` draws the other 15 columns (Knuth's method for the Poisson, which ``random`` lacks);
    then the same Parquet writer settings as the engine."""
    cols: list[list] = [[] for _ in PEOPLE20_SCHEMA]
    exp_kids = math.exp(-1.5)
    for i in range(1, n + 1):
        name, email, city, phone = ident()
        sex = r.choice(("F", "M"))
        age = round(r.uniform(18, 90))
        height = r.gauss(170, 10)
        weight = r.gauss(age * 0.2 + 60, 8)
        income = r.lognormvariate(10, 0.5)
        kids, p = 0, r.random()
        while p > exp_kids:
            kids += 1
            p *= r.random()
        score = r.uniform(0, 100)
        member = r.random() < 0.4
        tier = r.choices(TIERS, cum_weights=TIER_CUM)[0]
        joined = JOIN_START + dt.timedelta(days=r.randint(0, JOIN_SPAN))
        bmi = round(weight / (height * height / 10000), 1)
        band = "young" if age < 30 else "middle" if age < 60 else "older"
        row = (
            i,
            name,
            email,
            city,
            phone,
            sex,
            age,
            height,
            weight,
            income,
            kids,
            score,
            member,
            tier,
            joined,
            bmi,
            age >= 21,
            age >= 65,
            band,
            f"C{i:06d}",
        )
        for col, v in zip(cols, row):
            col.append(v)
    table = pa.Table.from_arrays(
        [pa.array(c, f.type) for c, f in zip(cols, PEOPLE20_SCHEMA)], schema=PEOPLE20_SCHEMA
    )
    pq.write_table(table, str(path), row_group_size=ROW_GROUP_ROWS, **WRITER_OPTIONS)
    return n


def faker_people(path: Path, n: int, seed: int = 7) -> int:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    name, email, city, phone = fake.name, fake.email, fake.city, fake.phone_number
    return loop_people(path, n, lambda: (name(), email(), city(), phone()), random.Random(seed))


def mimesis_people(path: Path, n: int, seed: int = 7) -> int:
    from mimesis import Generic
    from mimesis.locales import Locale

    g = Generic(locale=Locale.EN, seed=seed)
    person, address = g.person, g.address
    name, email, city, phone = person.full_name, person.email, address.city, person.telephone
    return loop_people(path, n, lambda: (name(), email(), city(), phone()), random.Random(seed))


def case_c(tmp: Path, n: int, repeats: int, notes: list[str]) -> list[Row]:
    spec = synthdsl.load(PEOPLE20)
    loop_n = max(1_000, round(n * LOOP_FRACTION))

    def engine(i):
        out = fresh(tmp, "c_engine")
        spec.write(out, format="parquet", rows={"people": n}, chunk_size=CHUNK, workers=1)
        return out / "people.parquet"

    def faker_(i):
        out = fresh(tmp, "c_faker")
        faker_people(out / "people.parquet", loop_n)
        return out / "people.parquet"

    def mimesis_(i):
        out = fresh(tmp, "c_mimesis")
        mimesis_people(out / "people.parquet", loop_n)
        return out / "people.parquet"

    best = interleave(repeats, engine=engine, faker=faker_, mimesis=mimesis_)
    cold = interleave.log["engine"][0]  # type: ignore[attr-defined]
    for peer in ("faker", "mimesis"):
        got = pq.ParquetFile(best[peer][1]).schema_arrow
        want = pq.ParquetFile(best["engine"][1]).schema_arrow
        if not got.equals(want):
            notes.append(f"c: WARNING {peer} loop schema differs from the engine's:\n{got}")
    se = best["engine"][0]
    sf, sm = best["faker"][0], best["mimesis"][0]
    rf, rm = loop_n / sf, loop_n / sm
    scaled = loop_n != n
    notes.append(
        (
            f"c: the Faker and Mimesis loops were measured on {loop_n:,} rows and scaled linearly to "
            f"{n:,} (their rows/s is {loop_n:,} / seconds; seconds column is the projection). "
            if scaled
            else f"c: the Faker and Mimesis loops were measured on all {n:,} rows. "
        )
        + f"Engine's first (cold: includes indexing the providers' locale data) run took {cold:.2f} s."
    )
    mark = "*" if scaled else ""
    out = [
        Row("c people20 -> parquet", n_(n), f"{se:.2f}", rate_(n / se)),
        Row(
            "c   vs Faker loop",
            n_(n),
            f"{n / rf:.1f}{mark}",
            rate_(rf),
            "faker+random",
            rate_(rf),
            f"{(n / se) / rf:.1f}x",
            f">= {TARGET_C:.0f}x",
            yes((n / se) / rf >= TARGET_C),
        ),
        Row(
            "c   vs Mimesis loop",
            n_(n),
            f"{n / rm:.1f}{mark}",
            rate_(rm),
            "mimesis+random",
            rate_(rm),
            f"{(n / se) / rm:.1f}x",
        ),
    ]
    # the peer rows show the peer's projected time; keep the engine's rate visible on row 1
    out[1].rate = out[2].rate = "-"
    return out


# ---------------------------------------------------------------------------------------------
# (d) the clinic spec with rules and a child table
# ---------------------------------------------------------------------------------------------


def case_d(tmp: Path, n: int, repeats: int, notes: list[str]) -> list[Row]:
    spec = synthdsl.load(TASTE)

    def engine(i):
        out = fresh(tmp, "d_engine")
        return spec.write(out, format="parquet", rows={"patients": n}, chunk_size=CHUNK, workers=1)

    best = interleave(repeats, engine=engine)
    shutil.rmtree(tmp / "d_engine", ignore_errors=True)
    sec, card = best["engine"]
    counts = {t.name: t.rows for t in card.tables}
    total = sum(counts.values())
    rows = [Row("d clinic (taste.synth) -> parquet", n_(total), f"{sec:.2f}", rate_(total / sec))]
    for name, c in counts.items():
        rows.append(Row(f"d   table {name}", n_(c)))
    for r in card.rules:
        base = counts[r.table]
        share = r.redrawn_rows / base if base else 0.0
        rows.append(
            Row(
                f"d   rule {r.table}.{r.rule}",
                n_(base),
                peer=f"redrawn {r.redrawn_rows:,}",
                ratio=f"{share:.4%}",
            )
        )
    notes.append(
        "d: rows/s counts the rows of every table; a rule's ratio is redrawn_rows / rows of its "
        "table (a row redrawn twice counts twice)."
    )
    return rows


# ---------------------------------------------------------------------------------------------
# Profiling (engine part only)
# ---------------------------------------------------------------------------------------------


def profile_engine(case: str, tmp: Path, n: int) -> str:
    spec_path, table = {
        "a": (NUMERIC10, "facts"),
        "b": (NUMERIC10, "facts"),
        "c": (PEOPLE20, "people"),
        "d": (TASTE, "patients"),
    }[case]
    spec = synthdsl.load(spec_path)
    out = fresh(tmp, f"profile_{case}")
    prof = cProfile.Profile()
    prof.enable()
    spec.write(out, format="parquet", rows={table: n}, chunk_size=CHUNK, workers=1)
    prof.disable()
    shutil.rmtree(out, ignore_errors=True)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    buf.write(f"\n=== cProfile, case {case}, {n:,} rows: top by own time ===\n")
    stats.sort_stats("tottime").print_stats(15)
    buf.write(f"=== case {case}: top by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(25)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def versions() -> str:
    import faker
    import mimesis
    import pandas

    return (
        f"{machine_line()}\n"
        f"versions: python {platform.python_version()}, synthdsl {synthdsl.__version__}, "
        f"numpy {np.__version__}, pyarrow {pa.__version__}, pandas {pandas.__version__}, "
        f"faker {faker.VERSION}, mimesis {mimesis.__version__}"
    )


CASES = {"a": case_a, "b": case_b, "c": case_c, "d": case_d}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (CI smoke test)")
    ap.add_argument("--only", default="a,b,c,d", help="comma-separated cases to run (a,b,c,d)")
    ap.add_argument("--repeats", type=int, help="repeats per figure (default 3; full b/d: 2)")
    ap.add_argument("--profile", action="store_true", help="cProfile the engine part of each case")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument(
        "--loop-fraction",
        type=float,
        default=1.0,
        help="case c: run the Faker/Mimesis loops on this share of the rows and scale (default 1)",
    )
    args = ap.parse_args(argv)

    only = [c.strip() for c in args.only.split(",") if c.strip()]
    bad = [c for c in only if c not in CASES]
    if bad:
        ap.error(f"unknown case(s) {', '.join(bad)}; choose from a,b,c,d")
    global LOOP_FRACTION
    LOOP_FRACTION = args.loop_fraction
    sizes = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    print(f"synthdsl bench_core ({mode} sizes), {dt.datetime.now():%Y-%m-%d %H:%M}")
    print(versions())
    print(
        f"each figure: best of the repeats, engine and peer interleaved; parquet writer: "
        f"ROW_GROUP_ROWS={ROW_GROUP_ROWS:,}, {WRITER_OPTIONS['compression']} "
        f"level {WRITER_OPTIONS['compression_level']}; engine chunk_size={CHUNK:,}, workers=1"
    )
    sys.stdout.flush()

    rows: list[Row] = []
    notes: list[str] = []
    profiles: list[str] = []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="synthdsl-bench-") as d:
        tmp = Path(d)
        for case in only:
            reps = args.repeats or (2 if case in "bd" and not args.quick else 3)
            t0 = time.perf_counter()
            rows += CASES[case](tmp, sizes[case], reps, notes)
            print(
                f"  case {case} done in {time.perf_counter() - t0:.1f} s ({reps} repeats)",
                flush=True,
            )
            if args.profile:
                profiles.append(profile_engine(case, tmp, sizes[case]))

    print()
    print(render(rows))
    print()
    for note in notes:
        print(f"note {note}")
    if LOOP_FRACTION != 1.0:
        print("note *: projected from the loop's measured rows/s (linear scaling).")
    if hasattr(os, "getloadavg"):
        print(
            f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
            f"total {time.perf_counter() - t_all:.0f} s"
        )
    for p in profiles:
        print(p)
    missed = [r.case for r in rows if r.met == "NO"]
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
