"""What an X12 element can carry: one rule for the scrubber and the renderers.

An 837P element may hold only the X12 5010 extended character set (the basic set: A-Z,
0-9, space and ``!"&'()*+,-./:;?=``; plus lower case and ``%~@[]_{}\\|<>^`#$``), never one
of the interchange's four delimiters (claimflow writes ``*`` ``:`` ``^`` ``~``), and no
more characters than the guide's maximum for the element.

Names are written in capitals and may be transliterated where a standard way exists:
Unicode's compatibility decomposition (NFKD) strips accents (``José`` -> ``JOSE``), and a
short table spells the Latin letters that have no decomposition (``ß`` -> ``SS``, ``Ø`` ->
``O``). Anything else (a name in CJK, Cyrillic or Arabic script) has no one agreed Latin
spelling, so it is refused rather than guessed. Identifiers are never changed at all:
changing an id changes whom it names.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from claims.x12.parse import DEFAULT_DELIMITERS, Delimiters

BASIC = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"&'()*+,-./:;?=")
EXTENDED = BASIC | frozenset("abcdefghijklmnopqrstuvwxyz%~@[]_{}\\|<>^`#$")

# Latin letters (and typographic punctuation) NFKD leaves alone, with their usual spelling.
_SPELLED = str.maketrans(
    {
        "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o",
        "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th",
        "ı": "i", "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t", "ĸ": "q", "Ŋ": "NG", "ŋ": "ng",
        "‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "‐": "-", "‑": "-", "‒": "-",
        "–": "-", "—": "-",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=16)
def carried(delimiters: Delimiters = DEFAULT_DELIMITERS) -> frozenset[str]:
    """The characters an element may hold in an interchange with these delimiters."""
    return EXTENDED - {
        delimiters.element,
        delimiters.component,
        delimiters.repetition,
        delimiters.segment,
    }


@functools.lru_cache(maxsize=65536)
def transliterate(text: str) -> str:
    """``text`` with accents stripped and Latin letters spelled in ASCII where a standard
    way exists; characters with none are left as they are (for the caller to refuse)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPELLED))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPELLED)


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value cannot go into an element.

    ``rule`` is ``delimiter``, ``character`` or ``length``. ``detail`` says what is wrong
    without quoting the value (it may be PHI): it shows only a delimiter and positions.
    ``chars`` are the offending characters, for messages about values that are not PHI.
    """

    rule: str
    detail: str
    chars: str = ""


def _count(value: str) -> str:
    return "1 character" if len(value) == 1 else f"{len(value)} characters"


def _chars_problem(value: str, delimiters: Delimiters, what: str) -> Problem | None:
    allowed = carried(delimiters)
    bad = [(i, c) for i, c in enumerate(value, start=1) if c not in allowed]
    if not bad:
        return None
    delims = [(i, c) for i, c in bad if c in delimiters]
    if delims:
        i, c = delims[0]
        return Problem("delimiter", f"contains {c!r} (position {i}), an X12 delimiter", c)
    chars = "".join(dict.fromkeys(c for _, c in bad))
    count = f"{len(bad)} characters" if len(bad) > 1 else "a character"
    return Problem(
        "character",
        f"has {count} {what}outside the X12 character set (the first at position {bad[0][0]})",
        chars,
    )


@functools.lru_cache(maxsize=65536)
def name_value(text: str, limit: int, delimiters: Delimiters = DEFAULT_DELIMITERS) -> str | Problem:
    """A name as the 837P writes it (transliterated, capitals, single spaces), or why it
    cannot be written. A name longer than the element is refused, not cut: a shortened
    name on a legal document is the biller's decision."""
    value = " ".join(transliterate(text).upper().split())
    problem = _chars_problem(value, delimiters, "with no standard Latin spelling, ")
    if problem is not None:
        return problem
    if not value:
        return Problem("character", "is empty")
    if len(value) > limit:
        return Problem("length", f"has {_count(value)}; the element holds {limit}")
    return value


@functools.lru_cache(maxsize=65536)
def ident_problem(
    value: str, minimum: int, limit: int, delimiters: Delimiters = DEFAULT_DELIMITERS
) -> Problem | None:
    """Why an identifier cannot go into an element as it is, or None."""
    problem = _chars_problem(value, delimiters, "")
    if problem is not None:
        return problem
    if not minimum <= len(value) <= limit:
        return Problem("length", f"has {_count(value)}; the element holds {minimum} to {limit}")
    return None
