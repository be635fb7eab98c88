"""An inbound payer file (999, 277CA, 835 or 271) as units to post, and their messages by page.

One file can carry several units: each 835 transaction set is one payment (one ERA) and is
posted, de-duplicated and quarantined on its own, by its payer id and trace number; a 277CA,
999 or 271 is one unit per transaction set. A 271 (eligibility answers that come back as a
file) gives one message per patient it answers, addressed by the 270's trace number (TRN*2):
delivery finds the claim that asked by what was recorded when the 270 went out.

Taking a file in reads it whole once (``read_inbound``): every unit is checked (balancing,
every claim payment convertible to a ``Remittance``) and cut into pages, but its messages
are not kept. Posting then reads one page at a time (``page_messages``): for an 835 only the
bytes of that page's claim payments are read and parsed, so an ERA of any size posts in
steps of the same small cost. Message ids derive from the unit's identity and the
message's position in it, so reading the same page twice gives the same ids and the claim
workflows drop the repeats.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from claims.payer_messages import (
    Acknowledgment,
    ClaimStatusReport,
    EligibilityAnswer,
    PayerMessage,
)
from claims.remittance import PaymentRef
from claims.x12 import ack_999, read_271, remit_835, status_277ca
from claims.x12.ack_999 import AckStatus
from claims.x12.balance_835 import check_balancing
from claims.x12.era import ClaimPayment, Era, ProviderAdjustment
from claims.x12.errors import X12Error, X12Finding
from claims.x12.interchange import read_document
from claims.x12.parse import as_text, read_delimiters
from claims.x12.remittance_map import to_remittance

# Our 837's group control number (GS06) -> {ST02: claim ids}, as recorded when it was sent.
SentTransactions = Callable[[str], Mapping[str, Sequence[str]]]

KINDS = {"HP": "835", "HN": "277CA", "FA": "999", "HB": "271"}
PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Page:
    """Messages ``first`` .. ``first + count - 1`` of a unit (1-based). For an 835 also the
    byte range of their claim payments (CLP loops) in the file."""

    first: int
    count: int
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    """What an ERA says about the payment itself: the per-payment ledger's header and PLB."""

    payment: PaymentRef
    net_amount: Decimal
    claims_paid: Decimal
    provider_adjustments: tuple[ProviderAdjustment, ...]
    claim_count: int


@dataclass(frozen=True)
class InboundUnit:
    """One postable part of a file: all of it posts, or (``problems``) none of it."""

    kind: str
    # 1-based position of the unit in the file.
    n: int
    # The unit's identity: the same payment (or status file) is taken once.
    key: str
    message_count: int
    pages: tuple[Page, ...]
    problems: list[str] = field(default_factory=list)
    # Claims the file names that the lookup could not place (999 only).
    unknown: list[str] = field(default_factory=list)
    payment: PaymentInfo | None = None


def digest(text: str, size: int = 20) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def message_id(kind: str, key: str, n: int) -> str:
    """Stable, bounded (a trace number may be 50 characters of anything) and unique per
    unit and position."""
    return f"{kind}-{digest(key)}-{n}"


def file_kind(data: str | bytes) -> str:
    """835, 277CA, 999 or 271, from GS01; raises X12Error for anything else."""
    doc = read_document(data, [])  # liberal: the kind is all that is asked here
    kinds = {KINDS.get(gs.functional_id) for _, gs, _ in doc.transactions()}
    if len(kinds) != 1 or None in kinds:
        found = sorted(gs.functional_id for _, gs, _ in doc.transactions())
        message = (
            f"expected one kind of 835 (HP), 277CA (HN), 999 (FA) or 271 (HB) groups, found {found}"
        )
        raise doc.interchanges[0].isa.error(message)
    kind = kinds.pop()
    assert kind is not None
    return kind


def read_inbound(
    data: str | bytes,
    *,
    sent: SentTransactions,
    findings: list[X12Finding] | None = None,
    page_size: int = PAGE_SIZE,
) -> list[InboundUnit]:
    """The file's units, read liberally (deviations go to ``findings``); raises X12Error
    (naming segment and offset) if it cannot be read at all."""
    findings = [] if findings is None else findings
    kind = file_kind(data)
    if kind == "835":
        eras = remit_835.parse_835(data, findings=findings)
        return [_era_unit(n, era, page_size) for n, era in enumerate(eras, start=1)]
    return [
        InboundUnit(kind, n, key, len(messages), _pages(len(messages), page_size), [], unknown)
        for n, (key, messages, unknown) in enumerate(_other_units(data, kind, sent), start=1)
    ]


def page_messages(
    data: str | bytes, *, kind: str, unit: int, page: Page, sent: SentTransactions
) -> list[PayerMessage]:
    """The messages of one page of unit ``unit`` (a 277CA, 999 or 271), from the whole file."""
    for n, (_, messages, _) in enumerate(_other_units(data, kind, sent), start=1):
        if n == unit:
            return messages[page.first - 1 : page.first - 1 + page.count]
    raise ValueError(f"the file has no unit {unit}")


def era_page_messages(
    head: str | bytes, body: str | bytes, *, key: str, page: Page, paid_with: PaymentRef
) -> list[PayerMessage]:
    """The remittances of one page of the ERA ``key``: ``head`` is the file's start (its
    ISA says the delimiters), ``body`` the file's bytes ``page.start`` to ``page.end``."""
    text = as_text(head)
    start = len(text) - len(text.lstrip("\r\n\t \ufeff"))
    claims = remit_835.read_claim_payments(as_text(body), read_delimiters(text, start))
    if len(claims) != page.count:
        raise X12Error(None, None, f"the page at offset {page.start} holds {len(claims)} claim "
                       f"payments where {page.count} were read at intake")  # fmt: skip
    return [_remittance(key, page.first + i, claim, paid_with) for i, claim in enumerate(claims)]


