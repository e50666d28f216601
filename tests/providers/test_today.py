"""The spec's reference date (``today``): output never depends on the machine's clock (issue 10).

The clock is faked the way a test clock (freezegun) does it, in a ``sitecustomize`` of a child
process: ``datetime.date``/``datetime.datetime`` become subclasses whose ``today()``/``now()`` are
shifted, ``time.time`` is shifted, before Faker, Mimesis or synthdsl are imported (after numpy,
pandas and pyarrow, which bind the C classes, as they would be under freezegun). A control run
shows the fake really moves the libraries' clock; the CLI's output under it does not move.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import synthdsl
from synthdsl.errors import SpecError
from synthdsl.expr import clock, providers

REPO = Path(__file__).resolve().parents[2]

FAKE_CLOCK = """
import datetime as _dt, os, time as _t

_fake = os.environ.get("FAKE_NOW")
if _fake:
    import numpy, pandas, pyarrow  # compiled modules bind the C classes first, as under freezegun
    _RD, _RDT = _dt.date, _dt.datetime
    _shift = _RDT.fromisoformat(_fake) - _RDT.now()

    class _DM(type):
        def __instancecheck__(cls, o): return isinstance(o, _RD)
        def __subclasscheck__(cls, s): return issubclass(s, _RD)

    class _DTM(type):
        def __instancecheck__(cls, o): return isinstance(o, _RDT)
        def __subclasscheck__(cls, s): return issubclass(s, _RDT)

    class FakeDate(_RD, metaclass=_DM):
        @classmethod
        def today(cls): return (_RDT.now() + _shift).date()

    class FakeDatetime(_RDT, metaclass=_DTM):
        @classmethod
        def now(cls, tz=None): return _RDT.now(tz) + _shift
        @classmethod
        def utcnow(cls): return _RDT.now(_dt.timezone.utc).replace(tzinfo=None) + _shift
        @classmethod
        def today(cls): return cls.now()

    _dt.date, _dt.datetime = FakeDate, FakeDatetime
    _rt, _rtn = _t.time, _t.time_ns
    _t.time = lambda: _rt() + _shift.total_seconds()
    _t.time_ns = lambda: _rtn() + int(_shift.total_seconds() * 1e9)
