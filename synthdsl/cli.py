"""The ``synthdsl`` command line: check, plan, generate, evaluate.

Exit codes: 0 success, 1 a spec or data error (printed as a diagnostic, never a traceback) or
stale fixtures (``generate --check``), 2 a usage error (Click's convention), 130 Ctrl-C and 143 SIGTERM (temps removed, no output written). A progress bar appears on long runs when stderr is a terminal.
"""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from synthdsl import __version__
from synthdsl.errors import DataError, OptionError, SynthError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Generate synthetic data from .synth specs.",
    pretty_exceptions_enable=False,
)

FORMATS = ("csv", "jsonl", "parquet", "sqlite")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synthdsl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """synthdsl: a declarative language for synthetic data."""


def _fail(err: SynthError) -> None:
    text = err.render()  # with path:line:col and a caret when the error is tied to the spec
    typer.echo(text, err=True)
    raise typer.Exit(1)


def _load(spec: Path):
    import synthdsl

    return synthdsl.load(spec)


def _load_plan(path: Path):
    from synthdsl.api import load_plan

    return load_plan(path)


@app.command()
def check(spec: Annotated[Path, typer.Argument(help="The .synth file.")]) -> None:
    """Parse and check a spec; print every problem at once."""
    from synthdsl._check_command import check_file  # as the script's fast path answers

    code = check_file(spec)
    if code:
        raise typer.Exit(code)


