"""The pytest plugin, driven through ``pytester``: each test writes a tiny spec and a test file into a
temp project, runs pytest on it in-process (the plugin comes from the ``pytest11`` entry point, with
no conftest) and checks the outcomes, the test ids and the report text."""

from __future__ import annotations

import importlib.metadata
import shlex
import subprocess
import sys

import pandas as pd
import pytest

import synthdsl
from synthdsl.testing.pytest_plugin import derive_seed

pytest_plugins = ["pytester"]

SPEC = """\
seed 11

table patients {
  rows 20
  id    int  = serial() key
  age   int  ~ uniform(0, 99)
  sex   text ~ categorical("F": 0.5, "M": 0.5)
  name  text = faker.first_name()
}

table visits {
  rows per patients ~ uniform(1, 3)
  patient_id int  = ref patients.id
  reason     text ~ categorical(["checkup", "acute"])
}
"""

# Flags for every inner run: no cache directory; no Hypothesis plugin, whose summary re-imports
# Hypothesis in every in-process run (pytester restores sys.modules after each) for seconds.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@pytest.fixture(scope="module", autouse=True)
def _engine_loaded():
    # In-process runs restore sys.modules afterwards: import the engine (pandas, numpy, Faker) out
    # here first, so each inner run reuses it instead of importing C extensions anew.
    synthdsl.loads(SPEC).generate(rows={"patients": 2})


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A temp project holding ``specs/tiny.synth``; plugins load from entry points as installed."""
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("PYTEST_PLUGINS", raising=False)
    (pytester.path / "specs").mkdir()
    (pytester.path / "specs" / "tiny.synth").write_text(SPEC)
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(*QUIET, *args)


def read_dumps(project: pytest.Pytester) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((project.path / "dumps").glob("*"))}


DUMP = """
import pathlib

def dump(name, frames, seed):
    out = pathlib.Path("dumps")
    out.mkdir(exist_ok=True)
    (out / f"{name}.seed").write_text(str(seed))
    for table, df in frames.items():
        df.to_csv(out / f"{name}.{table}.csv", index=False)
"""


def test_fixture_returns_the_tables_with_the_requested_rows(project):
    project.makepyfile(
        test_rows="""
        import pandas as pd

        def test_rows(synth):
            frames = synth("specs/tiny.synth", rows={"patients": 50})
            assert set(frames) == {"patients", "visits"}
            patients = frames["patients"]
            assert isinstance(patients, pd.DataFrame)
            assert len(patients) == 50 and list(patients.columns) == ["id", "age", "sex", "name"]
            assert set(frames["visits"].patient_id) <= set(patients.id)

        def test_spec_rows_by_default(synth):
            assert len(synth("specs/tiny.synth")["patients"]) == 20
        """
    )
    run(project).assert_outcomes(passed=2)


def test_plugin_loads_through_the_pytest11_entry_point(project):
    eps = importlib.metadata.entry_points(group="pytest11")
    assert {(e.name, e.value) for e in eps} >= {("synthdsl", "synthdsl.testing.pytest_plugin")}
    project.makepyfile(test_ep="def test_ep(synth):\n    synth('specs/tiny.synth')\n")
    result = run(project, "--trace-config")
    result.stdout.fnmatch_lines_random(
        [
            "PLUGIN registered: <module 'synthdsl.testing.pytest_plugin' from *>",
            "plugins: *synthdsl-*",
        ]
    )
    result.assert_outcomes(passed=1)
    off = run(project, "-p", "no:synthdsl")
    off.stdout.fnmatch_lines(["*fixture 'synth' not found*"])
    off.assert_outcomes(errors=1)


def test_plugin_module_imports_no_engine():
    # It loads in every pytest run of any project with synthdsl installed.
    code = (
        "import sys, synthdsl.testing.pytest_plugin;"
        "print([m for m in ('pandas', 'numpy', 'pyarrow', 'lark', 'synthdsl.api', 'synthdsl.errors')"
        " if m in sys.modules])"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_seed_derivation_is_pinned():
    # Changing the derivation changes every user's fixture data: it must stay as it is.
    assert derive_seed("tests/test_x.py::test_a") == 1028201537
    assert derive_seed("tests/test_x.py::test_a", base=7) == 2604397167
    assert derive_seed("tests/test_x.py::test_a", index=0) == 536542487
    assert len({derive_seed(f"t.py::test_{i}") for i in range(1000)}) == 1000


def test_same_test_id_same_data_on_every_run_and_different_tests_differ(project):
    project.makepyfile(
        test_ids=DUMP
        + """
