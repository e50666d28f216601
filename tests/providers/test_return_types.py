"""Providers' return types are probed at check time (issue 10).

A provider whose values no column type holds (tuples, lists, dicts, bytes, a mix of int and text) is
an E370 check error with a caret and a hint, every such column in one run; one that returns None
fills only a nullable column (E371 otherwise); values with a natural text form become text.
The sweep over every Faker (en_US) and Mimesis provider callable without arguments checks that
each one either fails `check` with a rendered diagnostic or generates 50 rows: no traceback.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import synthdsl
from synthdsl.errors import SpecError, SynthError
from synthdsl.expr.providers import ProviderError, available, resolve

SPEC_TYPES = {"int": "int", "float": "float", "bool": "bool", "date": "date"}
SPEC_TYPES |= {"datetime": "datetime", "decimal": "float", "text": "text"}
RENDERED = re.compile(r"^<string>:\d+:\d+: error\[E\d{3}\]: ", re.M)


def spec(*columns: str, rows: int = 20) -> str:
    body = "\n".join(f"  {c}" for c in columns)
    return f"table t {{\n  rows {rows}\n{body}\n}}\n"


def check_errors(text: str) -> list[tuple[str, int, str, str | None]]:
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(text)
    return [(d.code, d.span.line, d.message, d.hint) for d in exc.value.diagnostics]


def test_unusable_providers_are_all_reported_in_one_check_run_with_hints():
    errors = check_errors(
        spec(
            "a text = faker.latlng()",
            "b text = faker.words()",
            "c text = faker.image()",
            "d text = mimesis.address.coordinates()",
            "e text = faker.pydict()",
            "f text = mimesis.datetime.duration()",
            "ok text = faker.name()",
        )
    )
    assert [(code, line) for code, line, _, _ in errors] == [("E370", n) for n in range(3, 9)]
    by_line = {line: (msg, hint) for _, line, msg, hint in errors}
    assert "faker.latlng() returns a tuple" in by_line[3][0]
    assert "faker.latitude()" in by_line[3][1]
    assert "returns a list" in by_line[4][0] and "faker.word()" in by_line[4][1]
    assert "returns bytes" in by_line[5][0] and "PNG" not in by_line[5][0]
    assert "faker.sha256()" in by_line[5][1]
    assert "returns a dict" in by_line[6][0] and "mimesis.address.latitude()" in by_line[6][1]
    assert "returns a dict" in by_line[7][0] and "own column" in by_line[7][1]
    assert "duration" in by_line[8][0] and "number" in by_line[8][1]


@pytest.mark.parametrize("typ", ["int", "int?", "text", "text?", "float"])
def test_random_digit_or_empty_fits_no_type(typ):
    [(code, line, msg, hint)] = check_errors(spec(f"x {typ} = faker.random_digit_or_empty()"))
    assert (code, line) == ("E370", 3)
    assert "mix of int" in msg and "text" in msg
    assert "faker.random_digit()" in hint


def test_a_provider_returning_none_needs_a_nullable_column_with_caret_and_hint():
    with pytest.raises(SpecError) as exc:
        synthdsl.loads(spec("x text = faker.pyobject()", "y bool = faker.null_boolean()"))
    rendered = str(exc.value)
    assert "<string>:3:12: error[E371]: faker.pyobject() can return null" in rendered
    assert "x text = faker.pyobject()\n" in rendered and "^^^^^^^^^^^^^^^^" in rendered
    assert "hint: declare it `x text?`" in rendered
    assert "<string>:4:12: error[E371]" in rendered and "`y bool?`" in rendered


def test_a_nullable_column_keeps_the_providers_nulls():
    frame = synthdsl.loads(
        spec("x text? = faker.pyobject()", "y bool? = faker.null_boolean()", rows=300)
    ).generate()["t"]
    assert frame["x"].isna().all()
    nulls = frame["y"].isna()
    assert 0 < nulls.sum() < 300  # None, True and False each about a third
    assert set(frame["y"][~nulls]) == {True, False}


def test_mimesis_patronymic_is_nullable_where_the_locale_has_none():
    text = 'locale "en_US"\n' + spec("x text = mimesis.person.patronymic()")
    assert [c for c, *_ in check_errors(text)] == ["E371"]
    ru = 'locale "ru_RU"\n' + spec("x text = mimesis.person.patronymic()")
    frame = synthdsl.loads(ru).generate()["t"]
    assert frame["x"].str.len().min() > 0


def test_values_with_a_natural_text_form_become_text(tmp_path: Path):
    text = spec(
        "a text = faker.pytimezone()",
        "b text = faker.time_object()",
        "c text = mimesis.internet.ip_v4_object()",
        "d text = mimesis.internet.ip_v6_object()",
        "e text = mimesis.cryptographic.uuid_object()",
        "f text = upper(faker.pytimezone())",
    )
    synthdsl.loads(text).write(tmp_path, format="parquet")
    table = pq.read_table(tmp_path / "t.parquet").to_pydict()
    assert all("/" in v or v == "UTC" for v in table["a"])
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d(\.\d{6})?", v) for v in table["b"])
    assert all(isinstance(ipaddress.ip_address(v), ipaddress.IPv4Address) for v in table["c"])
    assert all(isinstance(ipaddress.ip_address(v), ipaddress.IPv6Address) for v in table["d"])
    assert all(uuid.UUID(v).version == 4 for v in table["e"])
    assert all(v == v.upper() for v in table["f"])


def test_resolve_reports_the_code_and_the_hint():
    with pytest.raises(ProviderError) as exc:
        resolve("faker", ("pytuple",))
    assert exc.value.code == "E370" and exc.value.hint
    prov = resolve("faker", ("pyobject",))
    assert prov.nullable and not prov.vectorized
    assert not resolve("faker", ("name",)).nullable


def test_a_provider_the_seed_does_not_decide_is_e372():
    """``query_string`` orders a dict by the process's hash seed: two runs of one spec and seed
    gave different files. It is refused at check time, with the other columns still checked."""
    errs = check_errors(
        spec("a text = mimesis.internet.query_string()", "b text = faker.name()", "c int = nope")
    )
    codes = [(code, line) for code, line, _, _ in errs]
    assert codes[0] == ("E372", 3) and len(codes) == 2 and codes[1][1] == 5
    assert "not be reproducible" in errs[0][2] and errs[0][3]


def _natural_type(library: str, name: str) -> str | None:
    """The column type a provider's values fit (with ``?`` when it returns None)."""
    try:
        prov = resolve(library, tuple(name.split(".")))
    except ProviderError:
        return None
    return SPEC_TYPES.get(prov.result_kind, "text") + ("?" if prov.nullable else "")


@pytest.mark.slow
@pytest.mark.parametrize("library", ["faker", "mimesis"])
def test_every_provider_fails_check_cleanly_or_generates(library: str, tmp_path: Path):
    """No provider passes `check` and then fails at `generate` (or ends in a traceback)."""
    failures: list[str] = []
    for name in available(library):
        for typ in dict.fromkeys(["text", _natural_type(library, name) or "text"]):
            text = spec(f"x {typ} = {library}.{name}()", rows=50)
            try:
                loaded = synthdsl.loads(text)
            except SpecError as exc:
                if not RENDERED.search(str(exc)):
                    failures.append(f"{name} as {typ}: unrendered check error {exc}")
                continue
            except Exception as exc:  # a traceback for the user
                failures.append(f"{name} as {typ}: check raised {type(exc).__name__}: {exc}")
                continue
            try:
                loaded.write(tmp_path / name.replace(".", "_"), format="parquet")
            except (SynthError, Exception) as exc:
                failures.append(f"{name} as {typ}: generate raised {type(exc).__name__}: {exc}")
    assert failures == []
