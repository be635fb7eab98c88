"""Read a 277CA (005010X214): did each claim enter the payer's adjudication system?

The 277CA answers per claim, in loop 2200D under the patient (2000D): TRN02 echoes the
837's CLM01 (our claim id), REF*1K gives the payer's claim control number, and each STC
carries up to three status composites (STC01, STC10, STC11) of category:status:entity,
e.g. A2:20:PR "accepted for processing" or A3:21:85 "missing or invalid information,
billing provider".

Category A2 means the claim entered adjudication (an 835 follows). A3 means it was
returned as unprocessable: it never entered adjudication and must be corrected and sent
again. A4 (not found), A6 (missing information) and A7 (invalid information) and A8
(relational field in error) are rejections too, and payers use them in place of A3, so
``is_rejected`` counts them all. A1 is only "received".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from claims.x12 import elements as el
from claims.x12.cursor import Cursor
from claims.x12.errors import Position, X12Error, X12Finding, internal_error
from claims.x12.gc_pause import gc_paused
from claims.x12.interchange import TransactionSet, transactions_of
from claims.x12.parse import Delimiters, Segment

VERSION = "005010X214"
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
ACCEPTED_CATEGORIES = frozenset({"A2"})


@dataclass(frozen=True, slots=True)
class StatusCode:
    """One STC composite: category (A1, A2, A3 ...), status code, entity (PR, 85, 41 ...)."""

    category: str
    code: str
    entity: str | None = None

    def __str__(self) -> str:
        return f"{self.category}:{self.code}" + (f":{self.entity}" if self.entity else "")


@dataclass(frozen=True, slots=True)
class LineStatus:
    """Loop 2220D: the status of one service line."""

    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    statuses: tuple[StatusCode, ...]
    line_control_number: str | None = None
    service_date_from: dt.date | None = None
    service_date_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ClaimAcknowledgment:
    """Loop 2200D: the payer's front-end verdict on one claim."""

    claim_id: str
    statuses: tuple[StatusCode, ...]
    action_code: str
    status_date: dt.date | None
    total_charge: Decimal | None
    payer_claim_control_number: str | None = None
    # REF*D9: the clearinghouse's own trace for the claim.
    clearinghouse_trace: str | None = None
    billing_provider_id: str | None = None
    service_date_from: dt.date | None = None
    service_date_to: dt.date | None = None
    lines: tuple[LineStatus, ...] = ()
    free_text: str | None = None
    position: Position | None = None

    @property
    def category(self) -> str:
        """The first STC's category: the claim's headline status."""
        return self.statuses[0].category if self.statuses else ""

    @property
    def status_codes(self) -> tuple[str, ...]:
        return tuple(f"{s.category}:{s.code}" for s in self.statuses)


def is_rejected(ack: ClaimAcknowledgment) -> bool:
    """Returned unprocessed (A3 and its kin): never adjudicated; correct and resubmit."""
    return any(s.category in REJECTED_CATEGORIES for s in ack.statuses)


def is_accepted(ack: ClaimAcknowledgment) -> bool:
    """Accepted into adjudication (A2) and not rejected by any other STC."""
    return not is_rejected(ack) and any(s.category in ACCEPTED_CATEGORIES for s in ack.statuses)


@dataclass(frozen=True, slots=True)
class ClaimStatusFile:
    """One 277CA transaction set."""

    control_number: str
    payer_name: str
    payer_id: str
    receiver_id: str | None
    # 2200B: the batch-level status (e.g. A1:19 for the whole 837).
    batch_statuses: tuple[StatusCode, ...]
    claims: tuple[ClaimAcknowledgment, ...]


def parse_277ca(
    data: str | bytes, *, findings: list[X12Finding] | None = None
) -> list[ClaimStatusFile]:
    """Every 277CA transaction set in ``data``; raises ``X12Error``."""
    try:
        with gc_paused():
            doc, found = transactions_of(
                data,
                functional_id="HN",
                set_id="277",
                versions=(VERSION,),
                findings=findings,
            )
            return [_file(st, doc.delimiters) for _, _, st in found]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "a 277CA") from exc


