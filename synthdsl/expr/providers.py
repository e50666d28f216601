"""Identifier providers: ``faker.NAME(args)`` / ``mimesis.GROUP.NAME(args)`` as block generators.

Input: a library (``"faker"``/``"mimesis"``), a provider path (``("name",)``,
``("person", "email")``), literal arguments and the spec's Faker-style locale (``nl_NL``;
default ``en_US``).
Output: a ``Provider`` whose ``generate(key, n)`` returns ``n`` values as a numpy array and is a
pure function of the block's seed key (a list of non-negative ints for
``numpy.random.SeedSequence``), so output never depends on chunking or worker count.
``generate_unique`` returns values that are distinct across the whole table although every block
is computed on its own.

Two paths:

* vectorized (``_faker_vec`` / ``_mimesis_vec``): common providers are rebuilt as numpy node trees
  over the locale's own data (Faker's provider lists, weights and formats; Mimesis' JSON data).
  Hundreds of times faster than calling Faker per row, and they know their value space, so
  unique values come from a keyed bijection instead of retries.
* generic: any other provider is called once per row on a cached, reseeded library instance.

Errors (unknown library/provider/group/locale, bad arguments) raise ``ProviderError`` with the
closest valid names in ``.suggestions``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import enum
import functools
import inspect
import threading
import time
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from synthdsl.errors import SynthError
from synthdsl.expr import _faker_vec, _mimesis_vec, _provider_types, clock

DEFAULT_LOCALE = "en_US"
LIBRARIES = ("faker", "mimesis")
RESULT_KINDS = ("text", "int", "float", "bool", "date", "datetime", "decimal", "other")
_VALIDATION_KEY = (0x5EED,)  # fixed seed for the validating calls made at resolve time
_PROBE_CALLS = 32  # values probed at resolve time to learn the result type (one if a call is slow)
_SLOW_CALL_S = 0.02  # a first call slower than this (images, archives) is not repeated


class ProviderError(SynthError):
    """A provider reference cannot be used; ``suggestions`` holds the closest valid names.

    Subclasses ``SynthError`` so the CLI prints it without a traceback.
    """

    def __init__(
        self,
        message: str,
        suggestions: list[str] | None = None,
        code: str = "E351",
        hint: str | None = None,
    ):
        self.message = message
        self.suggestions = list(suggestions or [])
        self.code, self.hint = code, hint
        text = message
        if self.suggestions:
            text += " (did you mean " + ", ".join(f"'{s}'" for s in self.suggestions) + "?)"
        super().__init__(text)


def _close(name: str, candidates: Sequence[str], n: int = 5) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


def _seed_int(key: Sequence[int]) -> int:
    """A 64-bit seed for the libraries' ``random.Random`` from a SeedSequence key."""
    return int(np.random.SeedSequence(list(key)).generate_state(1, dtype=np.uint64)[0])


def _rng(key: Sequence[int]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(key))))


