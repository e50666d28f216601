"""The Bayesian-network model (PrivBayes-style, differentially private) against its peers on Adult.

Learns from ../shared/data/adult/adult_train.csv (24,000 rows of UCI Adult), split once: a numpy
Generator seeded 0 permutes the rows, the first 75% are the training set and the rest the test set.
Each tool learns from the training set at each epsilon and samples as many rows:

  synthdsl          a generated spec, `model net : bayesnet { ... privacy epsilon E }`, through the
                    CLI (`synthdsl fit`, then `synthdsl generate`) in child processes;
  DataSynthesizer   0.1.13, correlated attribute mode (PrivBayes, k=2); `none` = its epsilon=0;
  MST               smartnoise-synth 1.0.8 (`Synthesizer.create("mst", epsilon=E)`); no non-DP mode.

The peers run in their own venv (.venv-bayes-peers, made by `make bench`) through
benchmarks/_bayes_peers.py. Per tool and epsilon the table gives: train-on-synthetic/test-on-real
ROC AUC (logistic regression and gradient boosting, predicting `class`), mean column similarity
(1 - KS numeric, 1 - total variation categorical), mean pair similarity (1 - |Cramér's V real -
synthetic|), fit and sample seconds. The `real` row is trained on the real training set (and its
similarities compare the test set with the training set: the level two real samples reach). Then
sampling speed against pgmpy's `BayesianModelSampling.forward_sample` on the same network, and the
targets of the issue:

  at every epsilon, TSTR AUC >= the best peer's; at epsilon 1 >= 0.86; without DP >= 0.89;
  column similarity > 0.95 at epsilon 1; sampling >= 20x pgmpy's; fit < 60 s on 2 cores.

Quality figures are means over the repeats (a different seed each: the DP noise differs), times
the best of them.

    python benchmarks/bench_bayesnet.py                      # epsilons 0.3, 1, 3, none; 3 repeats
    python benchmarks/bench_bayesnet.py --quick              # epsilons 1 and none, 1 repeat
    python benchmarks/bench_bayesnet.py --epsilons 1,none --repeats 2
    python benchmarks/bench_bayesnet.py --only peers         # or --only synthdsl
    python benchmarks/bench_bayesnet.py --strict             # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import itertools
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
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from _machine import machine_line  # benchmarks/ is the script's folder

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(__file__).resolve().parents[1].parent / "shared/data/adult/adult_train.csv"
PEER_PYTHON = ROOT / ".venv-bayes-peers" / "bin" / "python"
PEER_SCRIPT = HERE / "_bayes_peers.py"

TARGET = "class"
POSITIVE = ">50K"
MISSING = "?"  # how Adult marks a missing value
TRAIN_SHARE = 0.75
SPLIT_SEED = 0
SPEC_SEED = 7  # repeat i uses seed SPEC_SEED + i (synthdsl) and i (peers)
CATEGORY_THRESHOLD = 20  # int columns with <= 20 values are categorical for the peers
EPSILONS = ("0.3", "1", "3", "none")
QUICK_EPSILONS = ("1", "none")
SPEED_ROWS = 200_000  # synthdsl generate, rows/s
PGMPY_ROWS = 20_000  # pgmpy forward_sample, rows/s
PEER_TIMEOUT_S = 1800
TOOLS = ("synthdsl", "DataSynthesizer", "MST")
PEER_NAMES = {"DataSynthesizer": "datasynthesizer", "MST": "mst"}

TARGET_AUC_EPS1 = 0.86
TARGET_AUC_NODP = 0.89
TARGET_COLSIM_EPS1 = 0.95
TARGET_SPEEDUP = 20.0
TARGET_FIT_S = 60.0


# ---------------------------------------------------------------------------------------------
# Data: the fixed split and the column types
# ---------------------------------------------------------------------------------------------


def split(data: Path, tmp: Path) -> tuple[Path, Path]:
    """Write the fixed 75/25 split of ``data`` to tmp as CSV, cells exactly as in the file."""
    raw = pd.read_csv(data, dtype=str, keep_default_na=False)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(raw))
    cut = int(len(raw) * TRAIN_SHARE)
    train, test = tmp / "train75.csv", tmp / "test25.csv"
    raw.iloc[order[:cut]].to_csv(train, index=False)
    raw.iloc[order[cut:]].to_csv(test, index=False)
    return train, test


def column_types(path: Path) -> dict[str, str]:
    """The spec type of each column: ``int`` when every present value is an integer, else ``text``;
    ``?`` appended when the column has missing values."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    types = {}
    for c in raw.columns:
        present = raw[c][raw[c] != MISSING]
        base = "int" if present.str.fullmatch(r"-?\d+").all() else "text"
        types[c] = base + ("?" if len(present) < len(raw) else "")
    return types


