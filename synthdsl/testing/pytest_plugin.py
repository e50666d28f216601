"""The pytest plugin: ``.synth`` specs in, a test's tables (pandas DataFrames) out.

pytest loads this module through the ``pytest11`` entry point ``synthdsl`` (``-p no:synthdsl`` turns it
off). It provides:

* the ``synth`` fixture, a factory: ``synth("specs/x.synth", rows={"patients": 50})`` returns
  ``dict[str, DataFrame]``;
* the ``synth_seed`` fixture, the seed ``synth`` uses when a call names none;
* the ``@pytest.mark.synth_seeds(n | [seeds])`` marker, which runs a test once per seed;
* the ``--synth-seed N`` option, a base seed mixed into every seed derived from a test id;
* a ``synthdsl`` section in the report of a failing test: per spec the seed, the rows and the
  ``synthdsl generate`` command that writes the same data.

Seeds. By default a test's seed is derived from its node id (sha256 of the base seed and the id, the
first 32 bits): the same test sees the same data on every run, machine and xdist worker, and two tests
(or two parametrized cases) see different data, so a suite of tests over one spec covers more of the
data than one fixed sample would. The spec's own ``seed`` statement therefore does not apply unless
asked for with ``seed="spec"``, which gives exactly what ``synthdsl generate SPEC`` writes (for a
golden file, say). An explicit ``seed=N`` always wins, over the marker too.

This module is imported by every pytest run in an environment that has synthdsl installed, so at
import time it touches only the standard library and pytest: the engine (pandas, numpy, lark) loads
on the first ``synth(...)`` call.
"""

from __future__ import annotations

import hashlib
import operator
import os
import shlex
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

if TYPE_CHECKING:
    import pandas as pd

    from synthdsl.api import Spec

MARKER = "synth_seeds"
SECTION = "synthdsl"
OUT_DIR = "synth-data"
MAX_SEED = 2**63 - 1  # the engine's limit (E111)
DATA_CACHE_ENTRIES = 32
DATA_CACHE_MAX_ROWS = 200_000  # larger results are regenerated rather than kept for the session


def derive_seed(test_id: str, base: int | None = None, index: int | None = None) -> int:
    """A seed in ``[0, 2**32)`` from a test id: the first 4 bytes of a sha256 digest.

    ``base`` is the ``--synth-seed`` of the run; ``index`` numbers the seeds of
    ``@pytest.mark.synth_seeds(n)``. sha256 rather than ``hash()``, which Python salts per process.
    """
    text = test_id if base is None else f"{base}\0{test_id}"
    if index is not None:
        text += f"\0{index}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


# -- options, marker, header -----------------------------------------------------------------------


