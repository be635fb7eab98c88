"""Read a 999 (005010X231A1): which transaction sets of our 837 were accepted.

A 999 acknowledges syntax, per transaction set (AK2 ... IK5) and per functional group
(AK9). It knows nothing of claims: it names our ST02 control numbers, so mapping back to
claims needs the lookup saved when the 837 was rendered
(``render_837p.transaction_claim_ids``). A rejected transaction set rejects every claim in
it; IK3/IK4 say which segment (by its position in the transaction set, ST = 1) and which
element were wrong, and a CTX*CLM01 names the claim the error sat in, when the sender
adds one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from claims.x12 import elements as el
from claims.x12.cursor import Cursor
from claims.x12.errors import Position, X12Error, X12Finding, internal_error
from claims.x12.gc_pause import gc_paused
from claims.x12.interchange import TransactionSet, transactions_of
from claims.x12.parse import Delimiters, Segment

VERSION = "005010X231A1"


class AckStatus(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"

    @property
    def accepted(self) -> bool:
        return self is not AckStatus.REJECTED


# IK501 / AK901 codes. M, W, X are rejections for security or decryption reasons.
_CODES = {
    "A": AckStatus.ACCEPTED,
    "E": AckStatus.ACCEPTED_WITH_ERRORS,
    "P": AckStatus.PARTIALLY_ACCEPTED,
    "R": AckStatus.REJECTED,
    "M": AckStatus.REJECTED,
    "W": AckStatus.REJECTED,
    "X": AckStatus.REJECTED,
}
_IK5_CODES = frozenset("AEMRWX")
# What claimflow writes for each status (M, W, X are never written).
STATUS_CODES = {
    AckStatus.ACCEPTED: "A",
    AckStatus.ACCEPTED_WITH_ERRORS: "E",
    AckStatus.PARTIALLY_ACCEPTED: "P",
    AckStatus.REJECTED: "R",
}


@dataclass(frozen=True, slots=True)
class ElementError:
    """IK4: element (and component, repetition) position, its data element number, code."""

    element: int
    code: str
    component: int | None = None
    repetition: int | None = None
    element_reference: str | None = None
    bad_value: str | None = None


@dataclass(frozen=True, slots=True)
class SegmentError:
    """IK3: the segment id and its position in our transaction set (ST = 1)."""

    segment_id: str
    segment_position: int
    code: str | None
    loop_id: str | None = None
    elements: tuple[ElementError, ...] = ()
    # CTX business unit ids, e.g. ("CLM01", "<claim id>").
    context: tuple[tuple[str, str], ...] = ()

    @property
    def claim_id(self) -> str | None:
        return next((ref for name, ref in self.context if name == "CLM01"), None)

    def describe(self) -> str:
        parts = [f"{self.segment_id} at position {self.segment_position}"]
        if self.loop_id:
            parts.append(f"loop {self.loop_id}")
        if self.code:
            parts.append(f"segment error {self.code}")
        for e in self.elements:
            parts.append(f"element {self.segment_id}{e.element:02d} error {e.code}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class TransactionAck:
    """AK2 ... IK5 for one of our transaction sets."""

    control_number: str
    status: AckStatus
    set_id: str = "837"
    codes: tuple[str, ...] = ()
    errors: tuple[SegmentError, ...] = ()
    convention: str | None = None
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class GroupAck:
    """AK1 ... AK9: the acknowledgment of one of our functional groups (GS06)."""

    functional_id: str
    group_control_number: str
    version: str
    status: AckStatus
    included: int
    received: int
    accepted: int
    transactions: tuple[TransactionAck, ...] = ()
    codes: tuple[str, ...] = ()
    # ST02 of the 999 itself.
    control_number: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimAck:
    """What a 999 means for one claim: the status of the transaction set that carried it."""

    claim_id: str
    transaction_control_number: str
    status: AckStatus
    errors: tuple[SegmentError, ...] = ()


def group_ack(
    functional_id: str,
    group_control_number: str,
    version: str,
    transactions: Sequence[TransactionAck],
    *,
    received: int | None = None,
) -> GroupAck:
    """A ``GroupAck`` whose AK9 code and counts follow from its transaction sets."""
    accepted = sum(1 for t in transactions if t.status.accepted)
    if not transactions or accepted == len(transactions):
        status = (
            AckStatus.ACCEPTED_WITH_ERRORS
            if any(t.status is AckStatus.ACCEPTED_WITH_ERRORS for t in transactions)
            else AckStatus.ACCEPTED
        )
    else:
        status = AckStatus.PARTIALLY_ACCEPTED if accepted else AckStatus.REJECTED
    count = len(transactions) if received is None else received
    return GroupAck(
        functional_id, group_control_number, version, status, count, count, accepted,
        tuple(transactions),
    )  # fmt: skip


def parse_999(data: str | bytes, *, findings: list[X12Finding] | None = None) -> list[GroupAck]:
    """Every acknowledged group in ``data`` (one per 999 transaction set)."""
    try:
        with gc_paused():
            doc, found = transactions_of(
                data,
                functional_id="FA",
                set_id="999",
                versions=("005010",),
                findings=findings,
            )
            return [_group(st, doc.delimiters) for _, _, st in found]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "a 999") from exc


def _int(seg: Segment, raw: str, what: str) -> int:
    if not raw.isdigit() or len(raw) > 9:
        raise seg.error(f"{what} {raw[:12]!r} is not a number")
    return int(raw)


def _group(st: TransactionSet, d: Delimiters) -> GroupAck:
    c = Cursor(st)
    ak1 = c.expect("AK1", None, "functional group response header")
    transactions: list[TransactionAck] = []
    while c.peek_id() == "AK2":
        transactions.append(_transaction(c, d))
    ak9 = c.expect("AK9", None, "functional group response trailer")
    if c.peek() is not None:
        raise c.here(f"{c.peek_id()} after AK9: segments out of order")
    return GroupAck(
        functional_id=el.required(ak1, 1, "functional identifier"),
        group_control_number=el.required(ak1, 2, "group control number"),
        version=ak1.get(3),
        status=_CODES[el.code(ak9, 1, _CODES, "functional group acknowledge code")],
        included=_int(ak9, el.required(ak9, 2, "sets included"), "AK902"),
        received=_int(ak9, el.required(ak9, 3, "sets received"), "AK903"),
        accepted=_int(ak9, el.required(ak9, 4, "sets accepted"), "AK904"),
        transactions=tuple(transactions),
        codes=tuple(v for v in ak9.elements[5:10] if v),
        control_number=st.control_number,
    )


def _transaction(c: Cursor, d: Delimiters) -> TransactionAck:
    ak2 = c.take()
    errors: list[SegmentError] = []
    while c.peek_id() == "IK3":
        errors.append(_segment_error(c, d))
    if c.peek_id() != "IK5":
        raise c.here(f"expected IK5 closing AK2 {ak2.get(2)!r}, found {c.peek_id()}")
    ik5 = c.take()
    code = el.code(ik5, 1, _IK5_CODES, "transaction set acknowledgment code")
    return TransactionAck(
        control_number=el.required(ak2, 2, "transaction set control number"),
        status=_CODES[code],
        set_id=el.required(ak2, 1, "transaction set identifier"),
        codes=tuple(v for v in ik5.elements[2:7] if v),
        errors=tuple(errors),
        convention=ak2.get(3) or None,
        position=ak2.position,
    )


def _position(seg: Segment, value: str, d: Delimiters) -> tuple[int, int | None, int | None]:
    parts = value.split(d.component)
    element = _int(seg, parts[0], "element position")
    component = _int(seg, parts[1], "component position") if len(parts) > 1 and parts[1] else None
    repeat = _int(seg, parts[2], "repetition position") if len(parts) > 2 and parts[2] else None
    return element, component, repeat


def _context(seg: Segment, d: Delimiters) -> tuple[str, str] | None:
    name, _, ref = seg.get(1).partition(d.component)
    return (name, ref) if name != "SITUATIONAL TRIGGER" else None


def _segment_error(c: Cursor, d: Delimiters) -> SegmentError:
    ik3 = c.take()
    context: list[tuple[str, str]] = []
    elements: list[ElementError] = []
    while c.peek_id() in ("CTX", "IK4"):
        seg = c.take()
        if seg.id == "CTX":
            item = _context(seg, d)
            if item is not None:
                context.append(item)
            continue
        element, component, repeat = _position(seg, el.required(seg, 1, "position"), d)
        elements.append(
            ElementError(element, el.required(seg, 3, "element syntax error code"), component,
                         repeat, seg.get(2) or None, seg.get(4) or None)
        )  # fmt: skip
    return SegmentError(
        segment_id=el.required(ik3, 1, "segment id"),
        segment_position=_int(ik3, el.required(ik3, 2, "segment position"), "IK302"),
        code=ik3.get(4) or None,
        loop_id=ik3.get(3) or None,
        elements=tuple(elements),
        context=tuple(context),
    )


def claim_acks(
    group: GroupAck, claims_by_transaction: Mapping[str, Sequence[str]]
) -> list[ClaimAck]:
    """Each claim of one 837 group (``claims_by_transaction``: ST02 -> claim ids, as
    ``render_837p.transaction_claim_ids`` returned it) with its 999 outcome.

    A transaction set the 999 does not list takes its group's outcome: a 999 must list
    every rejected set, and may leave out accepted ones.
    """
    listed = {t.control_number: t for t in group.transactions}
    unlisted = AckStatus.REJECTED if group.status is AckStatus.REJECTED else AckStatus.ACCEPTED
    out: list[ClaimAck] = []
    for control, claim_ids in claims_by_transaction.items():
        ack = listed.get(control)
        for cid in claim_ids:
            if ack is None:
                out.append(ClaimAck(cid, control, unlisted))
            else:
                mine = tuple(e for e in ack.errors if e.claim_id in (None, cid))
                out.append(ClaimAck(cid, control, ack.status, mine))
    return out
