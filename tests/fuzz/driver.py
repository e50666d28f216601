"""The seeded driver: base specs -> mutants -> the real pipeline, each case timed and classified.

A case is named by (seed, mutation class, number): its ``random.Random`` is seeded from those three
alone, so any case is rebuilt without running the ones before it (``python -m tests.fuzz --seed S
--class C --case N`` prints and runs it). Each mutant is parsed and checked with ``synthdsl.loads``;
one that checks is written with at most ``ROWS`` rows per table (csv mostly, sometimes jsonl,
parquet or sqlite). The outcome is one of ``OUTCOMES``; ``FAILURES`` are bugs:

- ``traceback``: an exception that is not a ``SynthError`` (the CLI would print a traceback);
- ``bad message``: a ``SpecError`` whose diagnostics lack a code or ``file:line:col``, or an
  error that fails to render;
- ``timeout``: more than the time limit in CPU seconds, or ``HARD_LIMIT_FACTOR`` times it on the
  wall clock (a ``SIGALRM`` stops a hang in Python code and calls it one).
"""

from __future__ import annotations

import math
import random
import re
import shutil
import signal
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import synthdsl
from synthdsl.errors import SpecError, SynthError
from tests.fuzz.mutators import MUTATORS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ROWS = 200  # at most this many rows per table (the roots' rows are set so children stay within)
TIME_LIMIT = 5.0  # CPU seconds per case
HARD_LIMIT_FACTOR = 4  # wall-clock seconds per case, as a multiple of the limit (a busy machine)
EXTREME_COUNT = 1e9  # a child count past this must be refused, so it runs (with one parent row)
LARGE_COUNT = 2_000  # rows per root row past this (and below EXTREME_COUNT): check only
FORMATS = ("csv",) * 7 + ("jsonl", "parquet", "sqlite")
OUTCOMES = ("ok", "checked", "spec error", "run error", "traceback", "bad message", "timeout")
FAILURES = frozenset({"traceback", "bad message", "timeout"})

SHOP = """\
seed 42
locale nl_BE

dataset cities  = csv("data/be_cities.csv")
dataset tickers = parquet("data/be_tickers.parquet")

table shop {
  rows 30
  id     int   = serial() key
  kind   enum("food", "toy") ~ categorical("food": 0.7, "toy": 0.3)
  price  float ~ normal(20, 5) clamp(1, 100) round(2)
  stock  int?  ~ poisson(4) nulls 10%
  city   text  ~ categorical(cities.city, weights = cities.population)
  region text  = lookup(cities, city -> province)
  ticker text  ~ categorical(tickers.ticker)
  owner  text  = lookup(tickers, ticker -> company)
  sale   bool  = price < 15 and kind == "toy"
  label  text  = format("{} #{}", upper(kind), id)
  code   text  = faker.bothify("??-####") unique
  mail   text  = mimesis.person.email()
  phone  text? = faker.phone_number() nulls 20%
  rule cheap_food: kind == "food" implies price <= 60
  rule stocked:    stock is null or stock between 0 and 1000
}
"""

LIBRARY = """\
locale en_US

table authors {
  rows 8
  id    int   = serial(100) key
  name  text  = faker.name()
  born  date  ~ uniform(date("1950-01-01"), date("2000-12-31"))
  score float ~ mixture(0.5: normal(0, 1), 0.5: normal(5, 1))
  tier  text  = if score > 2 then "gold" else "silver"
}

table books {
  rows per authors ~ poisson(2)
  id        int  = serial() key
  author_id int  = ref authors.id
  written   date = authors.born + days(uniform(7000, 15000))
  pages     int  ~ uniform(50, 900)
  isbn      text = concat("978-", text(pages), "-", text(author_id))
  title     text = mimesis.text.title()
  rule long_enough: pages >= 60
  rule not_too_long: pages < 880
}

table loans {
  rows per books ~ geometric(0.5) clamp(1, 4)
  book_id int      = ref books.id
  out     datetime ~ uniform(datetime("2020-01-01T00:00:00"), datetime("2025-01-01T00:00:00"))
  days_   int      ~ binomial(30, 0.3)
  fee     decimal(6, 2) = days_ * 0.25
}
"""


@dataclass(frozen=True)
class Base:
    """A valid spec to mutate; ``path`` is where it loads from (relative datasets resolve there)."""

    name: str
    text: str
    path: str


