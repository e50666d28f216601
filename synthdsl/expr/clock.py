"""The spec's reference date (``today``): what Faker and Mimesis see as "now" during our calls.

Why: ``faker.past_date()``, ``mimesis.datetime.year()`` and many more read the machine's clock,
so the same spec and seed gave other bytes on another day and committed fixtures went stale by
themselves. A spec names its reference date (``today 2026-01-01``; ``DEFAULT_TODAY`` when it
does not) and every provider call runs inside ``frozen(today)``.

How: the libraries read the clock through module globals (``datetime.now()``, ``date.today()``,
``datetime.date.today()``, ``time.time()``). ``install()`` swaps those globals in every loaded
``faker``/``mimesis`` module for stand-ins whose clock methods return the reference instant while
``frozen()`` is active *in the calling context* (a ``ContextVar``, so other threads and the rest
of the user's process keep the real clock). The stand-ins are otherwise the real thing: their
constructors return real ``date``/``datetime`` objects and ``isinstance`` against them accepts
real ones, so the libraries behave exactly as before outside our calls.

The reference instant is midnight UTC of ``today``; a naive ``now()`` is that instant in UTC (the
libraries turn naive datetimes into timestamps as UTC). Clock values the libraries computed at
import time (default arguments such as Mimesis' ``maximum=_CURRENT_YEAR``, Faker's
``passport_dates(birthday=date.today())``) cannot be reached that way; ``shadow_defaults`` wraps
those methods on our own provider instances so the defaults follow the reference date.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import inspect
import sys
import threading
import time as _time
import types
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

DEFAULT_TODAY = "2025-01-01"  # documented in docs/language.md; changing it changes output bytes
MIN_YEAR, MAX_YEAR = 1900, 2199  # libraries add and subtract up to ~115 years around "now"


def _builtin(cls: type, name: str) -> type:
    """The C class behind ``cls``: a test clock (freezegun and the like) may have put a subclass
    in the ``datetime`` module, and a subclass of that would bring its metaclass along."""
    return next(c for c in reversed(cls.__mro__) if c.__name__ == name)


# What the module held at import (maybe a test's fake clock: used outside ``frozen()``, so we
# change nothing there) and the C classes the stand-ins derive from.
_ORIG_DATE, _ORIG_DATETIME = _dt.date, _dt.datetime
_ORIG_TIME, _ORIG_TIME_NS = _time.time, _time.time_ns
_REAL_DATE = _builtin(_dt.date, "date")
_REAL_DATETIME = _builtin(_dt.datetime, "datetime")
_LIBRARIES = ("faker", "mimesis")

_REF: ContextVar[_dt.datetime | None] = ContextVar("synthdsl_today", default=None)


def parse_today(text: str) -> _dt.date:
    """``YYYY-MM-DD`` between MIN_YEAR and MAX_YEAR; raises ValueError with the reason."""
    parts = text.split("-")
    if (
        len(parts) != 3
        or [len(p) for p in parts] != [4, 2, 2]
        or not all(p.isdigit() for p in parts)
    ):
        raise ValueError(f"'{text}' is not a date written YYYY-MM-DD")
    try:
        day = _REAL_DATE.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a calendar date") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"'{text}' is outside the years {MIN_YEAR} to {MAX_YEAR}")
    return day


def _instant() -> _dt.datetime | None:
    """The reference instant as a naive UTC datetime, or None outside ``frozen()``."""
    return _REF.get()


class _DateMeta(type):
    """``isinstance(x, <stand-in date>)`` is ``isinstance(x, date)``: real values pass."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _REAL_DATE)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _REAL_DATE)


class _DatetimeMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _REAL_DATETIME)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _REAL_DATETIME)


class ClockDate(_REAL_DATE, metaclass=_DateMeta):
    """``date`` whose ``today()`` is the reference date inside ``frozen()``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:  # real objects, never the stand-in
        return _REAL_DATE(*args, **kwargs)

    @classmethod
    def today(cls) -> Any:
        ref = _instant()
        return _ORIG_DATE.today() if ref is None else ref.date()


class ClockDatetime(_REAL_DATETIME, metaclass=_DatetimeMeta):
    """``datetime`` whose ``now()``/``utcnow()``/``today()`` read the reference instant."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _REAL_DATETIME(*args, **kwargs)

    @classmethod
    def now(cls, tz: _dt.tzinfo | None = None) -> Any:
        ref = _instant()
        if ref is None:
            return _ORIG_DATETIME.now(tz)
        if tz is None:
            return ref
        return ref.replace(tzinfo=_dt.UTC).astimezone(tz)

    @classmethod
    def utcnow(cls) -> Any:
        ref = _instant()
        return _ORIG_DATETIME.now(_dt.UTC).replace(tzinfo=None) if ref is None else ref

    @classmethod
    def today(cls) -> Any:
        return cls.now()


def _clock_time() -> float:
    ref = _instant()
    return _ORIG_TIME() if ref is None else ref.replace(tzinfo=_dt.UTC).timestamp()


