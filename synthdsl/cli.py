"""The ``synthdsl`` command line: check, plan, generate.

Exit codes: 0 success, 1 a spec or data error (printed as a diagnostic, never a traceback), 2 a usage
error (Click's convention), 130 Ctrl-C and 143 SIGTERM (temps removed, no output written). A progress bar appears on long runs when stderr is a terminal.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from synthdsl import __version__
from synthdsl.errors import OptionError, SynthError

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


@app.command()
def check(spec: Annotated[Path, typer.Argument(help="The .synth file.")]) -> None:
    """Parse and check a spec; print every problem at once."""
    try:
        s = _load(spec)
    except SynthError as err:
        _fail(err)
    typer.echo(f"{spec}: ok ({len(s.tables)} table{'s' if len(s.tables) != 1 else ''})")


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
    spec: Annotated[Path, typer.Argument(help="The .synth file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
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
) -> None:
    """Generate every table into OUT (atomically), with card.json beside the data."""
    if format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    row_overrides = _parse_rows(rows or [])
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        s = _load(spec)
        with _progress(s, row_overrides) as advance:
            card = s.write(
                out,
                format=format,
                seed=seed,
                rows=row_overrides,
                chunk_size=chunk_size,
                workers=workers,
                progress=advance,
            )
    except OptionError as err:
        raise typer.BadParameter(err.detail, param_hint="--rows") from None
    except SynthError as err:
        _fail(err)
    except KeyboardInterrupt:
        typer.echo("interrupted: no output was written", err=True)
        raise typer.Exit(130) from None
    except _Terminated:
        typer.echo("terminated: no output was written", err=True)
        raise typer.Exit(143) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = ", ".join(f"{t.name}: {t.rows:,} rows" for t in card.tables)
    typer.echo(f"wrote {out} ({format}; {summary})")


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
            roots = {n: t.rows for n, t in spec.checked.tables.items() if t.parent is None}
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


@app.command()
def evaluate(
    real: Annotated[Path, typer.Option("--real", help="The real table (CSV or Parquet).")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table.")],
    holdout: Annotated[
        Path | None, typer.Option("--holdout", help="Real rows never used for training.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", help="Column to predict.")] = None,
    subgroups: Annotated[
        list[str] | None, typer.Option("--subgroups", help="Column to report utility by.")
    ] = None,
    quasi_identifiers: Annotated[
        list[str] | None, typer.Option("--quasi-identifiers", help="Columns an attacker knows.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the result JSON here.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed for sampling and models.")] = 0,
) -> None:
    """Measure fidelity, utility and privacy of a synthetic table against the real one."""
    from synthdsl.evaluation import evaluate as run_evaluation
    from synthdsl.sinks._atomic import atomic_write_bytes

    def step(name: str) -> None:
        if sys.stderr.isatty():
            typer.echo(f"evaluating {name} ...", err=True)

    try:
        result = run_evaluation(
            real,
            synthetic,
            holdout=holdout,
            target=target,
            subgroups=subgroups or (),
            quasi_identifiers=quasi_identifiers or (),
            seed=seed,
            progress=step,
        )
    except SynthError as err:
        _fail(err)
    text = result.to_json()
    if json_out is not None:
        atomic_write_bytes(json_out, text.encode())
    util = result.utility.get("score")
    util_text = "n/a (no --target)" if util is None else f"{util:.3f}"
    mia = result.privacy.get("membership_inference_auc")
    typer.echo(
        f"fidelity {result.fidelity['score']:.3f}  utility {util_text}  "
        f"privacy {result.privacy['score']:.3f}  exact matches {result.privacy['exact_match_rate']:.2%}"
        + ("" if mia is None else f"  membership AUC {mia:.3f}")
    )


def main() -> None:
    """Entry point for the ``synthdsl`` script and ``python -m synthdsl``."""
    try:
        app()
    except SynthError as err:  # pragma: no cover - commands catch their own
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)