"""

CLOCK_SPEC = """\
seed 11
table t {
  rows 40
  past      date     = faker.past_date()
  future    date     = faker.future_date()
  born      date     = faker.date_of_birth()
  this_year date     = faker.date_this_year()
  between   date     = faker.date_between()
  decade    datetime = faker.date_time_this_decade()
  when      datetime = faker.date_time()
  later     datetime = faker.future_datetime()
  unix      float    = faker.unix_time()
  iso       text     = faker.iso8601()
  expires   text     = faker.credit_card_expire()
  year      text     = faker.year()
  weekday   text     = faker.day_of_week()
  passport  text     = faker.passport_full()
  m_past    date     = mimesis.datetime.past_date()
  m_date    date     = mimesis.datetime.date()
  m_dt      datetime = mimesis.datetime.datetime()
  m_year    int      = mimesis.datetime.year()
  m_stamp   int      = mimesis.datetime.timestamp()
  m_fmt     text     = mimesis.datetime.formatted_date()
  m_week    text     = mimesis.datetime.week_date()
  m_calver  text     = mimesis.development.calver()
}
"""

# What the libraries give under the fake clock without synthdsl: must differ between the clocks.
CONTROL = """\
from faker import Faker
from mimesis import Datetime
f = Faker("en_US"); f.seed_instance(1)
print(f.past_date(), f.date_this_year(), Datetime(seed=1).year())
"""


def _run(args: list[str], fake_now: str, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FAKE_NOW": fake_now, "PYTHONPATH": f"{site}{os.pathsep}{REPO}"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    d = tmp_path / "site"
    d.mkdir()
    (d / "sitecustomize.py").write_text(FAKE_CLOCK, encoding="utf-8")
    return d


def test_same_bytes_under_two_machine_clocks(tmp_path: Path, site: Path) -> None:
    clocks = ("2025-01-01T09:30:00", "2031-06-15T23:59:00")
    control = [_run(["-c", CONTROL], c, site, tmp_path) for c in clocks]
    assert all(r.returncode == 0 for r in control), [r.stderr for r in control]
    assert control[0].stdout != control[1].stdout, "the fake clock does not move the libraries"

    spec = tmp_path / "clock.synth"
    spec.write_text(CLOCK_SPEC, encoding="utf-8")
    outs = []
    for i, (c, extra) in enumerate(zip(clocks, ([], ["--workers", "2", "--chunk-size", "7"]))):
        out = tmp_path / f"out{i}"
        r = _run(
            ["-m", "synthdsl", "generate", str(spec), "--out", str(out), "--format", "csv", *extra],
            c,
            site,
            tmp_path,
        )
        assert r.returncode == 0, r.stderr
        outs.append(out)
    first, second = ((o / "t.csv").read_bytes() for o in outs)
    assert first == second
    rows = list(csv.DictReader(io.StringIO(first.decode())))
    assert len(rows) == 40
    # The default reference date, not either machine date: 2025-01-01 at midnight UTC.
    assert all("2024-12-02" <= r["past"] <= "2025-01-01" for r in rows), rows
    assert all("2025-01-01" <= r["future"] <= "2025-01-31" for r in rows), rows
    assert max(int(r["m_year"]) for r in rows) <= 2025
    card = json.loads((outs[0] / "card.json").read_text())
    assert card["today"] == clock.DEFAULT_TODAY


def test_today_setting_moves_the_dates_and_is_in_the_card(tmp_path: Path) -> None:
    base = (
        "seed 3\n{today}table t {{\n  rows 200\n  d date = faker.past_date()\n"
        "  y int = mimesis.datetime.year()\n  e text = faker.credit_card_expire()\n}}\n"
    )
    default = synthdsl.loads(base.format(today="")).generate()["t"]
    late = synthdsl.loads(base.format(today="today 2031-06-15\n"))
    frame = late.generate()["t"]
    assert late.plan().today == "2031-06-15"
    days = frame["d"].astype("datetime64[ns]")
    assert days.min() >= dt.datetime(2031, 5, 16) and days.max() <= dt.datetime(2031, 6, 15)
    assert frame["y"].max() == 2031 and frame["y"].min() >= 1990  # Mimesis' year(1990, today)
    assert default["y"].max() == 2025
    assert (default["d"].astype("datetime64[ns]") < dt.datetime(2025, 1, 2)).all()
    assert not frame["e"].equals(default["e"])

    spec = tmp_path / "s.synth"
    spec.write_text(base.format(today='today "2031-06-15"\n'), encoding="utf-8")
    out = tmp_path / "out"
    synthdsl.load(spec).write(out, format="csv")
    assert json.loads((out / "card.json").read_text())["today"] == "2031-06-15"
    assert "Reference date (today): 2031-06-15" in (out / "card.md").read_text()
    plan = json.loads(synthdsl.load(spec).plan().model_dump_json())
    assert plan["today"] == "2031-06-15"
    # `generate --plan` runs with the plan's date: an edited plan moves the dates
    plan["today"] = "2001-06-15"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    edited = synthdsl.load_plan(tmp_path / "plan.json").generate()["t"]
    assert edited["d"].astype("datetime64[ns]").max() < dt.datetime(2001, 6, 15)


@pytest.mark.parametrize(
    ("text", "code", "why"),
    [
        ("today 2026-02-30\n", "E116", "is not a calendar date"),
        ("today 2026-1-01\n", "E116", "is not a date written YYYY-MM-DD"),
        ('today "next week"\n', "E116", "is not a date written YYYY-MM-DD"),
        ("today 1850-01-01\n", "E116", "is outside the years 1900 to 2199"),
        ("today 2026-01-01\ntoday 2026-06-01\n", "E115", "today is set twice"),
    ],
)
def test_bad_today_is_a_check_error_with_a_caret(text: str, code: str, why: str) -> None:
    spec = text + "table t {\n  rows 1\n  x int = 1\n}\n"
    with pytest.raises(SpecError) as err:
        synthdsl.loads(spec)
    (diag,) = err.value.diagnostics
    assert diag.code == code and why in diag.message
    shown = err.value.render()
    assert "^" in shown and ("1:1" in shown if code == "E116" else "2:1" in shown)


def test_today_is_still_a_name_for_columns() -> None:
    frame = synthdsl.loads(
        'today 2030-01-01\ntable t {\n  rows 2\n  today date = date("2020-01-01")\n'
        '  x int = years_between(today, date("2030-01-01"))\n}\n'
    ).generate()["t"]
    assert list(frame["x"]) == [10, 10]


def test_the_real_clock_is_untouched_outside_our_calls() -> None:
    """After synthdsl ran a provider, the libraries read the machine's clock again for anyone
    else (another Faker instance, another thread), and isinstance still accepts real dates."""
    import faker.providers.date_time as fdt
    from faker import Faker

    prov = providers.resolve("faker", ("past_date",), today="2001-02-03")
    assert prov.generate([1], 5).max() <= dt.date(2001, 2, 3)
    assert fdt.datetime is clock.ClockDatetime  # the stand-in is installed ...
    real_today = dt.date.today()
    assert abs((fdt.dtdate.today() - real_today).days) <= 1  # ... and reads the real clock here
    assert isinstance(dt.datetime.now(), fdt.datetime) and isinstance(real_today, fdt.dtdate)
    assert type(fdt.datetime(2020, 1, 1)) is dt.datetime
    mine = Faker("en_US")
    mine.seed_instance(2)
    assert abs((mine.past_date() - real_today).days) <= 31

    inside, outside = threading.Event(), threading.Event()
    seen: dict[str, dt.date] = {}

    def frozen_thread() -> None:
        with clock.frozen("2001-02-03"):
            seen["frozen"] = fdt.dtdate.today()
            inside.set()
            outside.wait(10)

    th = threading.Thread(target=frozen_thread)
    th.start()
    inside.wait(10)
    seen["other"] = fdt.dtdate.today()
    outside.set()
    th.join()
    assert seen["frozen"] == dt.date(2001, 2, 3)
    assert abs((seen["other"] - real_today).days) <= 1
