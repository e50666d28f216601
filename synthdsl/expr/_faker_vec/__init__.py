"""Vectorized identifier strings: node trees drawn with numpy from Faker's own locale data.

Input: a single-locale ``faker.Faker`` plus a provider name and its literal arguments.
Output: a ``Node`` whose ``sample(rng, n)`` returns an object array of ``n`` strings drawn from
the same lists, weights and formats the Faker provider uses; ``NotVectorizable`` when the
provider (or a token it uses) has no known vectorized form, so the caller keeps the generic path.

Why a tree: most Faker providers are "pick a format, fill its ``{{tokens}}`` from other
providers, replace ``#``/``?`` placeholders". Reading that structure once (from the provider's
attributes, and for locale overrides by matching the method's source against a handful of exact
one-line shapes) lets a whole block be drawn with one ``rng`` call per token per format instead
of one Faker call per row.

The same tree describes value spaces (``Node.spaces()``: literal text and finite domains) that
``UniqueSpace`` maps a keyed bijection onto, so distinct row indices give distinct strings
without any coordination between blocks. ``_mimesis_vec`` builds the same nodes from Mimesis'
JSON data.

Not reproduced by the vectorized path (documented so nothing relies on it): Faker's exact output
for a given seed; ``slugify``'s strip/collapse at the boundary between concatenated parts of user
names (each part is folded on its own); placeholders (``#``, ``?``) inside *token values* (no
shipped data has them); ``{{token:argument_group}}`` tokens and any method whose source is not
one of the known shapes (those providers stay on the generic path). Unique draws enumerate one
format family at a time and treat optional digits (``!``, ``@``) as always present.

The package, one job per module: ``nodes`` (the node tree and how a block is drawn), ``space``
(the value spaces of nodes, for unique draws), ``unique`` (a keyed bijection over such a space),
``shapes`` (recognizing provider methods by their source), ``handwritten`` (builders for the
base-class methods with more logic), ``vectorizer`` (a Faker provider -> its node) and ``dates``
(Faker's date_time family as uniform draws relative to the spec's reference date).
"""

from synthdsl.expr._faker_vec.dates import DateSpan, date_span
from synthdsl.expr._faker_vec.handwritten import first_word
from synthdsl.expr._faker_vec.nodes import (
    FAKER_NUMERIFY,
    Choice,
    IntRange,
    Node,
    NotVectorizable,
    Part,
    Pattern,
    Slot,
    Template,
    TextFn,
    objarray,
    weighted,
)
from synthdsl.expr._faker_vec.shapes import method_body
from synthdsl.expr._faker_vec.space import Atom, Candidate, Domain, normalize_atoms
from synthdsl.expr._faker_vec.unique import UniqueSpace, feistel_permute
from synthdsl.expr._faker_vec.vectorizer import FakerVectorizer

__all__ = [
    "FAKER_NUMERIFY",
    "Atom",
    "Candidate",
    "Choice",
    "DateSpan",
    "Domain",
    "FakerVectorizer",
    "IntRange",
    "Node",
    "NotVectorizable",
    "Part",
    "Pattern",
    "Slot",
    "Template",
    "TextFn",
    "UniqueSpace",
    "date_span",
    "feistel_permute",
    "first_word",
    "method_body",
    "normalize_atoms",
    "objarray",
    "weighted",
]
