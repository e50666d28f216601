"""``synthdsl check`` imports only what the spec needs (startup time is measured in benchmarks/).

Each case runs in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from synthdsl._lazy import lazy
from tests.conftest import ROOT

HEAVY = ("pandas", "pyarrow", "scipy", "faker", "mimesis", "sklearn")


def _imported_by(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_checking_a_spec_without_providers_imports_no_heavy_library():
    spec = ROOT / "benchmarks" / "specs" / "numeric10.synth"
    assert _imported_by(f"import synthdsl\nsynthdsl.load({str(spec)!r})") == set()


def test_checking_a_spec_with_faker_imports_faker_only():
    spec = ROOT / "benchmarks" / "specs" / "people20.synth"
    assert "faker." in spec.read_text()
    got = _imported_by(f"import synthdsl\nsynthdsl.load({str(spec)!r})")
    assert "faker" in got and not got & {"pandas", "scipy", "sklearn"}


def test_generating_imports_what_it_needs():
    code = "import synthdsl\nsynthdsl.loads('table t {\\n rows 5\\n x float ~ gamma(2, 1)\\n}\\n').generate()"
    assert {"pandas", "pyarrow"} <= _imported_by(code)


def test_a_lazy_module_imports_on_first_attribute_read():
    mod = lazy("colorsys")
    assert "not loaded yet" in repr(mod)
    assert mod.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert "loaded" in repr(mod) and "not" not in repr(mod)
    with pytest.raises(AttributeError):
        _ = mod.no_such_function
