"""The simulation step on examples/cohort.synth against a per-entity Python loop and Mesa.

cohort.synth follows patients from 2000 to 2025, one step a year (26 steps): they age, their BMI
drifts, they start and quit smoking, die with a Gompertz hazard, and make visits (the `visits`
table) at a rate that rises with age and smoking; `patients_history` records every living patient
at every step. Measured, in the same run:

  synthdsl     end to end: `python -m synthdsl generate SPEC --out DIR --format parquet` in a child
               process, on a copy of cohort.synth with the `rows` of table patients set to the size
               (Parquet: faster to write than CSV at 1e6 entities). The seconds are the child's wall
               time, all of it: interpreter start, imports, the spec's parse and check (these fixed
               costs are about 1.3 s: a 500-entity run takes that long), the patients' first state
               (Faker names included), the 26 steps, and writing the three tables; its peak RSS is
               the child's own ru_maxrss (os.wait4). It also runs at the loop's size, for the check
               below and for its marginal rate (fixed costs taken out). The time and memory targets
               are judged on this row, at 1e6 entities.
  synthdsl (in memory)
               like for like with the peers: a child process (the same spec file, measured the same
               way) runs `synthdsl.load(SPEC)`, builds the spec's plan and imports the modules that
               generation imports on first use, then times only `for table, batch in
               spec.batches()` (the Arrow batches counted and dropped; nothing written). The
               seconds are that timed part, measured inside the child: the patients' first state
               (Faker names included), the 26 steps and the tables' Arrow batches; the interpreter
               start, imports, parse, check and plan are outside them (the note under the table
               gives them). Peak RSS: the child's own, the whole child. Same seed, chunk size and
               single worker as the CLI run, so it makes the same rows (the run checks the counts).
  Python loop  benchmarks/_sim_peers.py --peer loop, in this venv: one object per patient, `for`
               each year `for` each patient the same work as the spec's `simulate` block, in its
               order, with scalar draws from `random`; the rows (visits, history) kept in lists of
               tuples, nothing written. No names: the peers draw none (in synthdsl the Faker name
               column is a few percent of the time).
  Mesa         the same work as Mesa 3.5.1 agents (one `mesa.Agent` per patient, `model.agents.do
               ("step")` per year), in its own venv (.venv-sim-peers, Python >= 3.12; `make bench`
               builds it), through benchmarks/_sim_peers.py. At the same seed and size it makes the
               loop's rows exactly (the run checks their digests).

The peers' seconds are drawing the patients plus the 26 steps: their interpreter start and imports
are outside them and they write nothing, as synthdsl's in-memory seconds; against synthdsl's end to
end seconds that favours the peers. Their peak RSS is their child's, as synthdsl's (the peers keep
every row in lists, synthdsl in memory drops each batch once counted).

The figure compared is entity-steps per second: entities x 26 steps / seconds (an entity that died
still counts its steps: every tool skips it the same way). A patient's work per step does not
depend on the other patients, so the peers' work grows linearly with the entities and their rates
at 1e4 entities compare with synthdsl's at 1e5 (synthdsl's own rate only rises with the size, as
its fixed costs spread). The peers' seconds are the best of the repeats (synthdsl's too, at each
size but the big one, which runs once); engine and peers are interleaved so that load from other
processes falls on all of them.

"same work": the loop's visits per entity-step lived and share of patients dead by 2025 against
synthdsl's, both at the loop's size (the streams differ, so the figures agree within sampling
noise, not exactly).

Targets of the issue: synthdsl >= 50x the loop and >= 20x Mesa at 1e5 entities (each printed twice:
with synthdsl end to end, and with synthdsl in memory, like the peers); 1e6 entities x 26 steps in
under a minute on 2 cores with peak RSS under 2 GiB (synthdsl end to end).

    python benchmarks/bench_simulate.py                  # 1e5 (ratios), 1e6 (time, memory)
    python benchmarks/bench_simulate.py --quick          # smoke sizes, the big run skipped
    python benchmarks/bench_simulate.py --entities 200000 --big 0 --loop-entities 20000
    python benchmarks/bench_simulate.py --strict         # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _machine import machine_line  # benchmarks/ is the script's folder
from bench_bayesnet import child_env, first_error_line

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COHORT = ROOT / "examples" / "cohort.synth"
PEER_PYTHON = ROOT / ".venv-sim-peers" / "bin" / "python"
PEER_SCRIPT = HERE / "_sim_peers.py"
STEPS = 26  # yearly from 2000 to 2025
FORMAT = "parquet"
PATIENTS_ROWS = re.compile(r"(\btable\s+patients\s*\{[^}]*?\brows\s+)[0-9_]+")

FULL = {"entities": 100_000, "big": 1_000_000, "loop": 10_000, "mesa": 10_000, "repeats": 3}
QUICK = {"entities": 2_000, "big": 0, "loop": 500, "mesa": 500, "repeats": 1}

TARGET_LOOP = 50.0
TARGET_MESA = 20.0
TARGET_BIG_S = 60.0
TARGET_BIG_RSS = 2 * 2**30
SAME_WORK_TOLERANCE = 0.05  # relative, or 3 standard errors where sampling noise is larger
CLI_TOOL = "synthdsl"
MEM_TOOL = "synthdsl (in memory)"

# The in-memory child: everything before the timer is start-up (the peers' seconds leave theirs out
# too); the timed part is the generation into Arrow batches, nothing written.
IN_MEMORY = """\
import json, sys, time
t0 = time.perf_counter()
import synthdsl
spec = synthdsl.load(sys.argv[1])
spec.plan()  # the spec's plan, built once and kept (the CLI's start-up builds it too)
import pandas, pyarrow, synthdsl.execute.run, synthdsl.engines.local  # imported on first use
setup = time.perf_counter() - t0
t = time.perf_counter()
n, deaths = {}, 0
for table, batch in spec.batches():
    n[table] = n.get(table, 0) + batch.num_rows
    if table == "patients":
        deaths += batch.num_rows - batch.column("death_date").null_count
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "setup_seconds": setup, "rows": n, "deaths": deaths}))
"""


@dataclass(eq=False)  # compared by identity
class Result:
    tool: str
    entities: int
    seconds: float = math.nan  # best over the repeats
    peak: int = 0  # bytes, the highest over the repeats
    cpu: float = math.nan  # user + sys of the best repeat
    wall: float = math.nan  # in memory: the child's wall time of the best repeat
    setup: float = math.nan  # in memory: the child's imports, load and plan of the best repeat
    visits: int = -1
    history: int = -1
    deaths: int = -1
    digest: str = ""
    version: str = ""
    error: str = ""

    @property
    def rate(self) -> float:
        return self.entities * STEPS / self.seconds

    def add(
        self, seconds: float, peak: int, cpu: float, wall: float = math.nan, setup: float = math.nan
    ) -> None:
        if not seconds >= self.seconds:  # NaN at first
            self.seconds, self.cpu, self.wall, self.setup = seconds, cpu, wall, setup
        self.peak = max(self.peak, peak)


def measure(argv: list[str], env: dict | None = None) -> tuple[float, int, float, int, str, str]:
    """Wall seconds, peak RSS (bytes) and CPU seconds of one child, its exit code, stdout, stderr.
    ``os.wait4`` gives exactly this child's ru_maxrss (``getrusage(RUSAGE_CHILDREN)`` would be the
    highest over every child waited for so far)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        sec = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text_out = out.read().decode(errors="replace")
        text_err = err.read().decode(errors="replace")
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    code = os.waitstatus_to_exitcode(status)
    return sec, usage.ru_maxrss * scale, usage.ru_utime + usage.ru_stime, code, text_out, text_err


