"""An interrupted run (Ctrl-C) leaves no output file and no temp file behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

SPEC = "table t {\n rows 50_000_000\n x float ~ normal(0, 1)\n y float = x * 2\n}\n"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sigint_leaves_no_output(write_spec, tmp_path, fmt):
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "synthdsl",
            "generate",
            str(spec),
            "--out",
            str(out),
            "--format",
            fmt,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.05)  # wait until the run has started writing its temp files
    assert out.exists() and any(p.name.startswith(".") for p in out.iterdir())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: no output was written" in err and "Traceback" not in err
    assert list(out.iterdir()) == []