def _stc(seg: Segment, d: Delimiters) -> list[StatusCode]:
    out = []
    for n in (1, 10, 11):
        raw = seg.get(n)
        if not raw:
            if n == 1:
                raise seg.error("STC01 (health care claim status) is required")
            continue
        parts = raw.split(d.component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise seg.error(f"{el.name(seg, n)} {raw[:20]!r} is not category:status[:entity]")
        out.append(
            StatusCode(parts[0], parts[1], parts[2] if len(parts) > 2 and parts[2] else None)
        )
    return out


def _hl(c: Cursor, level: str, what: str) -> Segment:
    seg = c.expect("HL", None, what)
    if seg.get(3) != level:
        raise seg.error(
            f"HL03 level {seg.get(3)[:4]!r} where {what} (level {level}) belongs: out of order"
        )
    return seg


def _file(st: TransactionSet, d: Delimiters) -> ClaimStatusFile:
    c = Cursor(st)
    c.expect("BHT", None, "beginning of hierarchical transaction")
    _hl(c, "20", "the information source (2000A)")
    payer = c.expect("NM1", None, "information source name")
    el.code(payer, 1, ("PR", "AY"), "entity identifier")
    c.skip("TRN", "DTP")
    _hl(c, "21", "the information receiver (2000B)")
    receiver = c.expect("NM1", "41", "information receiver name")
    batch: list[StatusCode] = []
    while c.peek_id() in ("TRN", "STC", "QTY", "AMT"):
        summary = c.take()
        if summary.id == "STC":
            batch.extend(_stc(summary, d))
    claims: list[ClaimAcknowledgment] = []
    provider_id: str | None = None
    while (seg := c.peek()) is not None:
        level = seg.get(3) if seg.id == "HL" else ""
        if level == "19":
            c.take()
            provider = c.expect("NM1", "85", "billing provider name")
            provider_id = provider.get(9) or None
            c.skip("TRN", "STC", "REF", "QTY", "AMT")
        elif level == "PT":
            if provider_id is None:
                raise seg.error("a patient (2000D) before any billing provider (2000C)")
            c.take()
            c.expect("NM1", "QC", "patient name")
            while c.peek_id() == "TRN":
                claims.append(_claim(c, d, provider_id))
        else:
            raise seg.error(f"{seg.id} is not allowed here in a 277CA: segments out of order")
    return ClaimStatusFile(
        control_number=st.control_number,
        payer_name=el.required(payer, 3, "payer name"),
        payer_id=el.required(payer, 9, "payer identifier"),
        receiver_id=receiver.get(9) or None,
        batch_statuses=tuple(batch),
        claims=tuple(claims),
    )


def _claim(c: Cursor, d: Delimiters, provider_id: str) -> ClaimAcknowledgment:
    trn = c.take()
    el.code(trn, 1, ("2",), "trace type")
    statuses: list[StatusCode] = []
    first_stc: Segment | None = None
    refs: dict[str, str] = {}
    dates: tuple[dt.date | None, dt.date | None] = (None, None)
    while c.peek_id() in ("STC", "REF", "DTP"):
        seg = c.take()
        if seg.id == "STC":
            statuses.extend(_stc(seg, d))
            first_stc = first_stc or seg
        elif seg.id == "REF":
            refs[seg.get(1)] = el.required(seg, 2, "reference identifier")
        else:
            el.code(seg, 1, ("472",), "date qualifier")
            dates = el.period(seg, 2, 3, "claim service period")
    if first_stc is None:
        raise trn.error(f"claim {trn.get(2)[:40]!r} has no STC (claim level status)")
    lines: list[LineStatus] = []
    while c.peek_id() == "SVC":
        lines.append(_line(c, d))
    return ClaimAcknowledgment(
        claim_id=el.required(trn, 2, "patient control number"),
        statuses=tuple(statuses),
        action_code=el.code(first_stc, 3, ("U", "WQ"), "action code"),
        status_date=el.optional_date8(first_stc, 2, "status effective date"),
        total_charge=el.optional_money(first_stc, 4, "total claim charge"),
        payer_claim_control_number=refs.get("1K"),
        clearinghouse_trace=refs.get("D9"),
        billing_provider_id=provider_id,
        service_date_from=dates[0],
        service_date_to=dates[1],
        lines=tuple(lines),
        free_text=first_stc.get(12) or None,
        position=trn.position,
    )


def _line(c: Cursor, d: Delimiters) -> LineStatus:
    svc = c.take()
    parts = svc.get(1).split(d.component)
    if len(parts) < 2 or not parts[1]:
        raise svc.error("SVC01 needs a qualifier and a procedure code")
    statuses: list[StatusCode] = []
    control = None
    dates: tuple[dt.date | None, dt.date | None] = (None, None)
    while c.peek_id() in ("STC", "REF", "DTP"):
        seg = c.take()
        if seg.id == "STC":
            statuses.extend(_stc(seg, d))
        elif seg.id == "REF" and seg.get(1) == "FJ":
            control = el.required(seg, 2, "line item control number")
        elif seg.id == "DTP":
            el.code(seg, 1, ("472",), "date qualifier")
            dates = el.period(seg, 2, 3, "service line date")
    if not statuses:
        raise c.here("a service line (2220D) without its STC")
    return LineStatus(
        procedure_code=parts[1], modifiers=tuple(m for m in parts[2:6] if m),
        charge=el.money(svc, 2, "line charge"), statuses=tuple(statuses),
        line_control_number=control, service_date_from=dates[0], service_date_to=dates[1],
    )  # fmt: skip