def load(path: Path, types: dict[str, str]) -> pd.DataFrame:
    """A CSV as typed columns: numbers as float (NaN when missing), text with MISSING for missing
    (the peers write "?", synthdsl an empty cell)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[MISSING, ""])
    out = {}
    for c, t in types.items():
        col = frame[c] if c in frame else pd.Series([None] * len(frame), dtype=object)
        if t.startswith("int"):
            out[c] = pd.to_numeric(col, errors="coerce").astype(float)
        else:
            out[c] = col.fillna(MISSING).astype(str)
    return pd.DataFrame(out)


def is_numeric(t: str) -> bool:
    return t.startswith("int")


# ---------------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------------


def ident(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f"`{name}`"


# What the spec declares as public knowledge, the same the peers are given: the ranges of the
# numbers (UCI's extraction rules and the Census top codes, as benchmarks/_bayes_peers.py gives MST)
# and the labels of the categories (UCI's adult.names lists them; DataSynthesizer and MST read them
# from the data). Declared facts cost no privacy budget; everything else is learned privately.
PUBLIC_BOUNDS = {
    "age": (17, 90),
    "fnlwgt": (1, 1_500_000),
    "education-num": (1, 16),
    "capital-gain": (0, 99_999),
    "capital-loss": (0, 4_356),
    "hours-per-week": (1, 99),
}


def declaration(column: str, typ: str, labels: dict[str, list[str]]) -> str:
    if is_numeric(typ):
        lo, hi = PUBLIC_BOUNDS.get(column, (None, None))
        return typ + (f" clamp({lo}, {hi})" if lo is not None else "")
    quoted = ", ".join('"' + v.replace('"', '\\"') + '"' for v in labels[column])
    return f"enum({quoted})" + ("?" if typ.endswith("?") else "")


def spec_text(
    train: Path, types: dict[str, str], epsilon: str, rows: int, seed: int, focus: str = TARGET
) -> str:
    cols = ", ".join(ident(c) for c in types)
    privacy = "none" if epsilon == "none" else f"epsilon {float(epsilon)!r}"
    width = max(len(ident(c)) for c in types)
    raw = pd.read_csv(train, dtype=str, keep_default_na=False)
    labels = {c: sorted(set(raw[c]) - {MISSING}) for c in types if not is_numeric(types[c])}
    return "\n".join(
        [
            f"seed {seed}",
            f'dataset adult = csv("{train}", na = "{MISSING}")',
            "model net : bayesnet {",
            f"  learn from adult ({cols})",
            f"  focus {ident(focus)}",
            f"  privacy {privacy}",
            "}",
            "table twin {",
            f"  rows {rows}",
            *(f"  {ident(c).ljust(width)} {declaration(c, t, labels)}" for c, t in types.items()),
            f"  ({cols}) ~ net",
            "}",
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Metrics (written here, small, on purpose: not synthdsl.evaluation)
# ---------------------------------------------------------------------------------------------


def tstr(
    train: pd.DataFrame, test: pd.DataFrame, types: dict[str, str]
) -> tuple[float, float, str]:
    """ROC AUC on ``test`` of a logistic regression and a gradient boosting trained on ``train``:
    one-hot categoricals (missing is a category of its own), standardized numerics."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    y_train = (train[TARGET] == POSITIVE).to_numpy()
    y_test = (test[TARGET] == POSITIVE).to_numpy()
    if y_train.all() or not y_train.any():
        return 0.5, 0.5, f"one class only in the training data ({int(y_train.sum())} positive)"
    features = [c for c in types if c != TARGET]
    numeric = [c for c in features if is_numeric(types[c])]
    categorical = [c for c in features if not is_numeric(types[c])]

    def prep():
        return ColumnTransformer(
            [
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ]
        )

    aucs = []
    for model in (
        LogisticRegression(max_iter=1000),
        HistGradientBoostingClassifier(random_state=0),
    ):
        pipe = make_pipeline(prep(), model).fit(train[features], y_train)
        aucs.append(roc_auc_score(y_test, pipe.predict_proba(test[features])[:, 1]))
    return aucs[0], aucs[1], ""


