"""An inbound payer file (999, 277CA or 835) as the payer messages claimflow posts.

One file can carry several units: each 835 transaction set is one payment (one ERA) and is
posted, de-duplicated and quarantined on its own, by its payer id and trace number; a 277CA
or 999 is one unit per transaction set. Message ids are derived from the file's own
identifiers, so reading the same file twice gives the same ids and the claim workflows drop
the repeats.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from claims.payer_messages import Acknowledgment, ClaimStatusReport
from claims.remittance import Remittance
from claims.x12 import ack_999, remit_835, status_277ca
from claims.x12.ack_999 import AckStatus
from claims.x12.balance_835 import check_balancing
from claims.x12.era import Era
from claims.x12.interchange import read_document
from claims.x12.remittance_map import to_remittance

PayerMessage = Remittance | ClaimStatusReport | Acknowledgment
# Our 837's group control number (GS06) -> {ST02: claim ids}, as recorded when it was sent.
SentTransactions = Callable[[str], Mapping[str, Sequence[str]]]

KINDS = {"HP": "835", "HN": "277CA", "FA": "999"}


@dataclass(frozen=True)
class InboundUnit:
    """One postable part of a file: all of it posts, or (``problems``) none of it."""

    kind: str
    file_id: str
    messages: list[PayerMessage]
    problems: list[str] = field(default_factory=list)
    # Claims the file names that the lookup could not place (999 only).
    unknown: list[str] = field(default_factory=list)


def file_kind(data: str | bytes) -> str:
    """835, 277CA or 999, from GS01; raises X12Error for anything else."""
    doc = read_document(data, [])  # liberal: the kind is all that is asked here
    kinds = {KINDS.get(gs.functional_id) for _, gs, _ in doc.transactions()}
    if len(kinds) != 1 or None in kinds:
        found = sorted(gs.functional_id for _, gs, _ in doc.transactions())
        first = doc.interchanges[0].isa if doc.interchanges else None
        message = f"expected one kind of 835 (HP), 277CA (HN) or 999 (FA) groups, found {found}"
        if first is not None:
            raise first.error(message)
        raise ValueError(message)
    kind = kinds.pop()
    assert kind is not None
    return kind


def read_inbound(data: str | bytes, *, sent: SentTransactions) -> list[InboundUnit]:
    """The file's units; raises X12Error (naming segment and offset) if it cannot be read."""
    kind = file_kind(data)
    if kind == "835":
        return [_era_unit(era) for era in remit_835.parse_835(data)]
    # A 277CA's or 999's control numbers repeat across a sender's files; its content does
    # not, so the content identifies it (the same file twice is a duplicate).
    digest = hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]
    if kind == "277CA":
        return [_status_unit(f, digest) for f in status_277ca.parse_277ca(data)]
    return [_ack_unit(group, sent, digest) for group in ack_999.parse_999(data)]


def _era_unit(era: Era) -> InboundUnit:
    file_id = f"835-{era.payer_identifier}-{era.trace_number}"
    messages: list[PayerMessage] = [
        to_remittance(
            payment,
            remittance_id=f"{file_id}-{n}-{payment.claim_id}",
            trace_number=era.trace_number,
        )
        for n, payment in enumerate(era.claims, start=1)
    ]
    problems = [str(error) for error in check_balancing(era)]
    return InboundUnit("835", file_id, messages, problems)


def _status_unit(found: status_277ca.ClaimStatusFile, digest: str) -> InboundUnit:
    file_id = f"277CA-{found.payer_id}-{digest}-{found.control_number}"
    messages: list[PayerMessage] = []
    for n, claim in enumerate(found.claims, start=1):
        first = claim.statuses[0]
        messages.append(
            ClaimStatusReport(
                message_id=f"{file_id}-{n}-{claim.claim_id}",
                claim_id=claim.claim_id,
                category=first.category,
                status_codes=tuple(str(s) for s in claim.statuses),
                payer_claim_control_number=claim.payer_claim_control_number,
            )
        )
    return InboundUnit("277CA", file_id, messages)


def _ack_unit(group: ack_999.GroupAck, sent: SentTransactions, digest: str) -> InboundUnit:
    file_id = f"999-{digest}-{group.group_control_number}"
    transactions = sent(group.group_control_number)
    messages: list[PayerMessage] = []
    for ack in ack_999.claim_acks(group, transactions):
        errors = tuple(
            f"{e.segment_id} at {e.segment_position}: {e.code or ''} {e.loop_id or ''}".strip()
            for e in ack.errors
        )
        messages.append(
            Acknowledgment(
                message_id=f"{file_id}-{ack.transaction_control_number}-{ack.claim_id}",
                claim_id=ack.claim_id,
                accepted=ack.status is not AckStatus.REJECTED,
                errors=errors,
            )
        )
    unknown = [] if transactions else [f"group {group.group_control_number}"]
    return InboundUnit("999", file_id, messages, unknown=unknown)