def _base_seed(value: str) -> int:
    import argparse

    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 0 <= n <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value!r}")
    return n


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("synthdsl", "synthetic data from .synth specs")
    group.addoption(
        "--synth-seed",
        dest="synth_seed",
        type=_base_seed,
        default=None,
        metavar="N",
        help="base seed mixed into every seed the synth fixture derives from a test id "
        "(default: none; the same test gets the same data on every run)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(n_or_seeds): run the test once per seed, with the synth fixture using it: an int "
        "n derives n seeds from the test id, a list gives the seeds (synthdsl)",
    )
    config.stash[_STATE] = _State(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    base = config.getoption("synth_seed")
    if base is None:
        return None
    return f"synthdsl: --synth-seed={base} (mixed into the seeds derived from test ids)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    test_id = metafunc.definition.nodeid
    if "synth_seed" not in metafunc.fixturenames:
        if marker in metafunc.definition.own_markers:
            pytest.fail(
                f"{test_id}: @pytest.mark.{MARKER} needs the test to use the synth fixture "
                "(or synth_seed)",
                pytrace=False,
            )
        return  # a class- or module-wide marker skips the tests that make no data
    seeds = _marker_seeds(marker, test_id, metafunc.config.getoption("synth_seed"))
    metafunc.parametrize("synth_seed", seeds, ids=[f"seed={s}" for s in seeds], indirect=True)


def _marker_seeds(marker: pytest.Mark, test_id: str, base: int | None) -> list[int]:
    usage = (
        f"@pytest.mark.{MARKER} takes one argument: a count (an int >= 1) or a list of distinct "
        f"seeds (ints from 0 to 2**63-1)"
    )
    got = ", ".join([*map(repr, marker.args), *(f"{k}={v!r}" for k, v in marker.kwargs.items())])
    where = f"{test_id}: {usage}; got {MARKER}({got})"
    if len(marker.args) != 1 or marker.kwargs:
        pytest.fail(where, pytrace=False)
    arg = marker.args[0]
    if _is_int(arg):
        if arg < 1:
            pytest.fail(where, pytrace=False)
        return [derive_seed(test_id, base, i) for i in range(arg)]
    if not isinstance(arg, list | tuple | range) or not arg:
        pytest.fail(where, pytrace=False)
    seeds = list(arg)
    if not all(_is_int(s) and 0 <= s <= MAX_SEED for s in seeds) or len(set(seeds)) != len(seeds):
        pytest.fail(where, pytrace=False)
    return seeds


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _whole(x: object) -> int | None:
    """``x`` as an int if it is a whole number (a numpy integer too), not a bool; else None."""
    if isinstance(x, bool):
        return None
    try:
        return operator.index(x)
    except TypeError:
        return None


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def synth_seed(request: pytest.FixtureRequest) -> int:
    """The seed ``synth(...)`` uses in this test when a call names none.

    One of the ``@pytest.mark.synth_seeds`` seeds, or else derived from the test's node id and
    ``--synth-seed``: the same on every run and machine, different from test to test.
    """
    param = getattr(request, "param", None)
    if param is not None:
        return param
    return derive_seed(request.node.nodeid, request.config.getoption("synth_seed"))


@pytest.fixture
def synth(request: pytest.FixtureRequest, synth_seed: int) -> SynthFixture:
    """Generate a spec's tables in a test: ``synth(spec, *, rows=None, seed=None)``.

    See ``SynthFixture.__call__``. When the test fails, its report gets a ``synthdsl`` section
    naming, per call, the spec, the seed, the rows and a command line that writes the same data.
    """
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    if "synth_seed" in params:
        origin = f"@pytest.mark.{MARKER}"
    else:
        base = request.config.getoption("synth_seed")
        origin = "derived from the test id" + (
            f" and --synth-seed={base}" if base is not None else ""
        )
    fixture = SynthFixture(request.config.stash[_STATE], synth_seed, origin)
    request.node.stash[_CALLS] = fixture.calls
    return fixture


class SynthFixture:
    """The value of the ``synth`` fixture: call it with a spec to get the spec's tables.

    Attributes:
        seed: the test's seed, used by every call that names none.
    """

    def __init__(self, state: _State, seed: int, origin: str):
        self._state = state
        self.seed = seed
        self._origin = origin
        self.calls: list[_Call] = []

    def __call__(
        self,
        spec: str | os.PathLike[str] | Spec,
        *,
        rows: Mapping[str, int] | None = None,
        seed: int | Literal["spec"] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Generate every table of ``spec`` as pandas DataFrames keyed by table name.

        Args:
            spec: a ``.synth`` path, relative paths being resolved against pytest's rootdir (the
                directory node ids are relative to, so a suite finds its specs from wherever pytest is
                started), or a ``synthdsl.Spec`` already loaded.
            rows: row counts of root tables, as ``Spec.generate`` takes them; the spec's by default.
            seed: ``None`` (the test's seed, ``synth.seed``), an int, or ``"spec"`` for the spec's own
                ``seed`` statement (the data ``synthdsl generate SPEC`` writes).

        Each call returns fresh DataFrames: a test may modify them without affecting another test,
        even when the data came from the session's cache.

        A spec error or a failed run fails the test with the diagnostic (``file:line:col``, the line
        and a caret) rather than a traceback.
        """
        if not isinstance(spec, str | os.PathLike) and not _is_spec(spec):
            raise TypeError(
                f"synth(spec) takes a .synth path (str or os.PathLike) or a synthdsl.Spec, "
                f"got {type(spec).__name__}"
            )
        if rows is not None and not isinstance(rows, Mapping):
            raise TypeError(f"synth(rows=...) takes a mapping of table name to count, got {rows!r}")
        if seed is not None and not (isinstance(seed, str) and seed == "spec"):
            whole = _whole(seed)
            if whole is None or not 0 <= whole <= MAX_SEED:
                raise ValueError(
                    f'synth(seed=...) takes None, "spec" or a whole number from 0 to 2**63-1, '
                    f"got {seed!r}"
                )
            seed = whole
        from synthdsl.errors import OptionError, SynthError

        label = _label(spec)
        try:
            loaded = spec if _is_spec(spec) else self._state.load(Path(spec))
        except SynthError as err:
            problem = f"synth({label}): the spec could not be loaded\n{err.render()}"
        else:
            problem = None
        if problem is not None:  # failed outside the except block: no chained traceback
            pytest.fail(problem, pytrace=False)
        if seed is None:
            used, origin = self.seed, self._origin
        elif seed == "spec":
            used, origin = loaded.seed, 'the spec\'s seed statement (seed="spec")'
        else:
            used, origin = seed, "given to synth(seed=...)"
        rows = dict(rows) if rows is not None else None
        call = _Call(_spec_path(loaded), used, origin, rows)
        if call not in self.calls:
            self.calls.append(call)
        try:
            return self._state.generate(loaded, used, rows)
        except OptionError as err:  # a bad rows= entry: nothing to regenerate
            self.calls.remove(call)
            problem = f"synth({label}): {err}"
        except SynthError as err:  # the run failed: the report's command repeats the failure
            problem = f"synth({label}) failed with seed {used}\n{err.render()}"
        pytest.fail(problem, pytrace=False)

    def __repr__(self) -> str:
        return f"<synth fixture seed={self.seed}>"


def _is_spec(obj: object) -> bool:
    # Without importing synthdsl.api (and pandas): a Spec exists only once that module is loaded.
    api = sys.modules.get("synthdsl.api")
    return api is not None and isinstance(obj, api.Spec)


def _label(spec: object) -> str:
    if _is_spec(spec):
        return f"<Spec {spec.checked.path}>"
    return repr(os.fspath(spec))


def _spec_path(spec: Spec) -> Path | None:
    path = spec.checked.path
    return None if path.startswith("<") else Path(path)


# -- session state: loaded specs and recent results ------------------------------------------------


class _State:
    """Per session (per xdist worker): loaded specs and recently generated tables."""

    def __init__(self, config: pytest.Config):
        self.rootdir = Path(config.rootpath)
        self.invocation_dir = Path(config.invocation_params.dir)
        self.specs: dict[Path, tuple[Spec, tuple]] = {}
        self.data: OrderedDict[tuple, tuple[Spec, dict[str, pd.DataFrame]]] = OrderedDict()

    def load(self, path: Path) -> Spec:
        """The spec at ``path``, parsed and checked once per session while its files are unchanged."""
        import synthdsl

        path = self.rootdir / path  # an absolute path stays as it is
        cached = self.specs.get(path)
        if cached is not None and cached[1] == _stamp(cached[0]):
            return cached[0]
        if not path.is_file():
            from synthdsl.errors import SynthError

            raise SynthError(
                f"spec file not found: {path} (a relative path is resolved against the rootdir, "
                f"{self.rootdir})"
            )
        spec = synthdsl.load(path)
        self.specs[path] = (spec, _stamp(spec))
        return spec

    def generate(
        self, spec: Spec, seed: int, rows: dict[str, int] | None
    ) -> dict[str, pd.DataFrame]:
        """Tables for ``(spec, seed, rows)``, from a small LRU cache when possible, always copied.

        The cache is keyed by the ``Spec`` object (a spec file reloaded after an edit, of itself or
        of a dataset, is a new object), which each entry keeps alive so that its id stays unique.
        """
        key = (id(spec), seed, tuple(sorted((rows or {}).items())))
        hit = self.data.get(key)
        if hit is not None:
            self.data.move_to_end(key)
            frames = hit[1]
        else:
            frames = spec.generate(seed=seed, rows=rows)
            if sum(len(df) for df in frames.values()) <= DATA_CACHE_MAX_ROWS:
                self.data[key] = (spec, frames)
                while len(self.data) > DATA_CACHE_ENTRIES:
                    self.data.popitem(last=False)
        return {name: df.copy(deep=True) for name, df in frames.items()}


def _stamp(spec: Spec) -> tuple:
    """Size and mtime of the files a spec was read from: itself, its imports, its datasets."""
    stamp = []
    for path in [*spec.checked.sources, *(d.path for d in spec.checked.datasets.values())]:
        try:
            st = os.stat(path)
        except OSError:
            stamp.append((path, None, None))
        else:
            stamp.append((path, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


_STATE = pytest.StashKey[_State]()


# -- the failure report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """One ``synth(...)`` call of a test, as the failure report describes it."""

    path: Path | None
    seed: int
    origin: str
    rows: dict[str, int] | None

    def describe(self, invocation_dir: Path) -> str:
        rows = ", ".join(f"{t}={n}" for t, n in self.rows.items()) if self.rows else ""
        lines = [
            f"spec: {self._shown(invocation_dir) if self.path else 'loaded from text (no file)'}",
            f"seed: {self.seed} ({self.origin})",
            f"rows: {rows or 'as in the spec'}",
        ]
        if self.path is None:
            lines.append("regenerate: not available for a spec loaded from text (synthdsl.loads)")
        else:
            args = ["synthdsl", "generate", self._shown(invocation_dir), "--out", OUT_DIR]
            args += ["--seed", str(self.seed)]
            for t, n in (self.rows or {}).items():
                args += ["--rows", f"{t}={n}"]
            lines.append(f"regenerate: {shlex.join(args)}")
        return "\n".join(lines)

    def _shown(self, invocation_dir: Path) -> str:
        """The path as typed from the directory pytest was started in (absolute when outside it)."""
        assert self.path is not None
        try:
            return str(self.path.resolve().relative_to(invocation_dir.resolve()))
        except ValueError:
            return str(self.path.resolve())


_CALLS = pytest.StashKey[list[_Call]]()


@pytest.hookimpl(hookwrapper=True)  # old-style: new-style wrappers need pluggy >= 1.2
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    calls = item.stash.get(_CALLS, None)
    if calls and report.failed:
        where = item.config.stash[_STATE].invocation_dir
        text = "\n\n".join(c.describe(where) for c in calls)
        report.sections.append((SECTION, text + "\n"))