def column_similarity(real: pd.DataFrame, syn: pd.DataFrame, types: dict[str, str]) -> float:
    """Mean over columns of 1 - KS statistic (numeric) or 1 - total variation (categorical)."""
    from scipy.stats import ks_2samp

    scores = []
    for c, t in types.items():
        if is_numeric(t):
            a, b = real[c].dropna(), syn[c].dropna()
            scores.append(1 - ks_2samp(a, b).statistic if len(a) and len(b) else 0.0)
        else:
            p = real[c].value_counts(normalize=True)
            q = syn[c].value_counts(normalize=True)
            tv = 0.5 * p.subtract(q, fill_value=0).abs().sum()
            scores.append(1 - tv)
    return float(np.mean(scores))


def codes(real: pd.DataFrame, syn: pd.DataFrame, types: dict[str, str]) -> dict[str, tuple]:
    """Each column as integer codes for both frames: categories (missing is one), numerics in 10
    bins at the real column's deciles (missing is a bin of its own)."""
    out = {}
    for c, t in types.items():
        if is_numeric(t):
            edges = np.unique(np.nanquantile(real[c], np.linspace(0, 1, 11))[1:-1])

            def binned(x, edges=edges):
                v = x.to_numpy(dtype=float)
                return np.where(np.isnan(v), len(edges) + 1, np.searchsorted(edges, v, "right"))

            out[c] = (binned(real[c]), binned(syn[c]))
        else:
            cats = pd.Index(sorted(set(real[c]) | set(syn[c])))
            out[c] = (cats.get_indexer(real[c]), cats.get_indexer(syn[c]))
    return out


def cramers_v(x: np.ndarray, y: np.ndarray) -> float:
    """Cramér's V of two code arrays (no continuity correction); 0 when either is constant."""
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    r, k = xi.max() + 1, yi.max() + 1
    if min(r, k) < 2:
        return 0.0
    table = np.bincount(xi * k + yi, minlength=r * k).reshape(r, k).astype(float)
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return math.sqrt(chi2 / n / (min(r, k) - 1))


def pair_similarity(real: pd.DataFrame, syn: pd.DataFrame, types: dict[str, str]) -> float:
    """Mean over all column pairs of 1 - |V(real) - V(synthetic)|, V = Cramér's V."""
    cc = codes(real, syn, types)
    scores = [
        1 - abs(cramers_v(cc[a][0], cc[b][0]) - cramers_v(cc[a][1], cc[b][1]))
        for a, b in itertools.combinations(types, 2)
    ]
    return float(np.mean(scores))


# ---------------------------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One tool at one epsilon and seed."""

    fit_s: float = math.nan
    sample_s: float = math.nan
    lr: float = math.nan
    gb: float = math.nan
    col: float = math.nan
    pair: float = math.nan
    note: str = ""
    error: str = ""


def first_error_line(text: str) -> str:
    """The line that says what went wrong: a traceback's last line, else the first line that is
    not usage help (Typer/Rich boxes stripped)."""
    raw = [ln.strip() for ln in text.splitlines()]
    lines = [ln.strip(" │\t") for ln in raw if not ln.startswith(("╭", "╰"))]  # box rims
    lines = [ln for ln in lines if ln and not ln.startswith(("Usage:", "Try '"))]
    if not lines:
        return "failed (no message)"
    line = lines[-1] if any(ln.startswith("Traceback") for ln in lines) else lines[0]
    return line if len(line) <= 110 else line[:107] + "..."