def cohort_spec(tmp: Path, entities: int) -> Path:
    text, n = PATIENTS_ROWS.subn(rf"\g<1>{entities}", COHORT.read_text())
    if n != 1:
        raise SystemExit(f"{COHORT}: no `rows N` line in table patients to set")
    spec = tmp / f"cohort_{entities}.synth"
    spec.write_text(text)
    return spec


def run_synthdsl(tmp: Path, result: Result) -> None:
    """One `synthdsl generate` of the cohort at ``result.entities``; row counts from the files."""
    spec = cohort_spec(tmp, result.entities)
    out = tmp / f"out_{result.entities}"
    shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, "-m", "synthdsl", "generate", str(spec), "--out", str(out)]
    sec, peak, cpu, code, _, err = measure([*argv, "--format", FORMAT], env=child_env())
    if code != 0:
        result.error = "generate: " + first_error_line(err)
        return
    result.add(sec, peak, cpu)
    result.visits = pq.ParquetFile(out / "visits.parquet").metadata.num_rows
    result.history = pq.ParquetFile(out / "patients_history.parquet").metadata.num_rows
    deaths = pq.read_table(out / "patients.parquet", columns=["death_date"]).column(0)
    result.deaths = len(deaths) - deaths.null_count
    shutil.rmtree(out, ignore_errors=True)


