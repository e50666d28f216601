"""The public surface: ``synthdsl.__all__`` names exactly what the package exports, lazily."""

from __future__ import annotations

import subprocess
import sys

import synthdsl


def test_all_names_resolve():
    for name in synthdsl.__all__:
        assert getattr(synthdsl, name) is not None, name
    assert sorted(synthdsl.__all__) == [
        "DataError",
        "MissingExtraError",
        "RuleError",
        "Spec",
        "SpecError",
        "SynthError",
        "__version__",
        "evaluate",
        "load",
        "load_plan",
        "loads",
    ]


def test_import_is_light():
    # Core use never imports the optional heavy extras, and `import synthdsl` stays cheap.
    code = (
        "import sys, synthdsl; synthdsl.loads('table t {\\n rows 1\\n x int = 1\\n}');"
        "print(','.join(m for m in ('torch', 'pgmpy', 'opacus') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_reusable_spec_imports(write_spec):
    from tests.conftest import ROOT

    main = write_spec(
        f'import "{ROOT / "specs" / "be_geography.synth"}"\n'
        "table people {\n rows 50\n address_id int = ref addresses.id\n"
        " province text = addresses.province\n}\n"
    )
    frames = synthdsl.load(main).generate(rows={"addresses": 100})
    people, addresses = frames["people"], frames["addresses"]
    m = people.merge(addresses, left_on="address_id", right_on="id", suffixes=("", "_a"))
    assert (m.province == m.province_a).all() and len(m) == 50


def test_the_strategies_module_exports_its_strategies_and_core_stays_without_hypothesis():
    import synthdsl.hypothesis as strategies

    assert strategies.__all__ == ["frames", "rows", "tables"]
    assert all(callable(getattr(strategies, name)) for name in strategies.__all__)
    code = (
        "import sys, synthdsl; synthdsl.loads('table t {\\n rows 1\\n x int = 1\\n}').generate();"
        "print('hypothesis' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"