def base_specs() -> list[Base]:
    """Every spec in examples/ and specs/, then the inline ones (providers, datasets, 3 levels)."""
    files = sorted(EXAMPLES.glob("*.synth")) + sorted((ROOT / "specs").glob("*.synth"))
    out = [Base(p.stem, p.read_text(encoding="utf-8"), str(p)) for p in files]
    out.append(Base("inline_shop", SHOP, str(EXAMPLES / "fuzz_shop.synth")))
    out.append(Base("inline_library", LIBRARY, str(EXAMPLES / "fuzz_library.synth")))
    return out


@dataclass(frozen=True)
class Case:
    """One mutant and how to run it; ``seed``, ``cls`` and ``number`` rebuild it."""

    seed: int
    cls: str
    number: int
    base: str
    text: str
    path: str
    format: str

    def reproduce(self) -> str:
        return f"python -m tests.fuzz --seed {self.seed} --class {self.cls} --case {self.number}"


@dataclass
class Result:
    case: Case
    outcome: str
    seconds: float
    detail: str = ""
    warned: str = ""  # the first library warning that would reach a user's terminal, if any

    def report(self, max_text: int = 3000) -> str:
        """What a failing case prints: seed, class, the error and the mutant text."""
        text = self.case.text
        if len(text) > max_text:
            text = text[:max_text] + f"\n... ({len(self.case.text) - max_text} more characters)"
        return printable(
            f"{self.outcome} in {self.seconds:.2f}s: seed={self.case.seed} class={self.case.cls} "
            f"case={self.case.number} base={self.case.base} format={self.case.format}\n"
            f"reproduce: {self.case.reproduce()}\n{self.detail}\n"
            f"--- mutant ({self.case.path}) ---\n{text}"
        )


def printable(text: str) -> str:
    """``text`` with lone surrogates escaped, so a mutant holding one can be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def make_case(seed: int, cls: str, number: int, bases: list[Base] | None = None) -> Case:
    """The ``number``-th mutant of class ``cls`` for ``seed``; a pure function of the three."""
    bases = bases if bases is not None else base_specs()
    rng = random.Random(f"synthdsl-fuzz:{seed}:{cls}:{number}")
    base = rng.choice(bases)
    text = MUTATORS[cls](base.text, rng)
    if rng.random() < 0.15:  # now and then a second, generic edit on top
        text = MUTATORS[rng.choice(sorted(MUTATORS))](text, rng)
    return Case(seed, cls, number, base.name, text, base.path, rng.choice(FORMATS))


def cases(seed: int, per_class: int, classes: list[str] | None = None) -> Iterator[Case]:
    """``per_class`` mutants of each class, interleaved so a partial run covers every class."""
    bases = base_specs()
    names = classes or list(MUTATORS)
    for number in range(per_class):
        for cls in names:
            yield make_case(seed, cls, number, bases)


def warm_up(work: Path | None = None) -> None:
    """Run every base spec, in every format, with no alarm: imports and first calls happen here.

    An alarm that lands inside a module's first import leaves the module half initialized and
    every later case failing; and import time is not a mutant's time.
    """
    for i, b in enumerate(base_specs()):
        fmt = FORMATS[-1 - i % 4]
        tmp = Path(tempfile.mkdtemp(prefix="fzwarm", dir=work))
        try:
            spec = synthdsl.loads(b.text, path=b.path)
            spec.write(tmp / "out", format=fmt, rows=root_rows(spec), seed=1)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in the engine swallows it."""


def _on_alarm(signum, frame):
    raise _Timeout


def _per_parent(count, clamp) -> float:
    """A rough estimate of a child table's rows per parent row (its mean, about; inf: unknown)."""
    if count is None:
        return math.inf
    est = math.inf
    if count.is_const and isinstance(count.const, int | float):
        est = abs(float(count.const))
    elif count.cat is not None:
        try:
            est = max((abs(float(x)) for x in count.cat.labels), default=0.0)
        except (TypeError, ValueError):
            est = math.inf
    elif count.dist is not None:
        params = [p.const for p in count.dist.params.values() if p.is_const]
        if len(params) == len(count.dist.params) and all(
            isinstance(p, int | float) for p in params
        ):
            if getattr(count.dist.dist, "name", "") == "geometric" and params and params[0] > 0:
                est = 1 / params[0]
            else:
                est = max((abs(float(p)) for p in params), default=0.0)
    if clamp is not None:
        est = min(est, float(clamp[1]))
    return est


