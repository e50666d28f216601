"""File checks for the checker: ``import "x.synth"`` and ``dataset NAME = csv("path")``.

Input: the statement and the folder of the file that names it. Output: the imported module loaded into
the checker (tables and datasets shared), or the dataset read and typed; problems recorded through
``Checker.fail``. Kept apart from ``checker.py`` only for size.
"""

from __future__ import annotations

from pathlib import Path

from synthdsl.errors import SpecError, did_you_mean
from synthdsl.expr.datasets import FORMATS
from synthdsl.expr.datasets import load as load_dataset
from synthdsl.source import SourceFile
from synthdsl.syntax import ast
from synthdsl.syntax.parse import parse


class FileChecks:
    """Mixin of ``Checker``: uses its ``fail``, ``sources``, ``datasets``, ``broken``, ``diags`` and
    ``load_module``."""

    def import_(self, st: ast.Import, base: Path, stack: tuple[str, ...]) -> None:
        path = _resolve(base, st.path)
        if isinstance(path, str):
            self.fail("E114", f"cannot import '{printable(st.path)}': {path}", st)
            return
        if str(path) in stack:
            chain = " -> ".join(Path(p).name for p in (*stack, str(path)))
            self.fail("E113", f"import cycle: {chain}", st)
            return
        if str(path) in self.sources:
            return
        if file_problem(path) is not None:
            self.fail("E114", f"cannot import '{st.path}': no such file ({path})", st)
            return
        rel = _display_path(path)
        source = SourceFile(rel, path.read_text(encoding="utf-8"))
        self.sources[str(path)] = source.text
        try:
            module = parse(source)
        except SpecError as err:
            self.diags.extend(err.diagnostics)
            return
        self.load_module(module, (*stack, str(path)), main=False)

    def dataset(self, st: ast.Dataset, base: Path) -> None:
        if st.name in self.datasets:
            self.fail("E130", f"dataset '{st.name}' is declared twice", st)
            return
        self.broken.add(st.name)  # until it loads
        if st.format not in FORMATS:
            self.fail(
                "E131",
                f"unknown dataset format '{st.format}'",
                st,
                did_you_mean(st.format, FORMATS)
                or 'use csv("file.csv") or parquet("file.parquet")',
            )
            return
        if not st.path:
            self.fail(
                "E132", f'{st.format}() needs a file path string: {st.format}("data.csv")', st
            )
            return
        options: dict[str, object] = {}
        for k in st.options:
            if k.name not in ("sep", "na"):
                self.fail("E133", f"unknown dataset option '{k.name}'", k, "options: sep, na")
                continue
            if not isinstance(k.value, ast.String):
                self.fail("E133", f"dataset option '{k.name}' must be a string", k)
                continue
            options[k.name] = k.value.value
        path = _resolve(base, st.path)
        if isinstance(path, str):
            self.fail(
                "E134", f"dataset '{printable(st.path)}' is {path}", st.args[0] if st.args else st
            )
            return
        what = file_problem(path)
        if what is not None:
            self.fail(
                "E134",
                f"dataset file not found: '{st.path}' (looked in {path.parent})"
                if what == NOT_FOUND
                else f"dataset '{st.path}' is {what}, not a data file",
                st.args[0] if st.args else st,
            )
            return
        try:
            self.datasets[st.name] = load_dataset(st.name, st.format, path, options)
            self.broken.discard(st.name)
        except ValueError as exc:
            self.fail("E135", str(exc), st.args[0] if st.args else st)


NOT_FOUND = "not found"


def _resolve(base: Path, name: str) -> Path | str:
    """The absolute path of ``name``, or what is wrong with it: a NUL byte inside the string made
    ``Path.resolve`` raise ``ValueError: embedded null byte`` (found by the fuzzer)."""
    if "\0" in name:
        return "a path the system refuses (it holds a NUL character)"
    try:
        return (base / name).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        return f"a path the system refuses ({exc})"


def printable(name: str) -> str:
    """``name`` with control characters written as escapes, for a message on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def file_problem(path: Path) -> str | None:
    """None for a regular file; else what the path is: ``NOT_FOUND``, a directory, ...

    ``Path.is_file`` raises on some paths instead of answering (a name longer than the file system
    allows raises ``OSError: File name too long``), and a FIFO would block a reader forever.
    """
    try:
        if path.is_file():
            return None
        if path.is_dir():
            return "a directory"
        if path.exists():  # a FIFO, a socket, a device: reading it could block forever
            return "not a regular file (a pipe, socket or device)"
    except OSError as exc:
        return f"a path the system refuses ({exc.strerror or exc})"
    return NOT_FOUND


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
