"""The one error every X12 parser here raises, and where in the file it points.

A biller or an operator reading a quarantined file needs to find the bad spot with a text
editor, so every error names the segment by its number in the file (1-based, the ISA is
segment 1: the same count pyx12 calls a line) and by its character offset from the start
of the input. Callers catch exactly one type, never a parser's ``IndexError``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """Where a segment starts: its 1-based number in the file and its character offset."""

    index: int
    offset: int

    def __str__(self) -> str:
        return f"segment {self.index} at offset {self.offset}"


class X12Error(ValueError):
    """A file (or part of one) that cannot be read as the X12 it claims to be."""

    def __init__(self, segment_id: str | None, position: Position | None, message: str) -> None:
        self.segment_id = segment_id
        self.position = position
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None:
            return self.message
        seg = f" ({self.segment_id})" if self.segment_id else ""
        return (
            f"segment {self.position.index}{seg} at offset {self.position.offset}: {self.message}"
        )

    def __reduce__(self) -> tuple[type[X12Error], tuple[str | None, Position | None, str]]:
        # Keeps the error picklable (activities ship exceptions across process boundaries).
        return (type(self), (self.segment_id, self.position, self.message))


def internal_error(exc: Exception, what: str) -> X12Error:
    """A parser bug turned into the one error callers handle (the property tests assert
    this never happens: any such message is a bug to fix, not an input to reject)."""
    return X12Error(None, None, f"internal error reading {what}: {type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class X12Finding:
    """A deviation from the guide that a liberal read tolerated, and where it is.

    Payers and clearinghouses send files that are not textbook-clean (a 4010-style ISA11,
    trailers that miscount, a missing BPR16): refusing them leaves payments unposted, so
    the readers note each deviation here and go on. Only what cannot be read at all is an
    ``X12Error``.
    """

    segment_id: str | None
    position: Position | None
    message: str

    def __str__(self) -> str:
        return str(X12Error(self.segment_id, self.position, self.message))


class Deviations:
    """Where a reader puts what it tolerated. A strict reader (``findings=None``) raises
    ``X12Error`` at the first deviation instead, as the strict tools and tests want."""

    __slots__ = ("found", "strict")

    def __init__(self, findings: list[X12Finding] | None) -> None:
        self.strict = findings is None
        self.found: list[X12Finding] = [] if findings is None else findings

    def note(self, segment_id: str | None, position: Position | None, message: str) -> None:
        if self.strict:
            raise X12Error(segment_id, position, message)
        self.found.append(X12Finding(segment_id, position, message))