import pytest

def test_a(synth):
    dump("a", synth("specs/tiny.synth"), synth.seed)

def test_b(synth):
    dump("b", synth("specs/tiny.synth"), synth.seed)

@pytest.mark.parametrize("case", ["x", "y"])
def test_p(synth, case):
    dump(f"p-{case}", synth("specs/tiny.synth"), synth.seed)
"""
    )
    run(project).assert_outcomes(passed=4)
    first = read_dumps(project)
    project.runpytest_subprocess(*QUIET).assert_outcomes(passed=4)  # another process, same ids
    assert read_dumps(project) == first
    seeds = {n.removesuffix(".seed"): int(t) for n, t in first.items() if n.endswith(".seed")}
    assert seeds == {
        "a": derive_seed("test_ids.py::test_a"),
        "b": derive_seed("test_ids.py::test_b"),
        "p-x": derive_seed("test_ids.py::test_p[x]"),
        "p-y": derive_seed("test_ids.py::test_p[y]"),
    }
    assert len(set(seeds.values())) == 4
    assert first["a.patients.csv"] != first["b.patients.csv"]
    assert first["p-x.patients.csv"] != first["p-y.patients.csv"]


def test_base_seed_option_changes_every_derived_seed_and_shows_in_the_header(project):
    project.makepyfile(
        test_base=DUMP
        + "\ndef test_a(synth):\n    dump('a', synth('specs/tiny.synth'), synth.seed)\n"
    )
    result = run(project, "--synth-seed", "7")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["synthdsl: --synth-seed=7 *"])
    assert read_dumps(project)["a.seed"] == str(derive_seed("test_base.py::test_a", base=7))
    assert "synthdsl:" not in run(project).stdout.str()  # no header line without the option
    bad = run(project, "--synth-seed", "-3")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--synth-seed*expected a whole number >= 0, got '-3'*"])


def test_explicit_seed_wins_and_seed_spec_is_the_spec_statement(project):
    expected = synthdsl.load(project.path / "specs" / "tiny.synth").generate(seed=5)
    by_spec = synthdsl.load(project.path / "specs" / "tiny.synth").generate()
    project.makepyfile(
        test_explicit=DUMP
        + """
import pytest

@pytest.mark.synth_seeds([1, 2])
def test_marked(synth):
    dump(f"marked-{synth.seed}", synth("specs/tiny.synth", seed=5), 5)

def test_spec(synth):
    dump("spec", synth("specs/tiny.synth", seed="spec"), 11)
"""
    )
    run(project).assert_outcomes(passed=3)
    dumps = read_dumps(project)
    want = expected["patients"].to_csv(index=False)
    assert dumps["marked-1.patients.csv"] == dumps["marked-2.patients.csv"] == want
    assert dumps["spec.patients.csv"] == by_spec["patients"].to_csv(index=False)


def test_marker_parametrizes_the_test_over_seeds(project):
    project.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.synth_seeds(3)
        def test_derived(synth, synth_seed):
            assert synth.seed == synth_seed
            synth("specs/tiny.synth")

        @pytest.mark.synth_seeds([1, 2, 30])
        def test_listed(synth):
            assert synth.seed in (1, 2, 30)

        @pytest.mark.synth_seeds(range(2))
        class TestClass:
            def test_in_class(self, synth):
                pass

            def test_without_data(self):
                pass
        """
    )
    result = run(project, "--strict-markers", "-v")
    result.assert_outcomes(passed=9)
    derived = [derive_seed("test_marker.py::test_derived", index=i) for i in range(3)]
    result.stdout.fnmatch_lines_random(
        [
            *(f"*test_marker.py::test_derived[[]seed={s}[]] PASSED*" for s in derived),
            *(f"*test_marker.py::test_listed[[]seed={s}[]] PASSED*" for s in (1, 2, 30)),
            "*TestClass::test_in_class[[]seed=0[]] PASSED*",
            "*TestClass::test_in_class[[]seed=1[]] PASSED*",
            "*TestClass::test_without_data PASSED*",
        ]
    )
    project.makeini("[pytest]\nmarkers =\n")  # registered by the plugin, not by the project
    assert "synth_seeds(n_or_seeds)" in run(project, "--markers").stdout.str()


