"""Named mutation classes for ``.synth`` specs: each is a pure function of (spec text, rng) -> text.

A class is a kind of input that once broke (or could break) the engine: deep expressions, huge
literals, odd unicode, type-confusing operands, extreme distribution parameters, table names that
are not file names, broken brackets -- and generic edits (tokens deleted, duplicated or swapped,
numbers made extreme, lines dropped, ``unique`` added, ``?`` toggled, ...). Being pure functions of
a seeded ``random.Random``, a mutant is reproduced from (seed, class, case number) alone, and the
driver can report outcomes per class. The edits are textual on purpose: a mutant need not parse.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from tests.fuzz.vocab import (
    BAD_TABLE_NAMES,
    DEPTHS,
    DISTRIBUTIONS,
    EXTREME_DRAWS,
    EXTREME_NUMBERS,
    KEYWORDS,
    ODD_STRINGS,
    ODD_TEXT,
    OPERANDS,
    OPERATORS,
)

Mutator = Callable[[str, random.Random], str]
MUTATORS: dict[str, Mutator] = {}

TOKEN = re.compile(
    r'"(?:[^"\\\n]|\\.)*"|`[^`\n]*`|[A-Za-z_][A-Za-z0-9_]*|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?'
    r"|\.\d+|->|==|!=|<=|>=|//[^\n]*|\s+|."
)
NUMBER = re.compile(r"\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+")
STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TYPES = ("int", "float", "text", "date", "datetime", "bool", "decimal(10, 2)", 'enum("a", "b")')
COLUMN = re.compile(
    r"^(\s+)(`[^`\n]*`|[A-Za-z_]\w*)\s+"
    r"(int|float|text|date|datetime|bool|decimal\([^)]*\)|enum\([^)]*\))(\?)?"
)
TABLE = re.compile(r"^table\s+(`[^`\n]*`|[A-Za-z_]\w*)\s*\{", re.M)


def mutator(fn: Mutator) -> Mutator:
    """Register a mutation class under its function's name (the name the outcome table shows)."""
    MUTATORS[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------ helpers


def tokens(text: str) -> list[str]:
    """The text split into tokens (whitespace and comments kept), so ``"".join`` gives it back."""
    return TOKEN.findall(text)


def _replace_match(text: str, pattern: re.Pattern[str], rng: random.Random, new: str) -> str:
    """Replace one random match of ``pattern`` with ``new`` (the text unchanged when none)."""
    found = list(pattern.finditer(text))
    if not found:
        return text
    m = rng.choice(found)
    return text[: m.start()] + new + text[m.end() :]


def _lines_in_tables(text: str) -> list[int]:
    """Indices of the lines strictly inside a table block: where a new member can go after."""
    out, inside = [], False
    for i, line in enumerate(text.split("\n")):
        if TABLE.match(line):
            inside = True
            out.append(i)
        elif inside and line.startswith("}"):
            inside = False
        elif inside and re.match(r"\s+rows\b", line):
            out.append(i)
    return out


def insert_member(text: str, rng: random.Random, member: str) -> str:
    """Add ``member`` (a column or rule) to a random table; a new table when the spec has none.

    It goes after a table's header or its ``rows`` line, which always end a statement, so the rest
    of the spec keeps its meaning and the mutant tests the member, not a broken neighbour.
    """
    lines = text.split("\n")
    spots = _lines_in_tables(text)
    if not spots:
        return text + f"\ntable fz_new {{\n  rows 3\n  {member}\n}}\n"
    i = rng.choice(spots)
    lines.insert(i + 1, "  " + member)
    return "\n".join(lines)


def columns(text: str) -> list[tuple[int, str, str, bool]]:
    """(line index, name, type, nullable) of each column line the regex recognizes."""
    out = []
    for i, line in enumerate(text.split("\n")):
        m = COLUMN.match(line)
        if m and m.group(2) not in KEYWORDS:
            out.append((i, m.group(2), m.group(3), bool(m.group(4))))
    return out


def _depth(rng: random.Random) -> int:
    return rng.choice(DEPTHS)


# ------------------------------------------------------------------ classes from the issue


@mutator
def deep_plus(text: str, rng: random.Random) -> str:
    """A long ``+`` chain (left-nested in the parse tree)."""
    op = rng.choice(["+", "-", "*"])
    return insert_member(text, rng, "fz_plus int = " + f" {op} ".join(["1"] * _depth(rng)))


@mutator
def deep_and(text: str, rng: random.Random) -> str:
    """A long ``and``/``or`` chain in a rule."""
    op = rng.choice(["and", "or", "implies"])
    return insert_member(text, rng, "rule fz_and: " + f" {op} ".join(["true"] * _depth(rng)))


@mutator
def deep_not(text: str, rng: random.Random) -> str:
    """Nested ``not``."""
    return insert_member(text, rng, "fz_not bool = " + "not " * _depth(rng) + "true")


@mutator
def deep_call(text: str, rng: random.Random) -> str:
    """Nested calls and brackets: ``abs(abs(...))``, ``((...))``, ``coalesce(coalesce(...))``."""
    n = _depth(rng)
    opener, closer = rng.choice(
        [("abs(", ")"), ("(", ")"), ("coalesce(", ", 1)"), ("round(", ", 1)"), ("[", "]")]
    )
    return insert_member(text, rng, "fz_call float = " + opener * n + "-1.5" + closer * n)


@mutator
def deep_neg(text: str, rng: random.Random) -> str:
    """Nested unary minus, with or without brackets."""
    n = _depth(rng)
    body = "- " * n + "1" if rng.random() < 0.5 else "-(" * n + "1" + ")" * n
    return insert_member(text, rng, "fz_neg int = " + body)


@mutator
def deep_if(text: str, rng: random.Random) -> str:
    """Nested ``if ... then ... else``, in the else branch or the then branch."""
    n = _depth(rng)
    if rng.random() < 0.5:
        body = "if false then 1 else " * n + "0"
    else:
        body = "if true then " * n + "1" + " else 0" * n
    return insert_member(text, rng, "fz_if int = " + body)


@mutator
def huge_int(text: str, rng: random.Random) -> str:
    """An integer literal near or past Python's 4300-digit limit, in a column, ``rows`` or anywhere."""
    big = rng.choice(["9" * 4300, "9" * 4301, "1" + "0" * 5000, "9" * 20, "1" + "0" * 400 + ".5"])
    where = rng.randrange(3)
    if where == 0:
        return insert_member(text, rng, f"fz_big int = {big}")
    if where == 1:
        return _replace_match(text, re.compile(r"(?<=rows )[\d_]+"), rng, big)
    return _replace_match(text, NUMBER, rng, big)


@mutator
def odd_unicode(text: str, rng: random.Random) -> str:
    """Lone surrogates, NUL, bidi marks, BOM, escapes, combining marks: in strings, names or anywhere."""
    odd = "".join(rng.choice(ODD_TEXT) for _ in range(rng.randint(1, 3)))
    where = rng.randrange(4)
    if where == 0:  # inside a string literal
        found = list(STRING.finditer(text))
        if found:
            m = rng.choice(found)
            cut = rng.randint(m.start() + 1, m.end() - 1)
            return text[:cut] + odd + text[cut:]
    if where == 1:  # a column named with it, between backticks
        return insert_member(text, rng, f"`fz{odd}` int = 1")
    if where == 2:  # glued to a name, without backticks
        return _replace_match(text, NAME, rng, rng.choice(["fz", "x", "id"]) + odd)
    i = rng.randint(0, len(text))
    return text[:i] + odd + text[i:]


@mutator
def type_confusion(text: str, rng: random.Random) -> str:
    """Operands of the wrong types for the operator: ``d * null``, ``"x" - date(...)``, ..."""
    names = [c[1] for c in columns(text)] or ["fz_missing"]
    pick = [*OPERANDS, *names, *names]
    a, b = rng.choice(pick), rng.choice(pick)
    op = rng.choice(OPERATORS)
    expr = f"{a} {op} null" if op == "is" else f"{a} {op} {b}"
    if rng.random() < 0.5:
        return insert_member(text, rng, f"rule fz_tc: {expr} or true")
    typ = rng.choice(TYPES)
    return insert_member(text, rng, f"fz_tc {typ}{rng.choice(['', '?'])} = {expr}")


@mutator
def extreme_dist(text: str, rng: random.Random) -> str:
    """A column drawn with parameters at the edge of (or past) what the distribution allows."""
    return insert_member(text, rng, "fz_x " + rng.choice(EXTREME_DRAWS))


@mutator
def bad_table_name(text: str, rng: random.Random) -> str:
    """A table renamed (everywhere it is named) to something that is not a file name."""
    found = TABLE.findall(text)
    new = rng.choice(BAD_TABLE_NAMES)
    if not found:
        return text + f"\ntable {new} {{\n  rows 2\n  x int = 1\n}}\n"
    old = rng.choice(found)
    if old.startswith("`"):
        return text.replace(old, new)
    return re.sub(rf"(?<![\w`\"]){re.escape(old)}(?![\w`])", lambda _: new, text)


@mutator
def broken_brackets(text: str, rng: random.Random) -> str:
    """Brackets, quotes or backticks deleted, added or left unclosed."""
    how = rng.randrange(5)
    if how == 0:  # delete one bracket
        return _replace_match(text, re.compile(r"[()\[\]{}]"), rng, "")
    if how == 1:  # add an opening bracket at a token boundary
        toks = tokens(text)
        toks.insert(rng.randint(0, len(toks)), rng.choice("([{"))
        return "".join(toks)
    if how == 2:  # one closer too many
        return _replace_match(text, re.compile(r"[)\]}]"), rng, rng.choice([")", "]", "}"]) * 2)
    if how == 3:  # an unclosed string or backtick
        return _replace_match(text, re.compile(r'["`]'), rng, rng.choice(['"', "`", '""', "``"]))
    return insert_member(text, rng, "fz_br int = " + rng.choice(["(1", "abs(1", "[1, 2", "((1)"]))


# ------------------------------------------------------------------ generic classes


@mutator
def delete_token(text: str, rng: random.Random) -> str:
    """One non-blank token deleted."""
    toks = tokens(text)
    spots = [i for i, t in enumerate(toks) if not t.isspace()]
    if spots:
        del toks[rng.choice(spots)]
    return "".join(toks)


@mutator
def duplicate_token(text: str, rng: random.Random) -> str:
    """One non-blank token written twice."""
    toks = tokens(text)
    spots = [i for i, t in enumerate(toks) if not t.isspace()]
    if spots:
        i = rng.choice(spots)
        toks.insert(i, toks[i] + rng.choice(["", " "]))
    return "".join(toks)


@mutator
def swap_tokens(text: str, rng: random.Random) -> str:
    """Two non-blank tokens swapped: neighbours, or any two."""
    toks = tokens(text)
    spots = [i for i, t in enumerate(toks) if not t.isspace()]
    if len(spots) >= 2:
        k = rng.randrange(len(spots) - 1)
        i, j = (spots[k], spots[k + 1]) if rng.random() < 0.6 else rng.sample(spots, 2)
        toks[i], toks[j] = toks[j], toks[i]
    return "".join(toks)


@mutator
def extreme_number(text: str, rng: random.Random) -> str:
    """A number literal replaced by an extreme: 0, -1, 1e308, 2**63, 1e-308, ..."""
    return _replace_match(text, NUMBER, rng, rng.choice(EXTREME_NUMBERS))


@mutator
def replace_string(text: str, rng: random.Random) -> str:
    """A string literal replaced: empty, format fields, impossible dates, paths, very long."""
    return _replace_match(text, STRING, rng, rng.choice(ODD_STRINGS))


@mutator
def replace_identifier(text: str, rng: random.Random) -> str:
    """A name replaced by another name of the same spec, a keyword or a type name."""
    found = [m for m in NAME.finditer(text)]
    if not found:
        return text
    m = rng.choice(found)
    pool = [f.group() for f in found] + sorted(KEYWORDS) + list(DISTRIBUTIONS)
    return text[: m.start()] + rng.choice(pool) + text[m.end() :]


@mutator
def duplicate_line(text: str, rng: random.Random) -> str:
    """A line written twice (a duplicate column, rule, table header or ``rows``)."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    lines.insert(rng.choice([i, rng.randrange(len(lines))]), lines[i])
    return "\n".join(lines)


@mutator
def delete_line(text: str, rng: random.Random) -> str:
    """A non-blank line deleted (often a column others read, or a ``rows`` line)."""
    lines = text.split("\n")
    spots = [i for i, line in enumerate(lines) if line.strip()]
    if spots:
        del lines[rng.choice(spots)]
    return "\n".join(lines)


@mutator
def swap_lines(text: str, rng: random.Random) -> str:
    """Two lines swapped."""
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@mutator
def add_unique(text: str, rng: random.Random) -> str:
    """``unique`` (sometimes ``key``) added to a column."""
    cols = columns(text)
    if not cols:
        return text
    lines = text.split("\n")
    i = rng.choice(cols)[0]
    lines[i] = re.sub(r"\s*(//.*)?$", "", lines[i]) + rng.choice([" unique", " key", " unique key"])
    return "\n".join(lines)


@mutator
def toggle_nullable(text: str, rng: random.Random) -> str:
    """A column's ``?`` added or removed (and sometimes a ``nulls`` modifier with it)."""
    cols = columns(text)
    if not cols:
        return text
    lines = text.split("\n")
    i, _, _, nullable = rng.choice(cols)
    m = COLUMN.match(lines[i])
    assert m is not None
    head = m.group(0)
    new_head = head[:-1] if nullable else head + "?"
    lines[i] = new_head + lines[i][len(head) :]
    if rng.random() < 0.3:
        lines[i] = re.sub(r"\s*(//.*)?$", "", lines[i]) + rng.choice([" nulls 50%", " nulls 100%"])
    return "\n".join(lines)


@mutator
def swap_distribution(text: str, rng: random.Random) -> str:
    """A distribution's name replaced by another, arguments kept (wrong arity, wrong domain)."""
    pattern = re.compile(rf"\b({'|'.join(DISTRIBUTIONS)}|categorical|empirical|mixture)(?=\()")
    pool = [*DISTRIBUTIONS, "categorical", "empirical", "mixture", "serial", "abs", "faker.name"]
    return _replace_match(text, pattern, rng, rng.choice(pool))


@mutator
def extreme_rows(text: str, rng: random.Random) -> str:
    """A table's row count (fixed or per parent) made extreme."""
    if rng.random() < 0.5:
        new = rng.choice(["0", "1", "-1", str(2**63), str(2**63 - 1), "1e9", "1.5", "null", '"3"'])
        return _replace_match(text, re.compile(r"(?<=rows )[\d_]+"), rng, new)
    dist = rng.choice(
        [
            "poisson(4294967296)",
            "poisson(1e308)",
            "poisson(0)",
            "uniform(0, 1e308)",
            "uniform(-5, -1)",
            "geometric(1e-308)",
            "normal(0, 1)",
            "categorical(0: 0.5, 9223372036854775807: 0.5)",
            "0",
            "-1",
            str(2**63),
            "poisson(3) clamp(0, 9223372036854775807)",
            "poisson(3) clamp(5, 1)",
        ]
    )
    per = list(re.finditer(r"(rows\s+per\s+\S+\s*~\s*)([^\n]+)", text))
    if per:
        m = rng.choice(per)
        return text[: m.start(2)] + dist + text[m.end(2) :]
    tables = TABLE.findall(text) or ["fz_nope"]
    new = f"rows per {rng.choice(tables)} ~ {dist}"
    return _replace_match(text, re.compile(r"rows [\d_]+"), rng, new)


@mutator
def negate_rule(text: str, rng: random.Random) -> str:
    """A rule's condition negated (usually unsatisfiable with the rest of the spec)."""
    found = list(re.finditer(r"(rule\s+\S+\s*:\s*)([^\n]+)", text))
    if not found:
        return insert_member(text, rng, "rule fz_never: false")
    m = rng.choice(found)
    return text[: m.start(2)] + "not (" + m.group(2) + ")" + text[m.end(2) :]


@mutator
def extreme_modifier(text: str, rng: random.Random) -> str:
    """A column's modifiers made extreme: ``nulls 101%``, ``round(-1)``, ``clamp(hi, lo)``, ..."""
    cols = columns(text)
    if not cols:
        return text
    lines = text.split("\n")
    i = rng.choice(cols)[0]
    mod = rng.choice(
        [
            "nulls 0%",
            "nulls 100%",
            "nulls 101%",
            "nulls 1e308%",
            "round(-1)",
            "round(400)",
            "round(0)",
            "clamp(1e308, -1e308)",
            "clamp(0, 0)",
            "clamp(null, 1)",
            'clamp("a", "b")',
            "round(1) round(2)",
            "nulls 5% nulls 10%",
        ]
    )
    lines[i] = re.sub(r"\s*(//.*)?$", "", lines[i]) + " " + mod
    return "\n".join(lines)


@mutator
def truncate(text: str, rng: random.Random) -> str:
    """The text cut at a random point (an unfinished edit)."""
    return text[: rng.randint(0, len(text))]