def child_env() -> dict[str, str]:
    """The environment of a synthdsl child: this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def timed_run(argv: list[str], env: dict | None = None, timeout: float | None = None):
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None
    return time.perf_counter() - t0, proc


def synthdsl_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "synthdsl", *args]


def synthdsl_fit(spec: Path, artifacts: Path) -> tuple[float, str]:
    """Seconds of `synthdsl fit` (the whole child process), and the error line ('' when it ran)."""
    sec, proc = timed_run(
        synthdsl_cli("fit", str(spec), "--artifacts", str(artifacts)), env=child_env()
    )
    if proc is None or proc.returncode != 0:
        return sec, "fit: " + first_error_line((proc.stderr or proc.stdout) if proc else "timeout")
    return sec, ""


def synthdsl_generate(
    spec: Path, artifacts: Path, out: Path, seed: int, rows: int | None = None
) -> tuple[float, str]:
    argv = ["generate", str(spec), "--artifacts", str(artifacts), "--out", str(out)]
    argv += ["--format", "csv", "--seed", str(seed)]
    if rows is not None:
        argv += ["--rows", f"twin={rows}"]
    sec, proc = timed_run(synthdsl_cli(*argv), env=child_env())
    if proc is None or proc.returncode != 0:
        return sec, "generate: " + first_error_line(
            (proc.stderr or proc.stdout) if proc else "timeout"
        )
    return sec, ""


@dataclass
class Bench:
    tmp: Path
    train_csv: Path
    types: dict[str, str]
    train: pd.DataFrame
    test: pd.DataFrame
    peer_categorical: list[str]
    rows: int
    artifacts: dict[str, Path] = field(default_factory=dict)  # epsilon -> first fitted artifacts
    peer_versions: dict[str, str] = field(default_factory=dict)

    def score(self, run: Run, syn_csv: Path) -> Run:
        syn = load(syn_csv, self.types)
        run.lr, run.gb, note = tstr(syn, self.test, self.types)
        run.note = "; ".join(x for x in (run.note, note) if x)
        run.col = column_similarity(self.train, syn, self.types)
        run.pair = pair_similarity(self.train, syn, self.types)
        return run

    def synthdsl(self, epsilon: str, repeat: int) -> Run:
        seed = SPEC_SEED + repeat
        tag = f"synthdsl_{epsilon}_{repeat}"
        spec = self.tmp / f"{tag}.synth"
        spec.write_text(spec_text(self.train_csv, self.types, epsilon, self.rows, seed))
        artifacts, out = self.tmp / f"{tag}_artifacts", self.tmp / f"{tag}_out"
        run = Run()
        run.fit_s, run.error = synthdsl_fit(spec, artifacts)
        if run.error:
            return run
        self.artifacts.setdefault(epsilon, artifacts)
        run.sample_s, run.error = synthdsl_generate(spec, artifacts, out, seed)
        if run.error:
            return run
        got = out / "twin.csv"
        if not got.exists():
            run.error = f"generate wrote no {got.name}"
            return run
        self.score(run, got)
        shutil.rmtree(out, ignore_errors=True)
        return run

    def peer(self, tool: str, epsilon: str, repeat: int) -> Run:
        if tool == "MST" and epsilon == "none":
            return Run(error="n/a (MST has no non-DP mode)")
        if not PEER_PYTHON.exists():
            return Run(error="not installed (make bench)")
        out = self.tmp / f"{PEER_NAMES[tool]}_{epsilon}_{repeat}.csv"
        argv = [str(PEER_PYTHON), str(PEER_SCRIPT), "--peer", PEER_NAMES[tool]]
        argv += ["--epsilon", epsilon, "--train", str(self.train_csv), "--out", str(out)]
        argv += ["--categorical", ",".join(self.peer_categorical), "--rows", str(self.rows)]
        argv += ["--seed", str(repeat)]
        _, proc = timed_run(argv, timeout=PEER_TIMEOUT_S)
        if proc is None:
            return Run(error=f"timed out after {PEER_TIMEOUT_S} s")
        if proc.returncode != 0:
            return Run(error=first_error_line(proc.stderr or proc.stdout))
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        self.peer_versions[tool] = info.get("version", "?")
        run = Run(fit_s=info["fit_s"], sample_s=info["sample_s"])
        self.score(run, out)
        out.unlink(missing_ok=True)
        return run


# ---------------------------------------------------------------------------------------------
# Sampling speed: synthdsl generate vs pgmpy's forward_sample on the same network
# ---------------------------------------------------------------------------------------------


@dataclass
class Speed:
    synthdsl_rate: float = math.nan  # the CLI, end to end (start-up, CSV)
    synthdsl_s: float = math.nan
    states_rate: float = math.nan  # in memory: the network's states, as forward_sample gives
    values_rate: float = math.nan  # in memory: the columns' values (states decoded)
    pgmpy_rate: float = math.nan
    pgmpy_s: float = math.nan
    epsilon: str = ""
    note: str = ""

    @property
    def ratio(self) -> float:
        """Like for like: states sampled in memory, as pgmpy's forward_sample returns them."""
        return self.states_rate / self.pgmpy_rate


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def speed(bench: Bench, epsilons: list[str], repeats: int) -> Speed:
    """synthdsl generate of SPEED_ROWS rows through the CLI (whole child process, best of the
    repeats, at least 2) against pgmpy forward_sample of PGMPY_ROWS rows on the network the engine learned."""
    eps = next((e for e in ("1", *epsilons) if e in bench.artifacts), None)
    result = Speed()
    if eps is None:
        result.note = "no fitted synthdsl network to sample from"
        return result
    result.epsilon = eps
    artifacts = bench.artifacts[eps]
    spec = bench.tmp / f"speed_{eps}.synth"
    spec.write_text(spec_text(bench.train_csv, bench.types, eps, bench.rows, SPEC_SEED))
    secs, notes = [], []
    for i in range(max(2, repeats)):
        out = bench.tmp / f"speed_out_{i}"
        sec, err = synthdsl_generate(spec, artifacts, out, SPEC_SEED + i, rows=SPEED_ROWS)
        shutil.rmtree(out, ignore_errors=True)
        if err:
            notes.append(f"synthdsl {err}")
            break
        secs.append(sec)
    if secs:
        result.synthdsl_s = min(secs)
        result.synthdsl_rate = SPEED_ROWS / result.synthdsl_s
    try:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        import synthdsl
        from synthdsl.steps.model import sampler_for

        loaded = synthdsl.load(spec).use_artifacts(artifacts)
        model_sampler = sampler_for(loaded.plan().models[0])
        rng = np.random.default_rng(0)
        for attr, call in (
            ("states_rate", lambda: model_sampler.network.sample(SPEED_ROWS, {}, rng)),
            ("values_rate", lambda: model_sampler.sample(SPEED_ROWS, {}, rng)),
        ):
            call()  # warm
            best_s = min(_timed(call) for _ in range(max(2, repeats)))
            setattr(result, attr, SPEED_ROWS / best_s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pgmpy's notes on its own modules
            pg = model_sampler.network.to_pgmpy()
    except Exception as exc:  # the engine side is written in parallel: any failure
        notes.append(f"pgmpy: pending (engine API not available: {type(exc).__name__}: {exc})")
    else:
        try:
            with warnings.catch_warnings():  # pgmpy 1.1 warns about its own deprecated modules
                warnings.simplefilter("ignore")
                from pgmpy.sampling import BayesianModelSampling
        except ImportError as exc:
            notes.append(f"pgmpy: not installed ({exc})")
        else:
            sampler = BayesianModelSampling(pg)
            best = math.inf
            for _ in range(max(2, repeats)):
                t0 = time.perf_counter()
                sampler.forward_sample(size=PGMPY_ROWS, show_progress=False)
                best = min(best, time.perf_counter() - t0)
            result.pgmpy_s, result.pgmpy_rate = best, PGMPY_ROWS / best
    result.note = "; ".join(notes)
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def f3(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.3f}"


def f1(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.1f}"


def mean(runs: list[Run], attr: str) -> float:
    vals = [getattr(r, attr) for r in runs if not r.error]
    return float(np.mean(vals)) if vals else math.nan


def best(runs: list[Run], attr: str) -> float:
    vals = [getattr(r, attr) for r in runs if not r.error]
    return min(vals) if vals else math.nan


def summarize(runs: list[Run]) -> dict:
    """Means of the quality figures and best times over the repeats that ran; the first error."""
    ok = [r for r in runs if not r.error]
    notes = sorted({r.note for r in ok if r.note})
    errors = [r.error for r in runs if r.error]
    if errors and not ok:
        notes = [errors[0]]
    elif errors:
        notes.append(f"{len(errors)} of {len(runs)} repeats failed: {errors[0]}")
    return {
        "lr": mean(runs, "lr"),
        "gb": mean(runs, "gb"),
        "col": mean(runs, "col"),
        "pair": mean(runs, "pair"),
        "fit_s": best(runs, "fit_s"),
        "sample_s": best(runs, "sample_s"),
        "ok": len(ok),
        "note": "; ".join(notes),
    }


HEADER = ("tool", "epsilon", "TSTR LR", "TSTR GB", "column sim", "pair sim", "fit s", "sample s")


def markdown(rows: list[tuple[str, ...]], notes: list[str]) -> str:
    head = (*HEADER, "note")
    cells = [head] + [(*r, n) for r, n in zip(rows, notes)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    right = set(range(2, len(HEADER)))

    def line(c):
        return (
            "| "
            + " | ".join(
                v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(c, widths))
            )
            + " |"
        )

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(cells[0]), rule, *(line(c) for c in cells[1:])])