def run_in_memory(tmp: Path, result: Result) -> None:
    """``spec.batches()`` of the cohort at ``result.entities`` in a child, timed inside it."""
    spec = cohort_spec(tmp, result.entities)
    argv = [sys.executable, "-c", IN_MEMORY, str(spec)]
    wall, peak, cpu, code, out, err = measure(argv, env=child_env())
    if code != 0:
        result.error = "in memory: " + first_error_line(err or out)
        return
    info = json.loads(out.strip().splitlines()[-1])
    result.add(info["seconds"], peak, cpu, wall, info["setup_seconds"])
    rows = info["rows"]
    result.visits, result.history = rows.get("visits", 0), rows.get("patients_history", 0)
    result.deaths = info["deaths"]


def run_peer(python: Path, peer: str, result: Result) -> None:
    argv = [str(python), str(PEER_SCRIPT), "--peer", peer, "--entities", str(result.entities)]
    _, peak, cpu, code, out, err = measure(argv)
    if code != 0:
        result.error = first_error_line(err or out)
        return
    info = json.loads(out.strip().splitlines()[-1])
    result.add(info["seconds"], peak, cpu)
    result.visits, result.history = info["visits_rows"], info["history_rows"]
    result.deaths, result.digest, result.version = info["deaths"], info["digest"], info["version"]


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

HEADER = (
    "tool",
    "entities",
    "steps",
    "seconds",
    "entity-steps/s",
    "ratio vs synthdsl",
    "ratio vs in memory",
    "visits rows",
    "history rows",
    "peak RSS MiB",
)