def _clock_time_ns() -> int:
    ref = _instant()
    return _ORIG_TIME_NS() if ref is None else int(_clock_time()) * 1_000_000_000


class _ModuleProxy(types.ModuleType):
    """A module whose clock attributes are the stand-ins; everything else is the real module's."""

    def __init__(self, real: types.ModuleType, overrides: dict[str, Any]):
        super().__init__(real.__name__, real.__doc__)
        self.__dict__.update(overrides)
        self.__dict__["_real_module"] = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_real_module"], name)


_DATETIME_MODULE = _ModuleProxy(_dt, {"date": ClockDate, "datetime": ClockDatetime})
_TIME_MODULE = _ModuleProxy(_time, {"time": _clock_time, "time_ns": _clock_time_ns})
_SWAPS: dict[int, Any] = {
    id(_REAL_DATE): ClockDate,
    id(_ORIG_DATE): ClockDate,
    id(_REAL_DATETIME): ClockDatetime,
    id(_ORIG_DATETIME): ClockDatetime,
    id(_dt): _DATETIME_MODULE,
    id(_time): _TIME_MODULE,
    id(_ORIG_TIME): _clock_time,
    id(_ORIG_TIME_NS): _clock_time_ns,
}
_swept: set[str] = set()
_seen_modules = -1
_sweep_lock = threading.Lock()


def install() -> None:
    """Swap the clock globals of every loaded ``faker``/``mimesis`` module not yet swept.

    Cheap when nothing new was imported (one length check); libraries import locale modules
    lazily, so ``frozen()`` calls this each time.
    """
    global _seen_modules
    if len(sys.modules) == _seen_modules:
        return
    with _sweep_lock:
        for name, mod in list(sys.modules.items()):
            if name in _swept or name.split(".", 1)[0] not in _LIBRARIES or mod is None:
                continue
            _swept.add(name)
            space = getattr(mod, "__dict__", None)
            if not isinstance(space, dict):
                continue
            for attr, value in list(space.items()):
                swap = _SWAPS.get(id(value))
                if swap is not None and not attr.startswith("__"):
                    space[attr] = swap
        _seen_modules = len(sys.modules)


@contextlib.contextmanager
def frozen(today: str) -> Iterator[None]:
    """Run the block with ``today`` (``YYYY-MM-DD``) as the libraries' clock, midnight UTC."""
    install()
    day = _REAL_DATE.fromisoformat(today)
    token = _REF.set(_REAL_DATETIME(day.year, day.month, day.day))
    try:
        yield
    finally:
        _REF.reset(token)


def shadow_defaults(obj: Any, also: Any = None) -> None:
    """Give ``obj`` (a provider instance of our own) methods that take their clock-derived
    defaults from the reference date inside ``frozen()``.

    Two kinds exist in the libraries, both computed at import: an int default equal to the
    provider's ``_CURRENT_YEAR`` (Mimesis' ``Datetime.year``, ``.date``, ``.datetime``, ...) and a
    ``date`` default equal to the machine's today (Faker's ``passport_dates``). The wrapper is set
    on the instance, so the library's own nested calls (``formatted_date`` -> ``self.date()``) see
    it too; ``also`` (Faker's generator, which holds its own bound methods) gets it as well.
    Instances elsewhere in the user's process are untouched.
    """
    current_year = getattr(obj, "_CURRENT_YEAR", None)
    machine_today = _ORIG_DATE.today()
    for name, fn in inspect.getmembers(type(obj), inspect.isfunction):
        if name.startswith("_"):
            continue
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        years, days = [], []
        for pname, p in params.items():
            d = p.default
            if isinstance(d, int) and not isinstance(d, bool) and d == current_year:
                years.append(pname)
            elif (
                isinstance(d, _REAL_DATE)
                and not isinstance(d, _REAL_DATETIME)
                and abs((d - machine_today).days) <= 1
            ):
                days.append(pname)
        if not years and not days:
            continue
        bound = getattr(obj, name)
        wrapper = _with_reference_defaults(bound, tuple(years), tuple(days))
        if also is not None and getattr(getattr(also, name, None), "__func__", None) is fn:
            setattr(also, name, wrapper)
        setattr(obj, name, wrapper)


def _with_reference_defaults(
    bound: Callable[..., Any], years: tuple[str, ...], days: tuple[str, ...]
) -> Callable[..., Any]:
    sig = inspect.signature(bound)

    @functools.wraps(bound)
    def call(*args: Any, **kwargs: Any) -> Any:
        ref = _instant()
        if ref is not None:
            try:
                given = sig.bind_partial(*args, **kwargs).arguments
            except TypeError:  # the library's own call reports it
                return bound(*args, **kwargs)
            kwargs.update({n: ref.year for n in years if n not in given})
            kwargs.update({n: ref.date() for n in days if n not in given})
        return bound(*args, **kwargs)

    return call