# ------------------------------------------------------------------ 835


def era_key(era: Era) -> str:
    return f"835:{era.payer_identifier}:{era.trace_number}"


def _era_unit(n: int, era: Era, page_size: int) -> InboundUnit:
    key = era_key(era)
    payment = PaymentInfo(
        payment=PaymentRef(
            payment_id=f"pay-{digest(key)}",
            trace_number=era.trace_number[:80],
            payer_identifier=era.payer_identifier[:80],
            method=era.payment_method[:8],
            payment_date=era.payment_date,
        ),
        net_amount=era.net_payment,
        claims_paid=sum((c.paid for c in era.claims), Decimal(0)),
        provider_adjustments=era.provider_adjustments,
        claim_count=len(era.claims),
    )
    problems = [str(error) for error in check_balancing(era)]
    for ordinal, claim in enumerate(era.claims, start=1):
        try:  # every payment must become a message, or none of the ERA posts
            _remittance(key, ordinal, claim, payment.payment)
        except X12Error as exc:
            problems.append(str(exc))
    pages = []
    for first in range(0, len(era.claims), page_size):
        chunk = era.claims[first : first + page_size]
        following = era.claims[first + page_size] if first + page_size < len(era.claims) else None
        start = chunk[0].position
        end = following.position.offset if following and following.position else era.claims_end
        assert start is not None
        pages.append(Page(first + 1, len(chunk), start.offset, end))
    return InboundUnit("835", n, key, len(era.claims), tuple(pages), problems, [], payment)


def _remittance(key: str, ordinal: int, claim: ClaimPayment, paid_with: PaymentRef) -> PayerMessage:
    return to_remittance(
        claim,
        remittance_id=message_id("835", key, ordinal),
        trace_number=paid_with.trace_number,
        paid_with=paid_with,
    )


# ------------------------------------------------------------------ 277CA, 999, 271


def _pages(count: int, page_size: int) -> tuple[Page, ...]:
    return tuple(
        Page(first + 1, min(page_size, count - first)) for first in range(0, count, page_size)
    )


def _other_units(
    data: str | bytes, kind: str, sent: SentTransactions
) -> list[tuple[str, list[PayerMessage], list[str]]]:
    # A 277CA's or 999's control numbers repeat across a sender's files; its content does
    # not, so the content identifies it (the same file twice is a duplicate).
    file_digest = hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
    if kind == "277CA":
        files = status_277ca.parse_277ca(data, findings=[])
        return [_status_unit(f, file_digest[:16]) for f in files]
    if kind == "271":
        return [_eligibility_unit(r, file_digest[:16]) for r in read_271.parse_271(data)]
    groups = ack_999.parse_999(data, findings=[])
    return [_ack_unit(group, sent, file_digest[:16]) for group in groups]


def _status_unit(
    found: status_277ca.ClaimStatusFile, file_digest: str
) -> tuple[str, list[PayerMessage], list[str]]:
    key = f"277CA:{found.payer_id}:{file_digest}:{found.control_number}"
    messages: list[PayerMessage] = []
    for n, claim in enumerate(found.claims, start=1):
        first = claim.statuses[0]
        messages.append(
            ClaimStatusReport(
                message_id=message_id("277CA", key, n),
                claim_id=claim.claim_id,
                category=first.category,
                status_codes=tuple(str(s) for s in claim.statuses),
                payer_claim_control_number=claim.payer_claim_control_number,
            )
        )
    return key, messages, []


def _ack_unit(
    group: ack_999.GroupAck, sent: SentTransactions, file_digest: str
) -> tuple[str, list[PayerMessage], list[str]]:
    key = f"999:{file_digest}:{group.group_control_number}"
    transactions = sent(group.group_control_number)
    messages: list[PayerMessage] = []
    for n, ack in enumerate(ack_999.claim_acks(group, transactions), start=1):
        errors = tuple(
            f"{e.segment_id} at {e.segment_position}: {e.code or ''} {e.loop_id or ''}".strip()
            for e in ack.errors
        )
        messages.append(
            Acknowledgment(
                message_id=message_id("999", key, n),
                claim_id=ack.claim_id,
                accepted=ack.status is not AckStatus.REJECTED,
                errors=errors,
            )
        )
    unknown = [] if transactions else [f"group {group.group_control_number}"]
    return key, messages, unknown


def _eligibility_unit(
    response: read_271.Response, file_digest: str
) -> tuple[str, list[PayerMessage], list[str]]:
    """One 271 transaction set: an answer per patient, by the trace number it echoes.

    An answer without TRN*2 (a payer-level rejection, which names no patient) is addressed
    by the 270's BHT03 instead: no claim has that, so it waits in the unmatched queue for
    a person, never dropped."""
    payer = next((r.payer_id for r in response.results if r.payer_id), None) or ""
    key = f"271:{payer}:{file_digest}:{response.control_number}"
    messages: list[PayerMessage] = []
    for n, result in enumerate(response.results, start=1):
        trace = result.trace_number or f"BHT03 {response.reference}"
        messages.append(
            EligibilityAnswer(
                message_id=message_id("271", key, n),
                claim_id=trace,
                trace_number=trace,
                result=result,
            )
        )
    return key, messages, []