def root_rows(spec: synthdsl.Spec) -> dict[str, int] | None:
    """Row counts for the root tables so every table stays near ``ROWS``; None: check only.

    A child count past ``EXTREME_COUNT`` runs with one root row: the engine must refuse it (a
    ``DataError``) fast, not try. A large but possible one is the user's wish, not a bug: skipped.
    """
    tables = spec.checked.tables
    fan: dict[str, float] = {}

    def fanout(name: str) -> float:  # rows of ``name`` per row of its root
        if name not in fan:
            t = tables[name]
            fan[name] = (
                1.0
                if t.parent is None
                else (_per_parent(t.count, t.count_clamp) * fanout(t.parent))
            )
        return fan[name]

    per_root: dict[str, float] = {}
    extreme = False
    for name, t in tables.items():
        root = name
        while tables[root].parent is not None:
            root = tables[root].parent
        if t.parent is not None and _per_parent(t.count, t.count_clamp) >= EXTREME_COUNT:
            extreme = True
        per_root[root] = max(per_root.get(root, 1.0), fanout(name))
    out = {}
    for t in spec.plan().tables:
        if t.parent is None and t.rows is not None:
            cap = 1 if extreme else max(1, int(ROWS // max(1.0, per_root.get(t.name, 1.0))))
            out[t.name] = min(t.rows, cap)
    if not extreme and any(v > LARGE_COUNT for v in per_root.values()):
        return None
    return out


def _check_spec_error(err: SpecError) -> str:
    """Why a SpecError is a bad message ('' when it is fine): every diagnostic has a code and a place."""
    if not err.diagnostics:
        return "a SpecError without diagnostics"
    rendered = err.render()
    for d in err.diagnostics:
        if not re.fullmatch(r"E\d{3}", d.code):
            return f"diagnostic without an E### code: {d}"
        s = d.span
        if not s.line or s.column < 1:
            return f"diagnostic without line:col: {d.code} {d.message}"
        if s.source is not None and s.source.text:
            n_lines = s.source.text.count("\n") + 1
            if not 1 <= s.line <= n_lines:
                return f"diagnostic at line {s.line} of a {n_lines}-line file: {d}"
        if f":{s.line}:{s.column}:" not in rendered:
            return f"rendered message lacks {s.line}:{s.column}: {rendered[:300]}"
    return ""


def _run(case: Case, out_dir: Path) -> tuple[str, str]:
    try:
        spec = synthdsl.loads(case.text, path=case.path)
    except SpecError as err:
        bad = _check_spec_error(err)
        return ("bad message", bad) if bad else ("spec error", err.render()[:500])
    except SynthError as err:
        return "run error", "at load: " + err.render()[:500]
    rows = root_rows(spec)
    if rows is None:
        return "checked", "large child counts: generation skipped"
    try:
        spec.write(out_dir, format=case.format, rows=rows, seed=1)
    except SynthError as err:
        return "run error", err.render()[:500]
    return "ok", ""


def run_case(case: Case, time_limit: float = TIME_LIMIT, work: Path | None = None) -> Result:
    """Run one case in this process, under an alarm; never raises (but KeyboardInterrupt)."""
    tmp = Path(tempfile.mkdtemp(prefix="fz", dir=work))
    old = signal.signal(signal.SIGALRM, _on_alarm)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    signal.setitimer(signal.ITIMER_REAL, time_limit * HARD_LIMIT_FACTOR)
    caught: list[warnings.WarningMessage] = []
    try:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outcome, detail = _run(case, tmp / "out")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        outcome, detail = "timeout", f"stopped after {time_limit * HARD_LIMIT_FACTOR:.0f}s (wall)"
    except RecursionError:
        outcome, detail = "traceback", "RecursionError\n" + _short_traceback()
    except Exception as exc:  # any other exception is exactly what the fuzzer looks for
        outcome, detail = (
            "traceback",
            f"{type(exc).__name__}: {exc}"[:500] + "\n" + _short_traceback(),
        )
    finally:
        signal.signal(signal.SIGALRM, old)
        shutil.rmtree(tmp, ignore_errors=True)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if outcome not in FAILURES and cpu > time_limit:
        outcome, detail = "timeout", f"took {cpu:.1f}s of CPU (limit {time_limit}s); was {outcome}"
    warned = ""
    if caught:
        w = caught[0]
        warned = f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
    return Result(case, outcome, wall, detail, warned)


def _short_traceback(frames: int = 8) -> str:
    """The innermost frames: enough to find the bug without flooding a report."""
    lines = traceback.format_exc().splitlines()
    return "\n".join(line[:300] for line in lines[-2 * frames - 1 :])
