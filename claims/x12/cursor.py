"""A read position in one transaction set's segments, for the loop-by-loop parsers.

The guides define each transaction as nested loops whose first segment opens them; the
parsers walk that shape with ``peek``/``take`` and fail with the segment they stood on
when the shape is wrong, which is what "segments out of order" looks like to a reader.
"""

from __future__ import annotations

from claims.x12.errors import X12Error
from claims.x12.interchange import TransactionSet
from claims.x12.parse import Segment


class Cursor:
    def __init__(self, transaction: TransactionSet) -> None:
        self.segments = transaction.body
        self.st = transaction.st
        self.i = 0

    def peek(self) -> Segment | None:
        return self.segments[self.i] if self.i < len(self.segments) else None

    def peek_id(self) -> str:
        seg = self.peek()
        return seg.id if seg is not None else "SE"

    def take(self) -> Segment:
        seg = self.segments[self.i]
        self.i += 1
        return seg

    def here(self, message: str) -> X12Error:
        """An error at the current segment (or at the end of the transaction set)."""
        seg = self.peek()
        if seg is not None:
            return seg.error(message)
        last = self.segments[-1] if self.segments else self.st
        return X12Error("SE", last.position, message)

    def expect(self, segment_id: str, qualifier: str | None, what: str) -> Segment:
        seg = self.peek()
        if seg is None or seg.id != segment_id or (qualifier and seg.get(1) != qualifier):
            found = "the end of the transaction set" if seg is None else seg.id
            if seg is not None and qualifier:
                found += f"*{seg.get(1)[:10]}"
            wanted = f"{segment_id}*{qualifier}" if qualifier else segment_id
            raise self.here(f"expected {wanted} ({what}), found {found}: segments out of order")
        self.i += 1
        return seg

    def skip(self, *ids: str) -> None:
        while self.i < len(self.segments) and self.segments[self.i].id in ids:
            self.i += 1