@pytest.mark.parametrize(
    "args",
    ['"five"', "0", "-2", "[]", "[1, 1]", "[-1, 2]", "[1.5]", "1, 2", "", "count=3", "True"],
)
def test_marker_with_bad_arguments_is_a_clear_collection_error(project, args):
    project.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.synth_seeds({args})
        def test_x(synth):
            pass
        """
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["test_bad.py::test_x: @pytest.mark.synth_seeds takes one argument: a count *; got *"]
    )
    assert "Traceback" not in result.stdout.str()


def test_marker_on_a_test_without_the_fixture_is_an_error(project):
    project.makepyfile(
        test_unused="import pytest\n\n@pytest.mark.synth_seeds(2)\ndef test_x():\n    pass\n"
    )
    result = run(project)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_x: @pytest.mark.synth_seeds needs the test to use*synth*"])


def test_failing_test_report_names_seed_rows_and_command(project):
    project.makepyfile(
        test_fail="""
        import pytest

        def test_fails(synth):
            synth("specs/tiny.synth", rows={"patients": 30})
            synth("specs/tiny.synth", seed=4)
            assert False

        @pytest.mark.synth_seeds([9])
        def test_marked(synth):
            synth("specs/tiny.synth")
            assert False

        def test_passes(synth):
            synth("specs/tiny.synth")
        """
    )
    result = run(project)
    result.assert_outcomes(failed=2, passed=1)
    seed = derive_seed("test_fail.py::test_fails")
    result.stdout.fnmatch_lines(
        [
            "*- synthdsl -*",
            "spec: specs/tiny.synth",
            f"seed: {seed} (derived from the test id)",
            "rows: patients=30",
            "regenerate: synthdsl generate specs/tiny.synth --out synth-data "
            f"--seed {seed} --rows patients=30",
            "",
            "spec: specs/tiny.synth",
            "seed: 4 (given to synth(seed=...))",
            "rows: as in the spec",
            "regenerate: synthdsl generate specs/tiny.synth --out synth-data --seed 4",
        ]
    )
    result.stdout.fnmatch_lines(["seed: 9 (@pytest.mark.synth_seeds)"])
    assert result.stdout.str().count("- synthdsl -") == 2  # not for the passing test


def test_regenerate_command_writes_the_data_the_test_saw(project):
    project.makepyfile(
        test_regen=DUMP
        + """
def test_regen(synth):
    dump("fixture", synth("specs/tiny.synth", rows={"patients": 40}), synth.seed)
    assert False