@app.command()
def plan(
    spec: Annotated[Path, typer.Argument(help="The .synth file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Print the execution plan: steps in order and how each rule is enforced."""
    try:
        p = _load(spec).plan()
    except SynthError as err:
        _fail(err)
    typer.echo(p.model_dump_json(indent=2) if as_json else p.to_text())


ArtifactsOption = Annotated[
    Path | None,
    typer.Option(
        "--artifacts",
        help="Folder of the fitted models' artifacts (default: .synthdsl/models beside the spec).",
    ),
]


@app.command()
def fit(
    spec: Annotated[Path, typer.Argument(help="The .synth file.")],
    artifacts: ArtifactsOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Fit again even when the artifact is current or stale."),
    ] = False,
) -> None:
    """Learn every model of a spec from its dataset and write one artifact per model."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        s = _load(spec)
        if artifacts is not None:
            s.use_artifacts(artifacts)
        models = s.plan().models
        if not models:
            typer.echo(f"{spec} has no models: nothing to fit")
            return
        with _fit_progress() as progress:
            done = s.fit(force=force, progress=progress)
    except SynthError as err:
        _fail(err)
    except KeyboardInterrupt:
        typer.echo("interrupted: no artifact was written for the model being fitted", err=True)
        raise typer.Exit(130) from None
    except _Terminated:
        typer.echo("terminated: no artifact was written for the model being fitted", err=True)
        raise typer.Exit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    for m in models:
        if m.dataset is None:
            typer.echo(f"{m.name}: declared in the spec, nothing to fit")
            continue
        privacy = (
            "privacy none (NOT differentially private)"
            if m.epsilon is None
            else f"epsilon {m.epsilon:g}" + (f", delta {m.delta:g}" if m.delta else "")
        )
        typer.echo(f"{m.name}: {done[m.name]} -> {m.artifact}  [{m.kind}; {privacy}]")
        line = _training_line(m) if done[m.name] == "fitted" else ""
        if line:
            typer.echo(line)


def _training_line(m) -> str:
    """What a neural model's training did (empty for other kinds): epochs, the device (a GPU is
    used when torch sees one), and what DP-SGD's accountant spent."""
    from synthdsl.models import artifacts

    try:
        t = artifacts.load_doc(m).get("report", {}).get("training")
    except SynthError:
        return ""
    if not isinstance(t, dict):
        return ""
    line = f"  trained {t.get('epochs')} epochs ({t.get('steps')} steps) on {t.get('device')}"
    if t.get("epsilon_spent") is not None:
        line += (
            f"; DP-SGD noise multiplier {t['noise_multiplier']:.3g}, the accountant spent "
            f"epsilon {t['epsilon_spent']:.3g}"
        )
    return line


class _fit_progress:
    """A progress bar per model while fitting (on a terminal)."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("fitting {task.fields[model]}"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=True,
        )
        self.bar.start()
        self.tasks: dict[str, object] = {}

        def advance(model: str, what: str, done: float) -> None:
            if model not in self.tasks:
                self.tasks[model] = self.bar.add_task(what, total=1.0, model=model)
            self.bar.update(self.tasks[model], completed=done, description=what)

        return advance

    def __exit__(self, *exc) -> None:
        if hasattr(self, "bar"):
            self.bar.stop()


def _parse_rows(items: list[str]) -> dict[str, int]:
    rows = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value.replace("_", "").isdigit():
            raise typer.BadParameter(f"expected TABLE=N, got '{item}'", param_hint="--rows")
        rows[name] = int(value.replace("_", ""))
    return rows


@app.command()
def generate(
    spec: Annotated[
        Path | None, typer.Argument(help="The .synth file (or give --plan instead).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory.")] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Run a plan written by `synthdsl plan SPEC --json` instead of a spec: no spec "
            "file needed; datasets are checked against the plan's sha256.",
        ),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="csv, jsonl, parquet or sqlite.")
    ] = "csv",
    seed: Annotated[int | None, typer.Option(help="Override the spec's seed.", min=0)] = None,
    rows: Annotated[
        list[str] | None, typer.Option("--rows", help="Row count override TABLE=N (repeatable).")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Rows per chunk.")
    ] = 131_072,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    artifacts: ArtifactsOption = None,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing: compare OUT with what would be written; exit 1 if it differs.",
        ),
    ] = False,
) -> None:
    """Generate every table into OUT (atomically), with card.json beside the data."""
    if (spec is None) == (plan_file is None):
        raise typer.BadParameter("give a SPEC file or --plan PLAN.json (one of them)")
    if out is None:
        raise typer.BadParameter("an output directory is needed", param_hint="--out")
    if format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    row_overrides = _parse_rows(rows or [])
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        s = _load(spec) if plan_file is None else _load_plan(plan_file)
        if artifacts is not None:
            s.use_artifacts(artifacts)
        run = s.check_fixtures if check_only else s.write
        with _progress(s, row_overrides) as advance:
            result = run(
                out,
                format=format,
                seed=seed,
                rows=row_overrides,
                chunk_size=chunk_size,
                workers=workers,
                progress=advance,
            )
    except OptionError as err:
        hint = "--seed" if err.option == "seed=" else "--rows"
        raise typer.BadParameter(err.detail, param_hint=hint) from None
    except SynthError as err:
        _fail(err)
    except KeyboardInterrupt as exc:
        typer.echo(_stopped("interrupted", exc, out), err=True)
        raise typer.Exit(130) from None
    except _Terminated as exc:
        typer.echo(_stopped("terminated", exc, out), err=True)
        raise typer.Exit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    if check_only:
        source = [str(spec)] if plan_file is None else ["--plan", str(plan_file)]
        update = ["synthdsl", "generate", *source, "--out", str(out)]
        update += ["--format", format] if format != "csv" else []
        update += ["--seed", str(seed)] if seed is not None else []
        update += [arg for item in rows or [] for arg in ("--rows", item)]
        typer.echo(result.render(update=shlex.join(update)))
        raise typer.Exit(0 if result.ok else 1)
    summary = ", ".join(f"{t.name}: {t.rows:,} rows" for t in result.tables)
    typer.echo(f"wrote {out} ({format}; {summary})")


def _stopped(how: str, exc: BaseException, out) -> str:
    if getattr(exc, "output_complete", False):  # the signal came while the files were renamed
        return f"{how} after the output was complete: {out} holds all of this run's files"
    return f"{how}: no output was written"


class _Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so the sink deletes its temps before the exit."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated()


class _progress:
    """A rich progress bar on a terminal; nothing otherwise (CI logs stay clean)."""

    def __init__(self, spec, rows: dict[str, int]):
        self.enabled = sys.stderr.isatty()
        self.total = None
        if self.enabled:
            # Progress counts rows of root tables: their totals are known before the run.
            roots = {t.name: t.rows for t in spec.plan().tables if t.parent is None}
            roots.update({n: r for n, r in rows.items() if n in roots})
            self.total = sum(r or 0 for r in roots.values()) or None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("generating"),
            BarColumn(),
            TextColumn("{task.completed:,} root rows"),
            TimeRemainingColumn(),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("rows", total=self.total)
        return lambda n: self.bar.advance(self.task, n)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()


def _parse_kinds(items: list[str]) -> dict[str, str]:
    kinds = {}
    for item in items:
        name, sep, kind = item.partition("=")
        if not sep or not name or kind not in ("numeric", "categorical"):
            raise typer.BadParameter(
                f"expected COLUMN=numeric or COLUMN=categorical, got '{item}'", param_hint="--kind"
            )
        kinds[name] = kind
    return kinds


STAGES = ("loading", "fidelity", "utility", "privacy attacks", "privacy")


@app.command()
def evaluate(
    real: Annotated[Path, typer.Option("--real", help="The real table (CSV or Parquet).")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table.")],
    holdout: Annotated[
        Path | None,
        typer.Option("--holdout", help="Real rows the generator never saw (test and control set)."),
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Column to predict.")] = None,
    subgroups: Annotated[
        list[str] | None,
        typer.Option("--subgroups", help="Report utility per value of this column (repeatable)."),
    ] = None,
    quasi_identifiers: Annotated[
        list[str] | None,
        typer.Option("--quasi-identifiers", help="A column an attacker knows (repeatable)."),
    ] = None,
    sensitive: Annotated[
        list[str] | None,
        typer.Option("--sensitive", help="A column the inference attack guesses (repeatable)."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Override a column's kind: COLUMN=numeric|categorical."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the HTML report here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the result JSON here.")
    ] = None,
    card: Annotated[
        Path | None,
        typer.Option(
            "--card",
            help="The card.json of the synthetic data: its privacy budget is reported and the "
            "evaluation is added to it (and to card.md). Found beside --synthetic when omitted.",
        ),
    ] = None,
    attacks: Annotated[
        bool,
        typer.Option(
            "--attacks/--no-attacks", help="Run anonymeter's singling-out/linkability/inference."
        ),
    ] = True,
    seed: Annotated[int, typer.Option(min=0, help="Seed for sampling and models.")] = 0,
) -> None:
    """Measure fidelity, utility and privacy of a synthetic table against the real one."""
    import warnings

    from synthdsl.evaluation import evaluate as run_evaluation
    from synthdsl.evaluation import withheld
    from synthdsl.sinks._atomic import atomic_write_bytes

    kinds = _parse_kinds(kind or [])
    try:
        # Checked before the evaluation (which takes a while) rather than found when writing.
        for path, option in ((json_out, "--json"), (report, "--report")):
            if path is not None:
                _check_output_file(path, option)
        # The evaluation records library warnings itself; this also keeps the report's and the
        # card's (matplotlib, pandas) off the terminal.
        with _stages() as step, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run_evaluation(
                real,
                synthetic,
                holdout=holdout,
                target=target,
                subgroups=subgroups or (),
                quasi_identifiers=quasi_identifiers or (),
                sensitive=sensitive or (),
                kinds=kinds,
                card=card,
                attacks=attacks,
                seed=seed,
                progress=step,
            )
            if json_out is not None:
                atomic_write_bytes(json_out, result.to_json().encode())
            if report is not None:
                from synthdsl.evaluation.report import write_report

                step("report")
                write_report(report, result)
            card_path = result.settings.get("card")
            if card_path is not None:
                _attach(Path(card_path), result, real, report, json_out)
    except SynthError as err:
        _fail(err)
    except OSError as err:  # a disk full, a folder removed or made read-only meanwhile
        _fail(DataError(f"{err.filename or 'output'}: {err.strerror or err}"))
    typer.echo(_summary_line(result))
    for note in [*(result.settings.get("notes") or ()), *(result.utility.get("notes") or ())]:
        typer.echo(f"note: {note}")
    by_reason: dict[str, list[str]] = {}
    for figure, reason in withheld(result):
        by_reason.setdefault(reason, []).append(figure)
    for reason, figures in by_reason.items():
        typer.echo(f"withheld {', '.join(figures)}: {reason}")
    for path, what in (
        (json_out, "JSON"),
        (report, "report"),
        (result.settings.get("card"), "card"),
    ):
        if path is not None:
            typer.echo(f"wrote {what}: {path}")


def _check_output_file(path: Path, option: str) -> None:
    """A file evaluate will write must go into an existing folder, and not be a folder itself."""
    folder = path.parent
    if path.is_dir():
        raise DataError(f"{option} {path} is a folder; give a file name")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DataError(f"cannot write {option} {path}: the folder {folder} {what}")


def _summary_line(result) -> str:
    priv = result.privacy
    parts = [
        f"fidelity {result.fidelity['score']:.3f}",
        _utility_part(result),
        f"privacy {priv['score']:.3f}",
        f"exact matches {priv['exact_match_rate']:.2%}",
    ]
    if priv.get("membership_inference_auc") is not None:
        parts.append(f"membership AUC {priv['membership_inference_auc']:.3f}")
    elif "membership_inference_auc" in (priv.get("withheld") or {}):
        parts.append("membership AUC withheld")
    for key, label in (
        ("singling_out_risk", "singling out"),
        ("linkability_risk", "linkability"),
        ("inference_risk", "inference"),
    ):
        if priv.get(key) is not None:
            parts.append(f"{label} risk {priv[key]:.3f}")
    return "  ".join(parts)


def _utility_part(result) -> str:
    util = result.utility.get("score")
    if result.utility.get("withheld"):
        return "utility withheld"
    if util is None:
        return "utility n/a" + (" (no --target)" if result.settings.get("target") is None else "")
    return f"utility {util:.3f}"


def _attach(card_path: Path, result, real: Path, report: Path | None, json_out: Path | None):
    """Add the evaluation summary to card.json and card.md beside the synthetic data."""
    import os

    from synthdsl.card.build import attach_evaluation, file_sha256, summarize_evaluation

    def rel(p: Path | None) -> str | None:
        return None if p is None else os.path.relpath(p, card_path.parent)

    summary = summarize_evaluation(
        result.model_dump(),
        report=rel(report),
        json_name=rel(json_out),
        real_sha256=file_sha256(real),
    )
    attach_evaluation(card_path, summary)


class _stages:
    """Evaluation stages as a rich progress bar on a terminal; nothing otherwise."""

    def __init__(self):
        self.enabled = sys.stderr.isatty()

    def __enter__(self):
        if not self.enabled:
            return lambda _name: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("evaluating: {task.description:<16}"),
            BarColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("", total=len(STAGES) + 1)

        def step(name: str) -> None:
            self.bar.update(self.task, description=name, completed=_stage_index(name))

        return step

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()


def _stage_index(name: str) -> int:
    return STAGES.index(name) if name in STAGES else len(STAGES)


def main() -> None:
    """Entry point for the ``synthdsl`` script and ``python -m synthdsl``."""
    try:
        app()
    except SynthError as err:  # pragma: no cover - commands catch their own
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)
