"""Read an 835 (005010X221A1) into ``Era`` objects, and map claim payments to ``Remittance``.

The parser walks the guide's loops (header, 1000A payer, 1000B payee, 2000/2100/2110,
PLB) and refuses what does not fit them: a segment outside its loop, a qualifier the
guide does not list for an element this code interprets, an amount that is not X12 money.
Segments the guide allows but claimflow does not use (TS3, AMT, QTY, PER ...) are skipped.
It does not check the balancing rules; ``balance_835.check_balancing`` does, so that a
file that does not balance is still readable for the quarantine report.

Every failure is an ``X12Error`` naming the segment and its offset; nothing else escapes.

Read liberally (``findings`` given), what claimflow does not act on may deviate: an unknown
handling code, payment method, filing indicator, PLB reason or date qualifier, a missing or
invalid BPR16, a segment where the guide puts none. Each is noted as a finding with its
segment and offset, and the read goes on. What the money depends on (amounts, CLP02, CAS
group codes, the credit/debit flag) is never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from claims.x12 import elements as el
from claims.x12.cursor import Cursor
from claims.x12.era import (
    CLAIM_STATUS,
    GROUP_CODES,
    CasAdjustment,
    ClaimPayment,
    Era,
    Party,
    ProviderAdjustment,
    ServicePayment,
)
from claims.x12.errors import Deviations, X12Error, X12Finding, internal_error
from claims.x12.gc_pause import gc_paused
from claims.x12.interchange import Interchange, TransactionSet, transactions_of
from claims.x12.parse import Delimiters, Segment, iter_segments
from claims.x12.remittance_map import decision_of, to_remittance

__all__ = ["decision_of", "parse_835", "to_remittance"]


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Code lists the guide gives for the elements read here (from pyx12's X221A1 map).
_HANDLING = _codes("C D H I P U X")
_METHODS = _codes("ACH BOP CHK FWT NON")
_FILING = _codes("12 13 14 15 16 17 AM CH DS HM LM MA MB MC OF TV VA WC ZZ")
_PRODUCT_QUALIFIERS = _codes("AD ER HC HP IV N4 N6 NU UI WK")
_PLB_REASONS = _codes(
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 "
    "L6 LE LS OA OB PI PL RA RE SL TL WO WU"
)
_CLAIM_NM1 = frozenset({"QC", "IL", "74", "82", "TT", "PR", "GB"})
_CLAIM_DTM = frozenset({"232", "233", "036", "050"})
_LINE_DTM = frozenset({"472", "150", "151"})
_CARC = re.compile(r"[A-Z0-9]{1,5}")
_CLAIM_LEVEL = frozenset({"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"})
_LINE_LEVEL = frozenset({"DTM", "CAS", "REF", "AMT", "QTY", "LQ"})


def parse_835(data: str | bytes, *, findings: list[X12Finding] | None = None) -> list[Era]:
    """Every 835 transaction set in ``data`` (one per payment); raises ``X12Error``.

    With a ``findings`` list the read is liberal: deviations are appended there."""
    try:
        with gc_paused():
            doc, found = transactions_of(
                data, functional_id="HP", set_id="835", versions=("005010X221",),
                findings=findings,
            )  # fmt: skip
            dev = Deviations(findings)
            return [_era(isa, st, doc.delimiters, dev) for isa, _, st in found]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "an 835") from exc


def _era(isa: Interchange, st: TransactionSet, d: Delimiters, dev: Deviations) -> Era:
    c = Cursor(st)
    bpr = c.expect("BPR", None, "financial information")
    handling = el.lenient_code(bpr, 1, _HANDLING, "transaction handling code", dev)
    amount = el.money(bpr, 2, "total payment")
    credit_debit = el.code(bpr, 3, ("C", "D"), "credit/debit flag")
    method = el.lenient_code(bpr, 4, _METHODS, "payment method", dev)
    payment_date = el.lenient_date8(bpr, 16, "check issue or EFT date", dev)
    trn = c.expect("TRN", None, "reassociation trace number")
    el.code(trn, 1, ("1",), "trace type")
    trace = el.required(trn, 2, "check or EFT trace number")
    payer_identifier = el.required(trn, 3, "payer identifier")
    production = None
    while c.peek_id() in ("CUR", "REF", "DTM"):
        header = c.take()
        if header.id == "DTM" and header.get(1) == "405":
            production = el.date8(header, 2, "production date")
    payer = _party(c.expect("N1", "PR", "payer identification"), ("XV",), dev)
    c.skip("N3", "N4", "REF", "PER")
    payee = _party(c.expect("N1", "PE", "payee identification"), ("FI", "XV", "XX"), dev)
    c.skip("N3", "N4", "REF", "RDM")
    claims: list[ClaimPayment] = []
    in_lx = False  # inside a 2000 loop (LX)
    while (seg := c.peek()) is not None and seg.id != "PLB":
        if seg.id == "LX":
            c.take()
            c.skip("TS3", "TS2")
            in_lx = True
        elif seg.id == "CLP":
            if not in_lx:
                dev.note(
                    "CLP", seg.position, "CLP before any LX (loop 2000): segments out of order"
                )
                in_lx = True
            claims.append(_claim(c, d, dev))
        else:
            dev.note(
                seg.id,
                seg.position,
                f"{seg.id} is not allowed here in an 835: segments out of order (skipped)",
            )
            c.take()
    after = c.peek() or st.se
    claims_end = after.offset if after is not None else 0
    adjustments: list[ProviderAdjustment] = []
    while (plb := c.peek()) is not None:
        if plb.id != "PLB":
            dev.note(
                plb.id,
                plb.position,
                f"{plb.id} after the PLB segments: segments out of order (skipped)",
            )
            c.take()
            continue
        adjustments.extend(_plb(c.take(), d, dev))
    return Era(
        control_number=st.control_number, handling_code=handling, payment_amount=amount,
        credit_debit=credit_debit, payment_method=method, payment_date=payment_date,
        trace_number=trace, payer_identifier=payer_identifier, payer=payer, payee=payee,
        claims=tuple(claims), provider_adjustments=tuple(adjustments),
        production_date=production, interchange_control_number=isa.control_number,
        position=bpr.position, claims_end=claims_end,
    )  # fmt: skip


def read_claim_payments(text: str, delimiters: Delimiters) -> list[ClaimPayment]:
    """The claim payments (CLP loops) in ``text``, a run of an 835's loop 2000/2100
    segments cut out of a file that was read whole before (``Era.claims_end`` and each
    CLP's position say where they lie): posting reads an ERA a page at a time this way."""
    segments = list(iter_segments(text, delimiters, 0, Deviations([])))
    if not segments:
        return []
    c = Cursor(TransactionSet(segments[0], segments))
    dev = Deviations([])
    out: list[ClaimPayment] = []
    while (seg := c.peek()) is not None:
        if seg.id == "CLP":
            out.append(_claim(c, delimiters, dev))
        else:
            c.take()  # LX, TS3, TS2 between claims
    return out


def _party(n1: Segment, qualifiers: tuple[str, ...], dev: Deviations) -> Party:
    name = el.required(n1, 2, "name")
    qualifier = el.lenient_code(n1, 3, qualifiers, "id qualifier", dev) if n1.get(3) else None
    identifier = el.required(n1, 4, "identifier") if qualifier else None
    return Party(name, qualifier, identifier)


def _cas(seg: Segment) -> list[CasAdjustment]:
    """Up to six reason/amount/quantity triplets (CAS02-04 ... CAS17-19)."""
    group = el.code(seg, 1, GROUP_CODES, "claim adjustment group code")
    count = len(seg.elements)
    if count > 20:
        raise seg.error("a CAS holds at most six reason/amount/quantity triplets")
    out: list[CasAdjustment] = []
    for r in range(2, max(count, 3), 3):
        reason = seg.get(r)
        if not reason:
            if r == 2 or seg.get(r + 1) or seg.get(r + 2):
                raise seg.error(f"{el.name(seg, r)} (adjustment reason code) is required")
            continue
        if not _CARC.fullmatch(reason):
            raise seg.error(f"{el.name(seg, r)} {reason[:10]!r} is not a reason code (CARC)")
        amount = el.money(seg, r + 1, "adjustment amount")
        quantity = el.quantity(seg, r + 2, "adjustment quantity") if seg.get(r + 2) else None
        out.append(CasAdjustment(group, reason, amount, quantity))
    return out


def _remarks(seg: Segment, positions: Iterable[int]) -> list[str]:
    return [seg.get(n) for n in positions if seg.get(n)]


class _ClaimDetail:
    """What the segments after a CLP add to it, gathered before the payment is frozen."""

    __slots__ = ("account", "adjustments", "crossover", "dates", "member", "names", "remarks")

    def __init__(self) -> None:
        self.adjustments: list[CasAdjustment] = []
        self.remarks: list[str] = []
        self.names: tuple[str | None, str | None] = (None, None)
        self.member: str | None = None
        self.account: str | None = None
        self.dates: dict[str, dt.date] = {}
        # NM1*TT: (id, name) of the crossover payer.
        self.crossover: tuple[str | None, str | None] = (None, None)


def _claim_detail(c: Cursor, dev: Deviations) -> _ClaimDetail:
    detail = _ClaimDetail()
    while (seg := c.peek()) is not None and seg.id in _CLAIM_LEVEL:
        c.take()
        sid = seg.id
        if sid == "CAS":
            detail.adjustments.extend(_cas(seg))
        elif sid == "NM1":
            entity = el.lenient_code(seg, 1, _CLAIM_NM1, "entity identifier", dev)
            if entity == "QC":
                detail.names = (seg.get(3) or None, seg.get(4) or None)
                detail.member = seg.get(9) or None
            elif entity == "TT":
                detail.crossover = (seg.get(9) or None, seg.get(3) or None)
        elif sid == "MOA":
            detail.remarks.extend(_remarks(seg, range(3, 8)))
        elif sid == "MIA":
            detail.remarks.extend(_remarks(seg, (5, 20, 21, 22, 23)))
        elif sid == "REF" and seg.get(1) == "EA":
            detail.account = el.required(seg, 2, "medical record number")
        elif sid == "DTM":
            qualifier = el.lenient_code(seg, 1, _CLAIM_DTM, "date qualifier", dev)
            found = el.lenient_date8(seg, 2, "claim date", dev)
            if found is not None:
                detail.dates[qualifier] = found
    return detail


def _claim(c: Cursor, d: Delimiters, dev: Deviations) -> ClaimPayment:
    clp = c.take()
    status = el.code(clp, 2, CLAIM_STATUS, "claim status code")
    detail = _claim_detail(c, dev)
    lines: list[ServicePayment] = []
    while c.peek_id() == "SVC":
        lines.append(_line(c, d, dev))
    return ClaimPayment(
        claim_id=el.required(clp, 1, "patient control number"),
        status_code=status,
        charge=el.money(clp, 3, "total claim charge"),
        paid=el.money(clp, 4, "claim payment"),
        patient_responsibility=el.optional_money(clp, 5, "patient responsibility"),
        filing_indicator=el.lenient_code(clp, 6, _FILING, "claim filing indicator", dev),
        payer_claim_control_number=el.required(clp, 7, "payer claim control number"),
        facility_code=el.optional(clp, 8),
        frequency_code=el.optional(clp, 9),
        adjustments=tuple(detail.adjustments),
        remark_codes=tuple(detail.remarks),
        service_lines=tuple(lines),
        patient_last_name=detail.names[0],
        patient_first_name=detail.names[1],
        patient_member_id=detail.member,
        account_number=detail.account,
        statement_from=detail.dates.get("232"),
        statement_to=detail.dates.get("233"),
        received_date=detail.dates.get("050"),
        position=clp.position,
        crossover_payer_id=detail.crossover[0],
        crossover_payer_name=detail.crossover[1],
    )


def _procedure(seg: Segment, n: int, d: Delimiters) -> tuple[str, str, tuple[str, ...]]:
    parts = seg.get(n).split(d.component)
    qualifier = parts[0]
    if qualifier not in _PRODUCT_QUALIFIERS:
        raise seg.error(
            f"{el.name(seg, n)}-01 product/service qualifier {qualifier[:10]!r} is not known"
        )
    if len(parts) < 2 or not parts[1]:
        raise seg.error(f"{el.name(seg, n)}-02 (procedure code) is required")
    return qualifier, parts[1], tuple(m for m in parts[2:6] if m)


def _line(c: Cursor, d: Delimiters, dev: Deviations) -> ServicePayment:
    svc = c.take()
    qualifier, code, modifiers = _procedure(svc, 1, d)
    submitted = _procedure(svc, 6, d)[1] if svc.get(6) else None
    dates: dict[str, dt.date] = {}
    adjustments: list[CasAdjustment] = []
    remarks: list[str] = []
    line_control = allowed = None
    while (seg := c.peek()) is not None and seg.id in _LINE_LEVEL:
        c.take()
        sid = seg.id
        if sid == "CAS":
            adjustments.extend(_cas(seg))
        elif sid == "LQ":
            if el.lenient_code(seg, 1, ("HE", "RX"), "code list qualifier", dev) == "HE":
                remarks.append(el.required(seg, 2, "remark code"))
        elif sid == "DTM":
            date_qualifier = el.lenient_code(seg, 1, _LINE_DTM, "service date qualifier", dev)
            found = el.lenient_date8(seg, 2, "service date", dev)
            if found is not None:
                dates[date_qualifier] = found
        elif sid == "REF" and seg.get(1) == "6R":
            line_control = el.required(seg, 2, "line item control number")
        elif sid == "AMT" and seg.get(1) == "B6":
            allowed = el.money(seg, 2, "allowed amount")
    return ServicePayment(
        qualifier=qualifier, procedure_code=code, modifiers=modifiers,
        charge=el.money(svc, 2, "line charge"), paid=el.money(svc, 3, "line payment"),
        revenue_code=el.optional(svc, 4), units_paid=el.quantity(svc, 5, "units paid"),
        submitted_procedure_code=submitted, original_units=el.quantity(svc, 7, "units"),
        # DTM*472 is one day; DTM*150/151 a range.
        service_date_from=dates.get("472") or dates.get("150"),
        service_date_to=dates.get("151"),
        adjustments=tuple(adjustments), remark_codes=tuple(remarks),
        line_control_number=line_control, allowed_amount=allowed, position=svc.position,
    )  # fmt: skip


def _plb(seg: Segment, d: Delimiters, dev: Deviations) -> list[ProviderAdjustment]:
    provider = el.required(seg, 1, "provider identifier")
    period = el.lenient_date8(seg, 2, "fiscal period date", dev)
    out: list[ProviderAdjustment] = []
    for k in range(6):
        n = 3 + 2 * k
        if not seg.get(n):
            if k == 0 or seg.get(n + 1):
                raise seg.error(f"{el.name(seg, n)} (adjustment identifier) is required")
            continue
        reason, _, reference = seg.get(n).partition(d.component)
        if reason not in _PLB_REASONS:
            dev.note(
                "PLB",
                seg.position,
                f"{el.name(seg, n)}-01 provider adjustment reason {reason[:10]!r} is not known",
            )
        amount = el.money(seg, n + 1, "provider adjustment amount")
        out.append(ProviderAdjustment(provider, period, reason, reference or None, amount,
                                      seg.position))  # fmt: skip
    if len(seg.elements) > 15:
        raise seg.error("a PLB holds at most six adjustment identifier/amount pairs")
    return out