"""
    )
    result = run(project)
    result.assert_outcomes(failed=1)
    [line] = [ln for ln in result.outlines if ln.startswith("regenerate: ")]
    argv = shlex.split(line.removeprefix("regenerate: "))
    assert argv[:2] == ["synthdsl", "generate"]
    r = subprocess.run(
        [sys.executable, "-m", "synthdsl", *argv[1:]],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    for table in ("patients", "visits"):
        fixture = pd.read_csv(project.path / "dumps" / f"fixture.{table}.csv", dtype=str)
        regenerated = pd.read_csv(project.path / "synth-data" / f"{table}.csv", dtype=str)
        pd.testing.assert_frame_equal(regenerated, fixture)
    assert len(fixture) > 40  # the visits of 40 patients, one to three each


def test_spec_error_fails_the_test_with_the_caret_diagnostic(project):
    (project.path / "specs" / "broken.synth").write_text("table t {\n  rows 5\n  x itn = 1\n}\n")
    project.makepyfile(
        test_broken="""
        def test_broken(synth):
            synth("specs/broken.synth")

        def test_missing(synth):
            synth("specs/nope.synth")
        """
    )
    result = run(project)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "synth('specs/broken.synth'): the spec could not be loaded",
            "*specs/broken.synth:3:5: error[[]E101]: unknown type 'itn'*",
            "   3 |   x itn = 1",
            "           ^^^",
            "*1 error found",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*error: spec file not found: *specs/nope.synth (a relative path is resolved against*"]
    )
    out = result.stdout.str()
    assert "Traceback" not in out and "synthdsl/check.py" not in out


def test_relative_paths_resolve_against_the_rootdir(project):
    project.makeini("[pytest]\n")
    sub = project.mkdir("tests")
    (sub / "test_sub.py").write_text(
        "def test_sub(synth):\n"
        "    assert len(synth('specs/tiny.synth')['patients']) == 20\n"
        "    assert False\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(sub)
        result = run(project, "test_sub.py")
    result.assert_outcomes(failed=1)
    # The command is for the directory pytest was started in: the spec is outside it, so absolute.
    spec = (project.path / "specs" / "tiny.synth").resolve()
    result.stdout.fnmatch_lines([f"regenerate: synthdsl generate {spec} --out synth-data *"])


def test_tables_are_fresh_copies_for_every_call(project):
    project.makepyfile(
        test_copies="""
        def test_mutates(synth):
            frames = synth("specs/tiny.synth", seed=3)
            frames["patients"].loc[:, "age"] = -1
            frames["patients"].drop(columns="name", inplace=True)

        def test_sees_the_original(synth):
            patients = synth("specs/tiny.synth", seed=3)["patients"]
            assert "name" in patients and (patients.age >= 0).all()
            again = synth("specs/tiny.synth", seed=3)["patients"]
            assert again is not patients and again.equals(patients)
        """
    )
    run(project).assert_outcomes(passed=2)


def test_a_spec_edited_during_the_session_is_loaded_again(project):
    (project.path / "specs" / "data.csv").write_text("city\nGhent\n")
    (project.path / "specs" / "edit.synth").write_text(
        'dataset cities = csv("data.csv")\n'
        "table t {\n  rows 3\n  city text ~ categorical(cities.city)\n}\n"
    )
    project.makepyfile(
        test_edit="""
        import os, pathlib

        def bump(path, text):
            path.write_text(text)
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))

        def test_1_first(synth):
            assert synth("specs/edit.synth", seed=1)["t"].city.tolist() == ["Ghent"] * 3

        def test_2_dataset_edited(synth):
            bump(pathlib.Path("specs/data.csv"), "city\\nLiege\\n")
            assert synth("specs/edit.synth", seed=1)["t"].city.tolist() == ["Liege"] * 3

        def test_3_spec_edited(synth):
            spec = pathlib.Path("specs/edit.synth")
            bump(spec, spec.read_text().replace("rows 3", "rows 5"))
            assert len(synth("specs/edit.synth", seed=1)["t"]) == 5
        """
    )
    run(project).assert_outcomes(passed=3)


def test_loaded_spec_objects_and_bad_arguments(project):
    project.makepyfile(
        test_args="""
        import numpy as np
        import pytest
        import synthdsl

        def test_spec_object(synth):
            spec = synthdsl.load("specs/tiny.synth")
            assert len(synth(spec, rows={"patients": 3})["patients"]) == 3

        def test_text_spec_has_no_command(synth):
            spec = synthdsl.loads("table t {\\n  rows 2\\n  x int = 1\\n}\\n")
            synth(spec)
            assert False

        def test_bad_arguments(synth):
            with pytest.raises(TypeError, match=r"synth\\(spec\\) takes a .synth path"):
                synth(42)
            with pytest.raises(ValueError, match=r"synth\\(seed=...\\) takes None"):
                synth("specs/tiny.synth", seed=-1)
            with pytest.raises(ValueError, match=r"synth\\(seed=...\\) takes None.*got 'auto'"):
                synth("specs/tiny.synth", seed="auto")
            with pytest.raises(ValueError, match=r"got True"):
                synth("specs/tiny.synth", seed=True)
            assert synth("specs/tiny.synth", seed=np.int64(5))["patients"].equals(
                synth("specs/tiny.synth", seed=5)["patients"]
            )
            with pytest.raises(TypeError, match=r"synth\\(rows=...\\)"):
                synth("specs/tiny.synth", rows=[("patients", 2)])

        def test_unknown_table(synth):
            synth("specs/tiny.synth", rows={"patient": 2})
        """
    )
    result = run(project)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "spec: loaded from text (no file)",
            "regenerate: not available for a spec loaded from text (synthdsl.loads)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["synth('specs/tiny.synth'): rows= names unknown table 'patient'*did you mean*patients*"]
    )


def test_failure_while_generating_shows_the_diagnostic_and_the_seed(project):
    (project.path / "specs" / "tight.synth").write_text(
        "table t {\n  rows 50\n  x int ~ uniform(0, 1_000_000)\n  y int ~ uniform(0, 1_000_000)\n"
        "  rule tiny: x + y == 7\n}\n"
    )
    project.makepyfile(
        test_tight="def test_tight(synth):\n    synth('specs/tight.synth', seed=1)\n"
    )
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "synth('specs/tight.synth') failed with seed 1",
            "*tight.synth:5:8: error: rule 'tiny' of table 't' could not be met*",
            "   5 |   rule tiny: x + y == 7",
            "              ^^^^",
            "*- synthdsl -*",
            "regenerate: synthdsl generate specs/tight.synth --out synth-data --seed 1",
        ]
    )