def result_kind(value: Any) -> str:
    """The engine-facing kind of one result (bool before int, datetime before date)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, _dt.datetime):
        return "datetime"
    if isinstance(value, _dt.date):
        return "date"
    if isinstance(value, Decimal):
        return "decimal"
    return "other"


def _to_array(values: list[Any], kind: str) -> np.ndarray:
    """A fitting array: int64/float64/bool when every value has that kind, else object."""
    dtype = {"int": np.int64, "float": np.float64, "bool": np.bool_}.get(kind)
    if dtype is not None and all(result_kind(v) == kind for v in values):
        try:
            return np.array(values, dtype=dtype)
        except (OverflowError, ValueError, TypeError):
            pass
    return _faker_vec.objarray(values)


class Provider(ABC):
    """A resolved provider: a pure function from (seed key, row count) to values."""

    qualname: str
    locale: str
    vectorized: bool
    result_kind: str
    nullable: bool = False  # seen returning None at resolve time (a `text?` column takes it)

    @property
    @abstractmethod
    def capacity(self) -> int | None:
        """Exact number of distinct values ``generate_unique`` can produce; None when unknown."""

    @abstractmethod
    def generate(self, key: Sequence[int], n: int) -> np.ndarray:
        """``n`` values for the block seeded by ``key``; the same (key, n) gives the same array."""

    @abstractmethod
    def generate_unique(self, key: Sequence[int], start: int, n: int, total: int) -> np.ndarray:
        """Rows ``start .. start+n-1`` of a ``total``-row table, pairwise distinct across the table.

        ``key`` must be the same for every block of the column (it seeds the bijection); blocks
        differ only by ``start``, so they can be computed independently and in any order.
        """

    def __repr__(self) -> str:
        path = "vectorized" if self.vectorized else "generic"
        return f"<Provider {self.qualname} locale={self.locale} {path} kind={self.result_kind}>"


def _check_rows(start: int, n: int, total: int) -> None:
    if start < 0 or n < 0 or start + n > total:
        raise ValueError(f"rows {start}..{start + n - 1} are outside a table of {total} rows")


class _GenericProvider(Provider):
    """Calls the library once per row on a cached instance reseeded from the block key."""

    vectorized = False

    def __init__(self, qualname: str, locale: str, call: Callable[[int, int], list[Any]]):
        self.qualname, self.locale, self._call = qualname, locale, call
        self.result_kind = "other"
        self.to_text = False  # values with a natural text form (UUID, IP address) -> str

    @property
    def capacity(self) -> int | None:
        return None

    def generate(self, key: Sequence[int], n: int) -> np.ndarray:
        values = self._call(_seed_int(key), n)
        if self.to_text:
            values = _provider_types.as_text(values)
        return _to_array(values, self.result_kind)

    def generate_unique(self, key: Sequence[int], start: int, n: int, total: int) -> np.ndarray:
        _check_rows(start, n, total)
        raise ProviderError(
            f"{self.qualname} is called through the library (no vectorized value space), so it "
            "cannot draw unique values by construction; unique needs the engine's de-duplication"
        )


class _VectorProvider(Provider):
    """Draws whole blocks from a node tree; unique values via a keyed bijection."""

    vectorized = True
    result_kind = "text"

    def __init__(self, qualname: str, locale: str, node: _faker_vec.Node):
        self.qualname, self.locale, self._node = qualname, locale, node
        self._lock = threading.Lock()
        self._spaces: list[_faker_vec.UniqueSpace] | None = None

    def _unique_spaces(self) -> list[_faker_vec.UniqueSpace]:
        """Enumerable format families, most probable first (built once, on first use)."""
        with self._lock:
            if self._spaces is None:
                self._spaces = [_faker_vec.UniqueSpace(atoms) for atoms, _ in self._node.spaces()]
            return self._spaces

    @property
    def capacity(self) -> int | None:
        spaces = self._unique_spaces()
        return max((s.capacity for s in spaces), default=None)

    def generate(self, key: Sequence[int], n: int) -> np.ndarray:
        if n <= 0:
            return _faker_vec.objarray([])
        return self._node.sample(_rng(key), n)

    def generate_unique(self, key: Sequence[int], start: int, n: int, total: int) -> np.ndarray:
        """Unique values from the most probable format family that has room for ``total`` rows.

        E.g. ``faker.name`` in en_US uses "first last" (97% of Faker's names) and only switches to
        the rarer "prefix first last suffix" family when a table needs more names than that has.
        The choice depends on ``total`` only, so every block of a column makes the same one.
        """
        _check_rows(start, n, total)
        spaces = self._unique_spaces()
        if not spaces:
            raise ProviderError(
                f"{self.qualname} has no enumerable value space for locale {self.locale}; "
                "unique needs the engine's de-duplication"
            )
        fitting = [s for s in spaces if s.capacity >= total]
        if not fitting:
            raise ProviderError(
                f"{self.qualname} can produce only {self.capacity:,} distinct values for locale "
                f"{self.locale}; the table needs {total:,} unique rows. Lower the row count, drop "
                "`unique`, or use a provider with more values (e.g. combine it with a number)"
            )
        if n == 0:
            return _faker_vec.objarray([])
        return fitting[0].draw(key, start, n)


class _DateProvider(Provider):
    """Faker's date_time family as one uniform numpy draw relative to ``today`` (``dates``)."""

    vectorized = True

    def __init__(self, qualname: str, locale: str, span: _faker_vec.DateSpan):
        self.qualname, self.locale, self._span = qualname, locale, span
        self.result_kind = span.result_kind

    @property
    def capacity(self) -> int | None:
        return self._span.capacity

    def generate(self, key: Sequence[int], n: int) -> np.ndarray:
        return self._span.sample(_rng(key), n)

    def generate_unique(self, key: Sequence[int], start: int, n: int, total: int) -> np.ndarray:
        _check_rows(start, n, total)
        if total > self._span.capacity:
            raise ProviderError(
                f"{self.qualname} can produce only {self._span.capacity:,} distinct values; the "
                f"table needs {total:,} unique rows. Widen its range, lower the row count, or "
                "drop `unique`"
            )
        return self._span.unique(key, start, n)


# --- locales and cached library instances ---------------------------------------------------------


def _faker_locale(locale: str) -> str:
    from faker.config import AVAILABLE_LOCALES

    norm = str(locale).replace("-", "_")
    by_lower = {loc.lower(): loc for loc in AVAILABLE_LOCALES}
    if norm.lower() in by_lower:
        return by_lower[norm.lower()]
    raise ProviderError(
        f"unknown locale '{locale}' for faker", _close(norm, sorted(AVAILABLE_LOCALES), n=5)
    )


def _mimesis_locale(locale: str) -> str:
    """Faker-style ``nl_NL`` -> a Mimesis ``Locale`` value: ``nl-nl`` if it exists, else ``nl``."""
    from mimesis import Locale

    values = [loc.value for loc in Locale]
    norm = str(locale).replace("_", "-").lower()
    for cand in (norm, norm.split("-")[0]):
        if cand in values:
            return cand
    raise ProviderError(f"unknown locale '{locale}' for mimesis", _close(norm, values, n=5))


@functools.cache
def _faker(locale: str) -> tuple[Any, threading.Lock]:
    from faker import Faker

    fake = Faker(locale)
    gen = fake.factories[0]
    for p in gen.providers:  # defaults read from the clock at import follow `today` instead
        clock.shadow_defaults(p, also=gen)
    return fake, threading.Lock()


@functools.cache
def _faker_vectorizer(locale: str) -> _faker_vec.FakerVectorizer:
    return _faker_vec.FakerVectorizer(_faker(locale)[0])


@functools.cache
def _faker_names(locale: str) -> tuple[str, ...]:
    from faker import Generator

    gen = _faker(locale)[0].factories[0]
    own = set(dir(Generator))
    return tuple(
        sorted(
            n
            for n in dir(gen)
            if not n.startswith("_") and n not in own and callable(getattr(gen, n, None))
        )
    )


@functools.cache
def _mimesis_groups() -> dict[str, type]:
    from mimesis.providers.base import ProviderRegistry

    return {k: v for k, v in sorted(ProviderRegistry.get_all().items()) if k != "generic"}


@functools.cache
def _mimesis_methods(group: str) -> tuple[str, ...]:
    from mimesis.providers.base import BaseDataProvider

    cls = _mimesis_groups()[group]
    own = set(dir(BaseDataProvider))
    return tuple(
        sorted(
            n
            for n in dir(cls)
            if not n.startswith("_") and n not in own and inspect.isfunction(getattr(cls, n))
        )
    )


@functools.cache
def _mimesis(mlocale: str, group: str) -> tuple[Any, threading.Lock]:
    from mimesis import Locale
    from mimesis.providers.base import BaseDataProvider

    cls = _mimesis_groups()[group]
    inst = cls(locale=Locale(mlocale), seed=0) if issubclass(cls, BaseDataProvider) else cls(seed=0)
    clock.shadow_defaults(inst)  # defaults read from the clock at import follow `today` instead
    return inst, threading.Lock()


def available(library: str, locale: str = DEFAULT_LOCALE) -> list[str]:
    """Provider names usable in specs: ``name`` for faker, ``group.name`` for mimesis."""
    if library == "faker":
        return list(_faker_names(_faker_locale(locale)))
    if library == "mimesis":
        _mimesis_locale(locale)
        return [f"{g}.{m}" for g in _mimesis_groups() for m in _mimesis_methods(g)]
    raise ProviderError(f"unknown provider library '{library}'", _close(library, LIBRARIES))


# --- resolve --------------------------------------------------------------------------------------

_RESOLVED: dict[str, Provider] = {}
_RESOLVED_LOCK = threading.Lock()


def resolve(
    library: str,
    path: tuple[str, ...],
    args: tuple = (),
    kwargs: Mapping | None = None,
    locale: str = DEFAULT_LOCALE,
    today: str = clock.DEFAULT_TODAY,
) -> Provider:
    """The provider for ``library.path(*args, **kwargs)`` in ``locale``; raises ProviderError.

    ``today`` (``YYYY-MM-DD``) is the library's clock during every call (``clock.frozen``), so
    providers such as ``faker.past_date`` never depend on the machine's date.

    The provider is called once with a fixed seed to validate the arguments and to learn its result
    kind; then the vectorized path is used when one exists for these arguments. Results are cached.
    """
    path, args, kw = tuple(path), tuple(args), dict(kwargs or {})
    cache_key = repr((library, path, args, sorted(kw.items()), locale, today))
    with _RESOLVED_LOCK:
        hit = _RESOLVED.get(cache_key)
    if hit is not None:
        return hit
    if library == "faker":
        prov = _resolve_faker(path, args, kw, locale, today)
    elif library == "mimesis":
        prov = _resolve_mimesis(path, args, kw, locale, today)
    else:
        raise ProviderError(
            f"unknown provider library '{library}'", _close(str(library), LIBRARIES)
        )
    with _RESOLVED_LOCK:
        return _RESOLVED.setdefault(cache_key, prov)


def _signature(fn: Callable) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"


def _call_text(qualname: str, args: tuple, kwargs: dict[str, Any]) -> str:
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{qualname}({', '.join(shown)})"


def _validate(
    qualname: str,
    fn: Callable,
    generic: _GenericProvider,
    args: tuple,
    kwargs: dict[str, Any],
    names: Sequence[str] = (),
) -> None:
    """Calls with a fixed seed, so bad arguments and unusable results fail at resolve time.

    The first call checks the arguments; then ``_PROBE_CALLS`` values (one, when a call is slow)
    tell the result kind: values no column type holds (tuples, bytes, a mix of int and text) are
    an E370 error here, not pyarrow's message at generate, and a None marks the provider nullable.
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        for k in kwargs:
            if k not in params:
                raise ProviderError(
                    f"{qualname} has no argument '{k}'; "
                    f"its signature is {qualname}{_signature(fn)}",
                    _close(k, [p for p in params if p != "self"]),
                )
    seed = _seed_int(_VALIDATION_KEY)
    try:
        started = time.perf_counter()
        samples = generic._call(seed, 1)
        if time.perf_counter() - started < _SLOW_CALL_S:
            samples = generic._call(seed, _PROBE_CALLS)
    except Exception as exc:  # the library's own check (TypeError, ValueError, ...) is the message
        raise ProviderError(
            f"bad arguments for {_call_text(qualname, args, kwargs)}: "
            f"{type(exc).__name__}: {exc}; the signature is {qualname}{_signature(fn)}"
        ) from exc
    _reproducible(qualname, generic, seed, samples)
    try:
        probe = _provider_types.classify(qualname, samples, result_kind, names)
    except _provider_types.ProbeError as exc:
        raise ProviderError(exc.message, code="E370", hint=exc.hint) from None
    generic.result_kind, generic.to_text = probe.kind, probe.to_text
    generic.nullable = probe.nullable


# Providers whose values depend on the process, not on the seed: Python's per-process hash order
# (a set's or dict's iteration order turned into text). Seeding cannot fix them.
_HASH_ORDERED = frozenset({"mimesis.internet.query_string"})


def _reproducible(qualname: str, generic: _GenericProvider, seed: int, samples: list) -> None:
    """E372 for a provider whose values the seed does not decide: the same seed must give the same
    values (``mimesis.cryptographic.token_hex`` reads the system's ``secrets``), and nothing may
    depend on the process's hash order."""
    again = samples[:4] if qualname in _HASH_ORDERED else generic._call(seed, min(4, len(samples)))
    if qualname in _HASH_ORDERED or [repr(v) for v in again] != [repr(v) for v in samples[:4]]:
        raise ProviderError(
            f"{qualname} gives other values on every run, whatever the seed (it reads the "
            "system's randomness or the process's hash order), so output would not be "
            "reproducible",
            code="E372",
            hint="use another provider, or build the value with format() from reproducible parts",
        )


def _vectorized_or(generic: _GenericProvider, build: Callable[[], _faker_vec.Node]) -> Provider:
    """The vectorized provider when one exists and yields text, else the generic one."""
    if generic.result_kind != "text" or generic.to_text or generic.nullable:
        return generic
    try:
        node = build()
        vec = _VectorProvider(generic.qualname, generic.locale, node)
        probe = vec.generate(_VALIDATION_KEY, 8)
    except Exception:  # NotVectorizable, or data the builders did not expect: stay generic
        return generic
    if probe.shape != (8,) or not all(isinstance(v, str) for v in probe):
        return generic
    return vec


def _resolve_faker(
    path: tuple[str, ...], args: tuple, kw: dict[str, Any], locale: str, today: str
) -> Provider:
    loc = _faker_locale(locale)
    names = _faker_names(loc)
    if len(path) != 1:
        hint = [p for p in path if p in names][-1:]
        raise ProviderError(
            f"faker providers are written faker.NAME(...), not faker.{'.'.join(path)}", hint
        )
    name = path[0]
    qualname = f"faker.{name}"
    if name not in names:
        raise ProviderError(
            f"unknown faker provider '{name}' for locale {loc}", _close(name, names)
        )
    fake, lock = _faker(loc)

    def call(seed: int, n: int) -> list[Any]:
        with lock, clock.frozen(today):
            fake.seed_instance(seed)
            fn = getattr(fake, name)
            return [fn(*args, **kw) for _ in range(n)]

    generic = _GenericProvider(qualname, loc, call)
    _validate(qualname, getattr(fake, name), generic, args, kw, names)
    if generic.result_kind in ("date", "datetime"):
        try:
            span = _faker_vec.date_span(getattr(fake, name), args, kw, today)
            if span.result_kind == generic.result_kind:
                return _DateProvider(qualname, loc, span)
        except _faker_vec.NotVectorizable:
            pass
    return _vectorized_or(generic, lambda: _faker_vectorizer(loc).node(name, args, kw))


def _resolve_mimesis(
    path: tuple[str, ...], args: tuple, kw: dict[str, Any], locale: str, today: str
) -> Provider:
    groups = _mimesis_groups()
    if len(path) != 2:
        last = path[-1] if path else ""
        hint = [f"{g}.{last}" for g in groups if last in _mimesis_methods(g)]
        raise ProviderError(
            f"mimesis providers are written mimesis.GROUP.NAME(...), not mimesis.{'.'.join(path)}",
            hint,
        )
    group, name = path
    if group not in groups:
        raise ProviderError(
            f"unknown mimesis provider group '{group}'", _close(group, list(groups))
        )
    methods = _mimesis_methods(group)
    if name not in methods:
        hint = _close(name, methods) or [
            f"{g}.{name}" for g in groups if name in _mimesis_methods(g)
        ]
        raise ProviderError(f"unknown mimesis provider '{group}.{name}'", hint)
    mloc = _mimesis_locale(locale)
    inst, lock = _mimesis(mloc, group)
    qualname = f"mimesis.{group}.{name}"
    args, kw = _coerce_enums(getattr(inst, name), args, kw)

    def call(seed: int, n: int) -> list[Any]:
        with lock, clock.frozen(today):
            inst.reseed(seed)
            fn = getattr(inst, name)
            return [fn(*args, **kw) for _ in range(n)]

    generic = _GenericProvider(qualname, str(locale), call)
    _validate(qualname, getattr(inst, name), generic, args, kw, methods)
    return _vectorized_or(generic, lambda: _mimesis_vec.build(inst, name, args, kw))


def _coerce_enums(fn: Callable, args: tuple, kw: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """Spec literals are strings; Mimesis wants enums (``gender="female"`` -> ``Gender.FEMALE``)."""
    try:
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
        bound = sig.bind_partial(*args, **kw)
    except Exception:  # unresolvable hints or a binding error: leave it to the validating call
        return args, kw
    for pname, value in list(bound.arguments.items()):
        if not isinstance(value, str):
            continue
        for cls in _enum_types(hints.get(pname)):
            member = _enum_member(cls, value)
            if member is not None:
                bound.arguments[pname] = member
                break
    return tuple(bound.args), dict(bound.kwargs)


def _enum_types(hint: Any) -> list[type[enum.Enum]]:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [hint]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [
            t for t in typing.get_args(hint) if isinstance(t, type) and issubclass(t, enum.Enum)
        ]
    return []


def _enum_member(cls: type[enum.Enum], value: str) -> enum.Enum | None:
    for member in cls:
        if value.lower() in (member.name.lower(), str(member.value).lower()):
            return member
    return None