def machine() -> str:
    import scipy
    import sklearn

    try:
        import pgmpy

        pgmpy_version = pgmpy.__version__
    except ImportError:
        pgmpy_version = "not installed"
    proc = subprocess.run(
        synthdsl_cli("--version"), capture_output=True, text=True, env=child_env(), check=False
    )
    synthdsl_version = (proc.stdout.strip() or "?").split()[-1]
    return (
        f"{machine_line()}\n"
        f"versions: python {platform.python_version()}, synthdsl {synthdsl_version} ({ROOT}), "
        f"numpy {np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}, pgmpy {pgmpy_version}"
    )


def check_targets(
    table: dict[tuple[str, str], dict], epsilons: list[str], sp: Speed | None
) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met) for each target of the issue; met is None when the target
    was not checked in this run (the peers left out by --only synthdsl)."""
    out = []
    ours = {e: table.get(("synthdsl", e)) for e in epsilons}

    def measured(e):
        s = ours.get(e)
        return s if s and s["ok"] else None

    ran_peers = any(t != "synthdsl" for t, _ in table)
    for e in epsilons:
        s = measured(e)
        peers = [table.get((t, e)) for t in ("DataSynthesizer", "MST")]
        peers = [p for p in peers if p and p["ok"]]
        for model, key in (("LR", "lr"), ("GB", "gb")):
            name = f"epsilon {e}: TSTR {model} >= best peer's"
            if not ran_peers:
                out.append((name, "not checked (--only synthdsl)", None))
            elif not peers:
                out.append((name, "no peer measured", False))
            elif s is None:
                out.append((name, "synthdsl not measured", False))
            else:
                top = max(p[key] for p in peers)
                out.append((name, f"{s[key]:.3f} vs {top:.3f}", s[key] >= top - 1e-12))
    for e, floor in (("1", TARGET_AUC_EPS1), ("none", TARGET_AUC_NODP)):
        if e not in epsilons:
            continue
        s = measured(e)
        for model, key in (("LR", "lr"), ("GB", "gb")):
            name = f"epsilon {e}: TSTR {model} >= {floor}"
            out.append(
                (name, f"{s[key]:.3f}", s[key] >= floor) if s else (name, "not measured", False)
            )
    if "1" in epsilons:
        s = measured("1")
        name = f"epsilon 1: column similarity > {TARGET_COLSIM_EPS1}"
        out.append(
            (name, f"{s['col']:.3f}", s["col"] > TARGET_COLSIM_EPS1)
            if s
            else (name, "not measured", False)
        )
    name = f"sampling >= {TARGET_SPEEDUP:.0f}x pgmpy's forward_sample"
    if sp is not None and not math.isnan(sp.states_rate) and not math.isnan(sp.pgmpy_rate):
        out.append((name, f"{sp.ratio:.1f}x (states)", sp.ratio >= TARGET_SPEEDUP))
    else:
        out.append((name, "not measured" + (f" ({sp.note})" if sp and sp.note else ""), False))
    fits = [(e, s["fit_s"]) for e in epsilons if (s := measured(e))]
    name = f"fit < {TARGET_FIT_S:.0f} s ({os.cpu_count()} cores)"
    if fits:
        e, worst = max(fits, key=lambda x: x[1])
        out.append((name, f"slowest {worst:.1f} s (epsilon {e})", worst < TARGET_FIT_S))
    else:
        out.append((name, "not measured", False))
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_epsilons(text: str) -> list[str]:
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part != "none":
            value = float(part)  # ValueError for anything else
            if not value > 0:
                raise argparse.ArgumentTypeError(f"epsilon must be > 0 or none, not {part}")
            part = f"{value:g}"
        out.append(part)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="epsilons 1 and none, 1 repeat (smoke)")
    ap.add_argument("--epsilons", type=parse_epsilons, help="comma-separated, e.g. 0.3,1,3,none")
    ap.add_argument("--repeats", type=int, help="seeds per tool and epsilon (default 3; quick 1)")
    ap.add_argument(
        "--only", choices=("synthdsl", "peers"), help="run only synthdsl or only the peers"
    )
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--data", type=Path, default=DATA, help=f"the Adult CSV (default {DATA})")
    ap.add_argument("--json", type=Path, help="also write every run's figures to this JSON file")
    args = ap.parse_args(argv)
    epsilons = args.epsilons or list(QUICK_EPSILONS if args.quick else EPSILONS)
    repeats = args.repeats or (1 if args.quick else 3)
    tools = [
        t for t in TOOLS if args.only is None or (t == "synthdsl") == (args.only == "synthdsl")
    ]
    if not args.data.exists():
        print(f"no data file at {args.data} (give --data)", file=sys.stderr)
        return 2

    started = time.perf_counter()
    print(f"synthdsl bench_bayesnet, {time.strftime('%Y-%m-%d %H:%M')}")
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench_bayesnet_") as tmp_name:
        tmp = Path(tmp_name)
        train_csv, test_csv = split(args.data, tmp)
        types = column_types(args.data)
        train, test = load(train_csv, types), load(test_csv, types)
        peer_categorical = [
            c
            for c, t in types.items()
            if not is_numeric(t) or train[c].nunique() <= CATEGORY_THRESHOLD
        ]
        bench = Bench(tmp, train_csv, types, train, test, peer_categorical, rows=len(train))
        print(
            f"data: {args.data} ({len(train) + len(test):,} rows): train {len(train):,}, "
            f"test {len(test):,} (rows permuted by default_rng({SPLIT_SEED})); synthetic rows "
            f"{len(train):,}; epsilons {', '.join(epsilons)}; {repeats} repeat(s); "
            f"tools {', '.join(tools)}"
        )
        print(
            f"peers: {PEER_PYTHON.relative_to(ROOT)}"
            + ("" if PEER_PYTHON.exists() else " missing (make bench)")
            + f"; categorical for them: {', '.join(peer_categorical)}"
        )

        real = Run(note="trained on the real training set; similarities: test vs train")
        real.lr, real.gb, _ = tstr(train, test, types)
        real.col = column_similarity(train, test, types)
        real.pair = pair_similarity(train, test, types)

        runs: dict[tuple[str, str], list[Run]] = {}
        for e in epsilons:
            for i in range(repeats):
                for tool in tools:  # interleaved: load from other processes hits every tool
                    t0 = time.perf_counter()
                    run = bench.synthdsl(e, i) if tool == "synthdsl" else bench.peer(tool, e, i)
                    runs.setdefault((tool, e), []).append(run)
                    what = run.error or (
                        f"fit {run.fit_s:.1f} s, sample {run.sample_s:.1f} s, "
                        f"TSTR {run.lr:.3f}/{run.gb:.3f}, col {run.col:.3f}, pair {run.pair:.3f}"
                    )
                    print(
                        f"  {tool} epsilon {e} repeat {i + 1}: {what} "
                        f"({time.perf_counter() - t0:.0f} s)",
                        flush=True,
                    )
        sp = speed(bench, epsilons, repeats) if "synthdsl" in tools else None

    table = {k: summarize(v) for k, v in runs.items()}
    rows, notes = (
        [("real", "-", f3(real.lr), f3(real.gb), f3(real.col), f3(real.pair), "-", "-")],
        [real.note],
    )
    for e in epsilons:
        for tool in tools:
            s = table[(tool, e)]
            rows.append(
                (
                    tool,
                    e,
                    f3(s["lr"]),
                    f3(s["gb"]),
                    f3(s["col"]),
                    f3(s["pair"]),
                    f1(s["fit_s"]),
                    f1(s["sample_s"]),
                )
            )
            notes.append(s["note"])
    print()
    print(markdown(rows, notes))
    print()
    print(
        f"TSTR: ROC AUC on the {len(test):,} test rows (label {TARGET} == {POSITIVE}); quality: mean "
        f"over {repeats} repeat(s); times: best, seconds. synthdsl's are whole CLI child processes "
        "(interpreter start and imports included); the peers' exclude their imports "
        f"({', '.join(f'{t} {v}' for t, v in sorted(bench.peer_versions.items())) or 'none ran'})."
    )

    if sp is not None:
        print()
        print(f"sampling speed (network fitted at epsilon {sp.epsilon or '-'}):")
        if not math.isnan(sp.synthdsl_rate):
            print(
                f"  synthdsl generate {SPEED_ROWS:,} rows -> CSV (CLI child): {sp.synthdsl_s:.2f} s"
                f" = {sp.synthdsl_rate:,.0f} rows/s"
            )
        if not math.isnan(sp.states_rate):
            print(
                f"  synthdsl in memory, {SPEED_ROWS:,} rows: network states "
                f"{sp.states_rate:,.0f} rows/s; column values {sp.values_rate:,.0f} rows/s"
            )
        if not math.isnan(sp.pgmpy_rate):
            print(
                f"  pgmpy forward_sample {PGMPY_ROWS:,} rows (in memory, states): {sp.pgmpy_s:.2f} s"
                f" = {sp.pgmpy_rate:,.0f} rows/s"
            )
        if not math.isnan(sp.states_rate) and not math.isnan(sp.pgmpy_rate):
            print(
                f"  ratio, states vs states: {sp.ratio:.1f}x; values vs pgmpy's states: "
                f"{sp.values_rate / sp.pgmpy_rate:.1f}x; the CLI end to end vs pgmpy: "
                f"{sp.synthdsl_rate / sp.pgmpy_rate:.1f}x"
            )
        if sp.note:
            print(f"  {sp.note}")

    missed = False
    print()
    if "synthdsl" not in tools:
        print("targets: not checked (--only peers)")
    else:
        print("targets:")
        for name, got, ok in check_targets(table, epsilons, sp):
            missed |= ok is False
            mark = "-     " if ok is None else "met   " if ok else "MISSED"
            print(f"  {mark}  {name}: {got}")
    if args.json:
        payload = {
            "epsilons": epsilons,
            "repeats": repeats,
            "real": real.__dict__,
            "runs": {f"{t}|{e}": [r.__dict__ for r in v] for (t, e), v in runs.items()},
            "summary": {f"{t}|{e}": s for (t, e), s in table.items()},
            "speed": None
            if sp is None
            else {**sp.__dict__, "ratio": sp.ratio if sp.pgmpy_rate else None},
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"load average at the end: {load_avg}; total {time.perf_counter() - started:.0f} s")
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
