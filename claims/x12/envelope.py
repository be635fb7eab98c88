"""The envelope of an outgoing interchange, and the writer every renderer shares.

Control numbers are the trading partners' duplicate check: a payer refuses an interchange
whose ISA13 it has seen before. So they are not generated here: the caller owns a durable
counter, passes the next values in an ``Envelope`` and persists them after sending.

Element values are written through ``clean`` (free text) or ``ident`` (identifiers):
a delimiter inside a name would silently shift every later element, so free text loses
them (and anything outside printable ASCII), while an identifier carrying one is refused,
because changing an id changes whom it names.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from claims.x12.parse import DEFAULT_DELIMITERS, Delimiters


@dataclass(frozen=True, slots=True)
class Envelope:
    """ISA/GS/ST identities and control numbers for one outgoing interchange.

    ``transaction_set_control_number`` is the first ST02; a renderer that writes several
    transaction sets numbers them upwards from it (see ``next_transaction_set``).
    """

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    transaction_set_control_number: int = 1
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    usage: Literal["T", "P"] = "T"
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    # GS02/GS03 default to the ISA ids.
    application_sender: str | None = None
    application_receiver: str | None = None
    # 837P loop 1000A/1000B (and 277CA/835 names when the renderer has none of its own).
    sender_name: str = "CLAIMFLOW"
    receiver_name: str = "RECEIVER"
    contact_name: str = "EDI SUPPORT"
    contact_phone: str = "8005550100"
    delimiters: Delimiters = DEFAULT_DELIMITERS

    def __post_init__(self) -> None:
        for label, value, limit in (
            ("sender_id", self.sender_id, 15),
            ("receiver_id", self.receiver_id, 15),
        ):
            if not value or len(value) > limit or any(c in self.delimiters for c in value):
                raise ValueError(f"{label} {value!r}: 1-{limit} characters, no delimiters")
        for label, number in (
            ("interchange_control_number", self.interchange_control_number),
            ("group_control_number", self.group_control_number),
            ("transaction_set_control_number", self.transaction_set_control_number),
        ):
            if not 1 <= number <= 999_999_999:
                raise ValueError(f"{label} {number} is not in 1..999999999")
        if len(self.sender_qualifier) != 2 or len(self.receiver_qualifier) != 2:
            raise ValueError("ISA id qualifiers are two characters")

    def next_transaction_set(self, k: int) -> str:
        """ST02 of the ``k``-th (0-based) transaction set of this interchange."""
        return f"{self.transaction_set_control_number + k:04d}"


def money(amount: Decimal) -> str:
    """X12 R: no exponent, no trailing zeros after the point (150.00 -> "150")."""
    text = f"{amount.quantize(Decimal('0.01')):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def number(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def date8(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def period(first: dt.date, last: dt.date | None) -> tuple[str, str]:
    """DTP format and value: D8 for one day, RD8 for a range."""
    if last is None or last == first:
        return "D8", date8(first)
    return "RD8", f"{date8(first)}-{date8(last)}"


class Writer:
    """Collects segments for one interchange; counts segments per transaction set."""

    def __init__(self, envelope: Envelope) -> None:
        self.envelope = envelope
        self.d = envelope.delimiters
        self._out: list[str] = []
        # Delimiters and control characters become spaces in free text; names repeat a lot.
        blanks = [*map(chr, range(32)), "\x7f", self.d.element, self.d.component,
                  self.d.repetition or "^", self.d.segment]  # fmt: skip
        self._blank = {ord(c): " " for c in blanks}
        self._cleaned: dict[tuple[str, int], str] = {}
        self._st_start = 0
        self._transactions = 0

    def clean(self, text: str, limit: int) -> str:
        key = (text, limit)
        done = self._cleaned.get(key)
        if done is None:
            if not text.isascii():
                text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            done = " ".join(text.translate(self._blank).upper().split())[:limit].strip()
            if text and not done:
                # The value is not quoted: it is usually a name (PHI).
                raise ValueError("a name or text has no character an X12 element can carry")
            self._cleaned[key] = done
        return done

    def verbatim(self, value: str, limit: int) -> str:
        """Text echoed back as it came (a 999's copy of a bad value), delimiters blanked."""
        return value.translate(self._blank)[:limit].rstrip()

    def ident(self, value: str, what: str) -> str:
        bad = sorted({c for c in value if c in self.d or not c.isprintable()})
        if bad:
            # The characters, not the value: ids like the member id are PHI.
            raise ValueError(
                f"{what} contains an X12 delimiter or control character: "
                + ", ".join(repr(c) for c in bad)
            )
        return value

    def comp(self, *parts: str) -> str:
        items = list(parts)
        while items and not items[-1]:
            items.pop()
        return self.d.component.join(items)

    def seg(self, *elements: str) -> None:
        items = list(elements)
        while items and not items[-1]:
            items.pop()
        self._out.append(self.d.element.join(items) + self.d.segment)

    def begin_interchange(self, functional_id: str, version: str) -> None:
        e, d = self.envelope, self.d
        when = e.created
        self.seg(
            "ISA", "00", " " * 10, "00", " " * 10,
            e.sender_qualifier, e.sender_id.ljust(15), e.receiver_qualifier,
            e.receiver_id.ljust(15), when.strftime("%y%m%d"), when.strftime("%H%M"),
            # Written strictly: always a 5010 repetition separator, never a 4010 "U".
            d.repetition or "^", "00501", f"{e.interchange_control_number:09d}", "0", e.usage,
            d.component,
        )  # fmt: skip
        self.seg(
            "GS", functional_id, e.application_sender or e.sender_id,
            e.application_receiver or e.receiver_id, when.strftime("%Y%m%d"),
            when.strftime("%H%M"), str(e.group_control_number), "X", version,
        )  # fmt: skip

    def begin_transaction(self, set_id: str, convention: str | None) -> str:
        control = self.envelope.next_transaction_set(self._transactions)
        self._st_start = len(self._out)
        self.seg("ST", set_id, control, convention or "")
        return control

    def end_transaction(self, control: str) -> None:
        self.seg("SE", str(len(self._out) - self._st_start + 1), control)
        self._transactions += 1

    def end_interchange(self) -> str:
        e = self.envelope
        self.seg("GE", str(self._transactions), str(e.group_control_number))
        self.seg("IEA", "1", f"{e.interchange_control_number:09d}")
        return "".join(self._out)
