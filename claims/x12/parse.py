"""Split X12 text into segments, with the delimiters the sender chose.

X12 does not fix its delimiters: the sender declares them in the ISA, which is the one
fixed-width segment (106 characters), so they are read from fixed positions there -- the
element separator at 3, the repetition separator at 82, the component separator at 104 and
the segment terminator at 105 -- and then used for the rest of the file. Files often carry
a line break after each terminator; that is formatting, not data, and is skipped.

Each segment keeps its 1-based number and character offset, so that every later error can
say "segment N (CLP) at offset M" instead of "bad file".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from claims.x12.errors import Deviations, Position, X12Error

ISA_LENGTH = 106
# The element separator must sit at exactly these positions of a fixed-width ISA.
_ISA_SEPARATOR_AT = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_LAYOUT = "\r\n\t "
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of one interchange. The defaults are what claimflow sends."""

    element: str = "*"
    component: str = ":"
    # None: the sender declared no repetition separator (a 4010-style ``U`` in ISA11).
    repetition: str | None = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = tuple(c for c in (self.element, self.component, self.repetition, self.segment)
                      if c is not None)  # fmt: skip
        if any(len(c) != 1 or c.isalnum() or c == " " for c in chars):
            raise ValueError(f"each delimiter is one non-alphanumeric character, got {chars!r}")
        if len(set(chars)) != len(chars):
            raise ValueError(f"the delimiters must differ, got {chars!r}")

    def __contains__(self, char: object) -> bool:
        return char is not None and char in (
            self.element, self.component, self.repetition, self.segment
        )  # fmt: skip


DEFAULT_DELIMITERS = Delimiters()


class Segment:
    """One segment: ``elements[0]`` is the id, so ``get(1)`` is the X12 "01" element."""

    __slots__ = ("elements", "id", "index", "offset")

    def __init__(self, elements: tuple[str, ...], index: int, offset: int) -> None:
        self.elements = elements
        self.id = elements[0]
        self.index = index
        self.offset = offset

    def get(self, n: int) -> str:
        """Element ``n`` (1-based, as in CLP01), or "" when the segment stops before it."""
        elements = self.elements
        return elements[n] if n < len(elements) else ""

    @property
    def position(self) -> Position:
        return Position(self.index, self.offset)

    def error(self, message: str) -> X12Error:
        return X12Error(self.id, self.position, message)

    def __repr__(self) -> str:
        return f"Segment({'*'.join(self.elements)!r} #{self.index} @{self.offset})"


@dataclass(frozen=True, slots=True)
class Tokens:
    delimiters: Delimiters
    segments: list[Segment]


def as_text(data: str | bytes) -> str:
    """Bytes are decoded as Latin-1: every byte maps to one character, so offsets stay byte
    offsets and no input can fail to decode (X12 itself is ASCII)."""
    return data.decode("latin-1") if isinstance(data, bytes | bytearray) else data


def read_delimiters(text: str, start: int = 0, dev: Deviations | None = None) -> Delimiters:
    """The delimiters declared by the ISA that begins at ``start``.

    An ISA11 that is a letter or digit is the 4010 "interchange control standards
    identifier" (``U``) that many senders still write in 5010 files: it declares no
    repetition separator, which is a deviation (noted in ``dev``), not an unreadable file.
    """
    dev = dev or Deviations(None)
    where = Position(1, start)
    isa = text[start : start + ISA_LENGTH]
    if not isa.startswith("ISA"):
        raise X12Error(None, where, f"an interchange starts with ISA, found {isa[:3]!r}")
    if len(isa) < ISA_LENGTH:
        raise X12Error(
            "ISA", where, f"truncated: the ISA is {ISA_LENGTH} characters, found {len(isa)}"
        )
    element = isa[3]
    misplaced = [i for i in _ISA_SEPARATOR_AT if isa[i] != element]
    if misplaced or isa[:105].count(element) != len(_ISA_SEPARATOR_AT):
        raise X12Error(
            "ISA",
            where,
            f"the ISA is not fixed-width with element separator {element!r} (expected at "
            f"positions {', '.join(map(str, _ISA_SEPARATOR_AT))}): wrong or mixed delimiters",
        )
    if isa[84:89] != "00501":
        raise X12Error(
            "ISA", where, f"ISA12 version {isa[84:89]!r} is not 00501: only X12 5010 is read"
        )
    repetition: str | None = isa[82]
    if isa[82].isalnum():
        dev.note("ISA", where, f"ISA11 {isa[82]!r} is not a repetition separator (the 4010 "
                 "standards identifier): read as none")  # fmt: skip
        repetition = None
    try:
        return Delimiters(element, isa[104], repetition, isa[105])
    except ValueError as exc:
        raise X12Error("ISA", where, f"unusable delimiters: {exc}") from None


def _skip_layout(text: str, start: int) -> int:
    n = len(text)
    while start < n and (text[start] in _LAYOUT or text[start] == _BOM):
        start += 1
    return start


def iter_segments(
    text: str, delimiters: Delimiters, start: int = 0, dev: Deviations | None = None
) -> Iterator[Segment]:
    """Segments from ``start``; raises on a malformed id.

    Tolerated, as deviations in ``dev``: empty segments (two terminators in a row) and a
    last segment without its terminator, when it is a whole segment.
    """
    dev = dev or Deviations(None)
    term = delimiters.segment
    sep = delimiters.element
    strip_layout = term not in _LAYOUT
    seen: set[str] = set()  # ids already checked: a file repeats a few dozen ids
    offset = start
    pieces = text[start:].split(term)
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        begin = offset
        index = i + 1
        offset += len(piece) + 1
        if strip_layout and piece and piece[0] in _LAYOUT:
            stripped = piece.lstrip(_LAYOUT)
            begin += len(piece) - len(stripped)
            piece = stripped
        if i == last:
            tail = piece.rstrip(_LAYOUT)
            if not tail:
                return
            head = tail.split(sep, 1)[0]
            if not (sep in tail and _SEGMENT_ID.fullmatch(head)):
                raise X12Error(
                    piece[:3] if _SEGMENT_ID.fullmatch(piece[:3]) else None,
                    Position(index, begin),
                    f"truncated: the file ends inside a segment with no terminator {term!r}",
                )
            dev.note(head, Position(index, begin), "the file ends without a terminator "
                     f"{term!r} after its last segment (truncated?)")  # fmt: skip
            piece = tail
        if not piece.strip(_LAYOUT):
            dev.note(None, Position(index, begin), "empty segment (two terminators in a row)")
            continue
        elements = tuple(piece.split(sep))
        if elements[0] not in seen and not _SEGMENT_ID.fullmatch(elements[0]):
            raise X12Error(
                None,
                Position(index, begin),
                f"{elements[0][:20]!r} is not a segment id: wrong delimiters? (the ISA "
                f"declares element {sep!r}, segment {term!r})",
            )
        seen.add(elements[0])
        yield Segment(elements, index, begin)


def tokenize(data: str | bytes, dev: Deviations | None = None) -> Tokens:
    """Delimiters and every segment of ``data``; raises ``X12Error`` on anything that
    cannot be read, and notes tolerated deviations in ``dev`` (strict when None)."""
    text = as_text(data)
    start = _skip_layout(text, 0)
    if start >= len(text):
        raise X12Error(None, Position(1, 0), "empty input: no ISA segment")
    delimiters = read_delimiters(text, start, dev)
    return Tokens(delimiters, list(iter_segments(text, delimiters, start, dev)))
