"""An interrupted run (Ctrl-C, SIGTERM) leaves no output file and no temp file behind; the temps of a
killed run (SIGKILL, which cannot be handled) are removed by the next run into the same folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

SPEC = "table t {\n rows 50_000_000\n x float ~ normal(0, 1)\n y float = x * 2\n}\n"


def _start(spec, out, fmt, *extra: str):
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
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        out.exists() and any(p.name.endswith(tuple("0123456789abcdef")) for p in out.iterdir())
    ):
        time.sleep(0.05)  # wait until the run has started writing its temp files
    assert out.exists() and any(p.name.startswith(".") for p in out.iterdir())
    return proc


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sigint_leaves_no_output(write_spec, tmp_path, fmt):
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    proc = _start(spec, out, fmt)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted: no output was written" in err and "Traceback" not in err
    assert not out.exists()  # the run created the folder, and removed it with its temps


@pytest.mark.parametrize(
    ("sig", "code", "delay"),
    [
        (signal.SIGINT, 130, 0.0),
        (signal.SIGINT, 130, 0.0),
        (signal.SIGINT, 130, 0.3),
        (signal.SIGINT, 130, 1.0),
        (signal.SIGINT, 130, 2.0),
        (signal.SIGTERM, 143, 0.0),
        (signal.SIGTERM, 143, 1.0),
    ],
)
def test_a_signal_to_the_group_with_workers_stops_cleanly(write_spec, tmp_path, sig, code, delay):
    """A terminal's Ctrl-C (or `kill -TERM -PGID`) reaches the whole process group, workers
    included, at any moment of the run (workers still starting, or busy): the run must end with
    its exit code, no traceback from any process, no output, and no worker left behind."""
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    proc = _start(spec, out, "csv", "--workers", "2", "--chunk-size", "16384")
    time.sleep(delay)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "Exception in" not in err, err
    assert not out.exists()
    deadline = time.monotonic() + 10  # multiprocessing's resource tracker exits after its parent
    while time.monotonic() < deadline:
        left = subprocess.run(["pgrep", "-a", "-g", str(proc.pid)], capture_output=True, text=True)
        if not left.stdout.strip():
            break
        time.sleep(0.1)
    assert left.stdout.strip() == "", f"processes outlived the run: {left.stdout}"


@pytest.mark.parametrize("fmt", ["csv", "sqlite"])
def test_sigterm_leaves_no_output(write_spec, tmp_path, fmt):
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    proc = _start(spec, out, fmt)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert "terminated: no output was written" in err and "Traceback" not in err
    assert not out.exists()  # the run created the folder, and removed it with its temps


def test_next_run_removes_temps_of_a_killed_run(write_spec, tmp_path):
    spec = write_spec(SPEC)
    out = tmp_path / "out"
    proc = _start(spec, out, "csv")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    stale = [p.name for p in out.iterdir() if p.name != ".synthdsl.lock"]  # the lock died with it
    assert stale and all(name.startswith(".t.csv.tmp-") for name in stale)
    # A temp of a run that is still alive (here: a sleeping process's id) must be kept.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = out / f".t.csv.tmp-{sleeper.pid}-0123abcd"
        alive.write_text("")
        unrelated = out / ".notes.tmp-0123abcd"
        unrelated.write_text("")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "synthdsl",
                "generate",
                str(spec),
                "--out",
                str(out),
                "--rows",
                "t=10",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        names = sorted(p.name for p in out.iterdir())
        assert names == sorted([alive.name, unrelated.name, "card.json", "card.md", "t.csv"])
    finally:
        sleeper.kill()
        sleeper.wait()
