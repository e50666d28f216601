"""Output is all or nothing: a signal during the final renames still leaves this run's files (data
and card) and only them; a second run into a folder that a run is writing is refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import synthdsl
from synthdsl.errors import DataError
from synthdsl.sinks import _atomic

EIGHT = "".join(f"table t{i} {{\n  rows 50\n  x float ~ normal({i}, 1)\n}}\n" for i in range(8))


def _files(out):
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".")}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_the_renames_leaves_all_new_files(tmp_path, monkeypatch, sig):
    spec = synthdsl.loads(EIGHT)
    out = tmp_path / "out"
    spec.write(out, seed=1)
    old = _files(out)
    spec.write(tmp_path / "expected", seed=2)
    expected = _files(tmp_path / "expected")
    assert old != expected and len(old) == 10  # 8 tables and the two card files

    publish = _atomic.publish
    calls = []

    def publish_then_signal(temp, target):
        calls.append(target.name)
        if len(calls) == 1:  # a real signal, delivered to this process after the first rename
            os.kill(os.getpid(), sig)
        return publish(temp, target)

    monkeypatch.setattr(_atomic, "publish", publish_then_signal)

    class Stop(BaseException):
        pass

    def stop(signum, frame):
        raise Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises((KeyboardInterrupt, Stop)) as err:
            spec.write(out, seed=2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert getattr(err.value, "output_complete", False)
    assert len(calls) == 10  # every file was renamed before the signal was handled
    assert _files(out) == expected
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp, no lock left


def test_a_second_run_into_a_folder_being_written_is_refused(write_spec, tmp_path):
    spec = write_spec("table t {\n  rows 20_000_000\n  x float ~ normal(0, 1)\n}\n")
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "synthdsl", "generate", str(spec), "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out / _atomic.LOCK_NAME).exists():
            time.sleep(0.05)
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "synthdsl",
                "generate",
                str(spec),
                "--out",
                str(out),
                "--seed",
                "2",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1, second.stderr
        assert "another synthdsl run is writing into" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    assert first.returncode == 130


def test_the_lock_is_refused_in_process_and_released_after(tmp_path):
    fd = _atomic.lock_folder(tmp_path)
    try:
        with pytest.raises(DataError, match="another synthdsl run"):
            synthdsl.loads("table t {\n  rows 2\n  x int = 1\n}\n").write(tmp_path)
    finally:
        _atomic.unlock_folder(tmp_path, fd)
    card = synthdsl.loads("table t {\n  rows 2\n  x int = 1\n}\n").write(tmp_path)
    assert card.tables[0].rows == 2
    assert json.loads((tmp_path / "card.json").read_text())["tables"][0]["name"] == "t"
    assert not (tmp_path / _atomic.LOCK_NAME).exists()