def table_text(rows: list[tuple[str, ...]]) -> str:
    """A Markdown table: the tool left-aligned, the figures right-aligned."""
    cells = [HEADER, *rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]

    def line(c):
        vals = [v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths))]
        return "| " + " | ".join(vals) + " |"

    rule = [("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)]
    return "\n".join([line(cells[0]), "|" + "|".join(rule) + "|", *(line(c) for c in cells[1:])])


def row(r: Result, references: tuple[Result, Result]) -> tuple[str, ...]:
    """``references``: synthdsl end to end and in memory at --entities, for the peers' ratios
    (synthdsl's own rows show 1.0x where they are the reference, else "-")."""
    if r.error or math.isnan(r.seconds):
        return (r.tool, f"{r.entities:,}", str(STEPS), "failed", *["-"] * (len(HEADER) - 4))
    ratios = []
    for reference in references:
        if reference is r:
            ratios.append("1.0x")
        elif r.tool.startswith(CLI_TOOL) or not ok(reference):
            ratios.append("-")
        else:
            ratios.append(f"{reference.rate / r.rate:.1f}x")
    return (
        r.tool,
        f"{r.entities:,}",
        str(STEPS),
        f"{r.seconds:.2f}",
        f"{r.rate:,.0f}",
        *ratios,
        f"{r.visits:,}",
        f"{r.history:,}",
        f"{r.peak / 2**20:,.0f}",
    )


def ok(r: Result | None) -> bool:
    return r is not None and not r.error and not math.isnan(r.seconds)


def same_work(loop: Result, ours: Result) -> list[str]:
    """The loop's figures next to synthdsl's at the same size, with their relative difference."""
    lines, agree = [], True
    for name, a, na, b, nb, unit in (
        ("visits per entity-step lived", loop.visits, loop.history, ours.visits, ours.history, ""),
        ("patients dead by 2025", loop.deaths, loop.entities, ours.deaths, ours.entities, "%"),
    ):
        pa_, pb = a / na, b / nb
        rel = (pa_ - pb) / pb if pb else math.inf
        # binomial standard error of the difference (visits: one draw per entity-step lived)
        p = min(max((a + b) / (na + nb), 1e-12), 1 - 1e-12)
        se = math.sqrt(p * (1 - p) * (1 / na + 1 / nb))
        z = abs(pa_ - pb) / se if se else math.inf
        good = abs(rel) <= SAME_WORK_TOLERANCE or z <= 3
        agree &= good
        scale = 100 if unit else 1
        digits = 2 if unit else 4
        lines.append(
            f"{name}: loop {pa_ * scale:.{digits}f}{unit} vs synthdsl {pb * scale:.{digits}f}{unit} "
            f"({rel:+.1%}, {z:.1f} standard errors)"
        )
    lived = f"entity-steps lived per entity: loop {loop.history / loop.entities:.2f} vs synthdsl "
    lived += f"{ours.history / ours.entities:.2f}"
    verdict = "agree" if agree else "DIFFER"
    head = (
        f"same work (loop vs synthdsl, both at {loop.entities:,} entities; they agree when within "
        f"{SAME_WORK_TOLERANCE:.0%} or 3 standard errors): {verdict}"
    )
    return [head, *(f"  {x}" for x in lines), f"  {lived}"]


def targets(
    ours: Result,
    mem: Result,
    loop: Result,
    mesa: Result | None,
    big: Result | None,
    big_n: int,
):
    """(target, what was measured, met): met is None when the target was not checked. The ratio
    targets come twice: synthdsl end to end (``ours``) and in memory (``mem``)."""
    out = []
    for peer, goal in ((loop, TARGET_LOOP), (mesa, TARGET_MESA)):
        for how, engine in (("end to end (CLI, files)", ours), ("in memory (like the peers)", mem)):
            name = (
                f"synthdsl >= {goal:.0f}x {'the Python loop' if peer is loop else 'Mesa'}, {how} "
                f"(entity-steps/s, synthdsl at {engine.entities:,})"
            )
            if peer is None:
                out.append((name, "not checked (no .venv-sim-peers: make bench)", None))
            elif not ok(engine) or not ok(peer):
                out.append((name, "not measured (a run failed)", False))
            else:
                ratio = engine.rate / peer.rate
                out.append((name, f"{ratio:.1f}x", ratio >= goal))
    name_s = f"{big_n or 1_000_000:,} entities x {STEPS} steps < {TARGET_BIG_S:.0f} s "
    name_s += f"({os.cpu_count()} cores)"
    name_m = f"peak RSS < {TARGET_BIG_RSS / 2**30:.0f} GiB at {big_n or 1_000_000:,} entities"
    if big is None:
        out.append((name_s, "not measured (--big 0)", None))
        out.append((name_m, "not measured (--big 0)", None))
    elif not ok(big):
        out.append((name_s, f"failed: {big.error}", False))
        out.append((name_m, "failed", False))
    else:
        out.append((name_s, f"{big.seconds:.1f} s", big.seconds < TARGET_BIG_S))
        out.append((name_m, f"{big.peak / 2**20:,.0f} MiB", big.peak < TARGET_BIG_RSS))
    return out


def versions() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "synthdsl", "--version"],
        capture_output=True,
        text=True,
        env=child_env(),
        check=False,
    )
    synthdsl_version = (proc.stdout.strip() or "?").split()[-1]
    return (
        f"versions: python {platform.python_version()}, synthdsl {synthdsl_version} ({ROOT}), "
        f"pyarrow {pa.__version__}"
    )


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--entities", type=int, help="synthdsl's size for the ratios (100000)")
    ap.add_argument(
        "--big", type=int, help="synthdsl's size for time and memory (1000000; 0: skip)"
    )
    ap.add_argument("--loop-entities", type=int, help="the Python loop's size (10000)")
    ap.add_argument("--mesa-entities", type=int, help="Mesa's size (10000)")
    ap.add_argument("--repeats", type=int, help="runs of each but the big one, the best kept (3)")
    ap.add_argument("--quick", action="store_true", help="2000 / 500 / 500 entities, no big run")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    for key, given in (
        ("entities", args.entities),
        ("big", args.big),
        ("loop", args.loop_entities),
        ("mesa", args.mesa_entities),
        ("repeats", args.repeats),
    ):
        if given is not None:
            sizes[key] = given
    if min(sizes["entities"], sizes["loop"], sizes["mesa"], sizes["repeats"]) < 1:
        ap.error("--entities, --loop-entities, --mesa-entities and --repeats must be >= 1")
    n, big_n, repeats = sizes["entities"], sizes["big"], sizes["repeats"]

    started = time.perf_counter()
    print(f"synthdsl bench_simulate, {time.strftime('%Y-%m-%d %H:%M')}")
    print(machine_line())
    print(versions())
    have_mesa = PEER_PYTHON.exists()
    print(
        f"spec: {COHORT.relative_to(ROOT)} ({STEPS} yearly steps), synthdsl -> {FORMAT} through the "
        f"CLI in a child process, and to Arrow batches in memory in a child process (generation "
        f"timed inside it); peers: {PEER_SCRIPT.relative_to(ROOT)}, Mesa in "
        f"{PEER_PYTHON.relative_to(ROOT)}"
        + ("" if have_mesa else " - missing (make bench): Mesa not measured")
        + f"; best of {repeats} run(s), interleaved"
    )
    sys.stdout.flush()

    ours = Result(CLI_TOOL, n)
    ours_at_loop = ours if sizes["loop"] == n else Result(CLI_TOOL, sizes["loop"])
    mem = Result(MEM_TOOL, n)
    mem_at_loop = mem if sizes["loop"] == n else Result(MEM_TOOL, sizes["loop"])
    loop = Result("Python loop", sizes["loop"])
    mesa = Result("Mesa", sizes["mesa"]) if have_mesa else None
    big = Result(CLI_TOOL, big_n) if big_n else None
    with tempfile.TemporaryDirectory(prefix="bench_simulate_") as tmp_name:
        tmp = Path(tmp_name)
        for i in range(repeats):
            t0 = time.perf_counter()
            for r in dict.fromkeys((ours, ours_at_loop)):  # once when they are the same run
                if not r.error:
                    run_synthdsl(tmp, r)
            for r in dict.fromkeys((mem, mem_at_loop)):
                if not r.error:
                    run_in_memory(tmp, r)
            if not loop.error:
                run_peer(Path(sys.executable), "loop", loop)
            if mesa is not None and not mesa.error:
                run_peer(PEER_PYTHON, "mesa", mesa)
            print(f"  repeat {i + 1} done in {time.perf_counter() - t0:.0f} s", flush=True)
        if big is not None:
            t0 = time.perf_counter()
            run_synthdsl(tmp, big)
            print(f"  big run ({big_n:,} entities) done in {time.perf_counter() - t0:.0f} s")

    results = sorted(
        dict.fromkeys(r for r in (ours, ours_at_loop, big) if r is not None),
        key=lambda r: r.entities,
    )
    results += sorted(dict.fromkeys((mem, mem_at_loop)), key=lambda r: r.entities)
    results += [loop] + ([mesa] if mesa is not None else [])
    if mesa is not None and mesa.version:
        mesa.tool = mesa.version.replace("mesa", "Mesa")
    print()
    print(table_text([row(r, (ours, mem)) for r in results]))
    print()
    notes = [
        f"entity-steps = entities x {STEPS} steps; ratio vs synthdsl (vs in memory) = synthdsl's "
        f"entity-steps/s at {n:,} entities end to end (in memory) over the row's. Seconds: best of "
        "the repeats (the big run: once).",
        "synthdsl's seconds are the whole `synthdsl generate` child (start-up, imports, parse, the "
        f"first state with Faker names, the steps, writing {FORMAT}); synthdsl (in memory)'s are "
        "the generation into Arrow batches only, timed inside its child (the first state with "
        "Faker names, the steps; no start-up, nothing written); the peers' are the drawing and the "
        "steps only (no start-up, no names, nothing written). Peak RSS: each child's own.",
    ]
    for big_r, small_r in ((ours, ours_at_loop), (mem, mem_at_loop)):
        if ok(big_r) and ok(small_r) and small_r is not big_r:
            marginal = (big_r.entities - small_r.entities) * STEPS
            marginal /= big_r.seconds - small_r.seconds
            notes.append(
                f"{big_r.tool}'s marginal rate between {small_r.entities:,} and {n:,} entities "
                f"(fixed costs taken out): {marginal:,.0f} entity-steps/s."
            )
    for r in results:
        if ok(r) and r.tool == CLI_TOOL:
            notes.append(
                f"synthdsl at {r.entities:,}: CPU time (user+sys) {r.cpu:.2f} s for {r.seconds:.2f} "
                f"s of wall time; {r.deaths:,} patients dead by 2025."
            )
        if ok(r) and r.tool == MEM_TOOL:
            notes.append(
                f"synthdsl (in memory) at {r.entities:,}: generation {r.seconds:.2f} s of the "
                f"child's {r.wall:.2f} s of wall time (imports, load and plan: {r.setup:.2f} s; "
                "interpreter start and exit: the rest); CPU time (user+sys, the whole child) "
                f"{r.cpu:.2f} s; "
                f"{r.deaths:,} patients dead by 2025."
            )
        if r.error:
            notes.append(f"{r.tool} at {r.entities:,}: {r.error}")
    for cli_r, mem_r in dict.fromkeys(((ours, mem), (ours_at_loop, mem_at_loop))):
        if ok(cli_r) and ok(mem_r):
            counts = (cli_r.visits, cli_r.history, cli_r.deaths)
            same = counts == (mem_r.visits, mem_r.history, mem_r.deaths)
            notes.append(
                f"synthdsl in memory and end to end at {cli_r.entities:,} entities made "
                + ("the same" if same else "DIFFERENT")
                + f" row counts (visits, history, deaths: {counts} vs "
                f"{(mem_r.visits, mem_r.history, mem_r.deaths)})."
            )
    if ok(loop) and mesa is not None and ok(mesa) and loop.entities == mesa.entities:
        same = "the same rows" if loop.digest == mesa.digest else "DIFFERENT rows"
        notes.append(
            f"Mesa and the loop at the same seed and size made {same} (digests {mesa.digest} "
            f"and {loop.digest}); the loop ran on {loop.version}."
        )
    for note in notes:
        print(note)
    if ok(loop) and ok(ours_at_loop):
        print()
        print("\n".join(same_work(loop, ours_at_loop)))

    missed = False
    print()
    print("targets:")
    for name, got, met in targets(ours, mem, loop, mesa, big, big_n):
        missed |= met is False
        mark = "-     " if met is None else "met   " if met else "MISSED"
        print(f"  {mark}  {name}: {got}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
