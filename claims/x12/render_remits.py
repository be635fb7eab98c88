"""What a payer sends back, as X12: 999, 277CA and 835, for the payer simulator and tests.

Each renderer takes the same models its parser returns (or a claim plus a status, or a
``Remittance``), so a simulated payer answers claimflow through exactly the path real
payers' files take. The 835 is balanced by construction: BPR02 is computed from the claim
payments and provider adjustments, and a payment whose own amounts do not balance is
refused with ``ValueError`` rather than written as a file no one could post.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from claims.model import Address, Claim
from claims.remittance import Decision, Remittance
from claims.x12 import ack_999, status_277ca
from claims.x12.balance_835 import check_balancing
from claims.x12.envelope import Envelope, Writer, date8, money, number, period
from claims.x12.era import CasAdjustment, ClaimPayment, Era, Party, ProviderAdjustment
from claims.x12.read_837p import SubmittedClaim
from claims.x12.status_277ca import StatusCode

VERSION_835 = "005010X221A1"


# ---------------------------------------------------------------------------- 999


def render_999(groups: Sequence[ack_999.GroupAck], *, envelope: Envelope) -> str:
    """One 999 transaction set per acknowledged functional group.

    IK303 loop ids are at most four characters (data element 447): "2010", not "2010BA".
    A copied bad value (IK404) has its delimiters blanked, since it came from a file whose
    delimiters may not be ours.
    """
    w = Writer(envelope)
    w.begin_interchange("FA", ack_999.VERSION)
    codes = ack_999.STATUS_CODES
    for group in groups:
        control = w.begin_transaction("999", ack_999.VERSION)
        w.seg("AK1", group.functional_id, group.group_control_number, group.version)
        for t in group.transactions:
            w.seg("AK2", t.set_id, t.control_number, t.convention or group.version)
            for e in t.errors:
                w.seg("IK3", e.segment_id, str(e.segment_position), e.loop_id or "", e.code or "")
                for name, ref in e.context:
                    w.seg("CTX", w.comp(name, w.verbatim(ref, 35)))
                for x in e.elements:
                    where = w.comp(str(x.element), _opt(x.component), _opt(x.repetition))
                    bad = w.verbatim(x.bad_value or "", 99)
                    w.seg("IK4", where, x.element_reference or "", x.code, bad)
            if t.status is ack_999.AckStatus.PARTIALLY_ACCEPTED:
                raise ValueError("a transaction set is accepted or rejected, never partially")
            w.seg("IK5", codes[t.status], *t.codes)
        w.seg(
            "AK9", codes[group.status], str(group.included), str(group.received),
            str(group.accepted), *group.codes,
        )  # fmt: skip
        w.end_transaction(control)
    return w.end_interchange()


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


# -------------------------------------------------------------------------- 277CA


@dataclass(frozen=True, slots=True)
class ClaimStatusEntry:
    """One claim's front-end verdict for ``render_277ca``: the claim as the payer has it,
    a claimflow ``Claim`` or one read from an 837P."""

    claim: Claim | SubmittedClaim
    status: StatusCode
    payer_claim_control_number: str | None = None
    more: tuple[StatusCode, ...] = ()


def render_277ca(
    entries: Sequence[ClaimStatusEntry],
    *,
    envelope: Envelope,
    payer_name: str,
    payer_id: str,
    batch_reference: str,
    trace_number: str,
    received: dt.date | None = None,
) -> str:
    """A 277CA answering one 837 batch (``batch_reference``: its BHT03 or ISA13)."""
    if not entries:
        raise ValueError("a 277CA needs at least one claim")
    w = Writer(envelope)
    e = envelope
    today = e.created.date()
    w.begin_interchange("HN", status_277ca.VERSION)
    control = w.begin_transaction("277", status_277ca.VERSION)
    w.seg("BHT", "0085", "08", trace_number, date8(today), e.created.strftime("%H%M"), "TH")
    w.seg("HL", "1", "", "20", "1")
    w.seg("NM1", "PR", "2", w.clean(payer_name, 60), "", "", "", "", "PI", payer_id)
    w.seg("TRN", "1", trace_number)
    w.seg("DTP", "050", "D8", date8(received or today))
    w.seg("DTP", "009", "D8", date8(today))
    w.seg("HL", "2", "1", "21", "1")
    w.seg("NM1", "41", "2", w.clean(e.receiver_name, 60), "", "", "", "", "46", e.receiver_id)
    w.seg("TRN", "2", batch_reference)
    subjects = {id(x): _subject(x.claim) for x in entries}
    total = sum((x.claim.total_charge for x in entries), Decimal(0))
    rejected = [x for x in entries if x.status.category in status_277ca.REJECTED_CATEGORIES]
    rejected_total = sum((x.claim.total_charge for x in rejected), Decimal(0))
    w.seg("STC", w.comp("A1", "19", "PR"), date8(today), "WQ", money(total))
    w.seg("QTY", "90", str(len(entries) - len(rejected)))
    w.seg("QTY", "AA", str(len(rejected)))
    w.seg("AMT", "YU", money(total - rejected_total))
    w.seg("AMT", "YY", money(rejected_total))
    hl = 2
    by_provider: dict[str, list[ClaimStatusEntry]] = {}
    for x in entries:
        by_provider.setdefault(subjects[id(x)].billing_npi, []).append(x)
    for npi, items in by_provider.items():
        hl += 1
        provider_hl = hl
        provider_name = subjects[id(items[0])].billing_name
        w.seg("HL", str(hl), "2", "19", "1")
        w.seg("NM1", "85", "2", w.clean(provider_name, 60), "", "", "", "", "XX", npi)
        w.seg("TRN", "1", f"{trace_number}-{provider_hl}")
        sub = sum((x.claim.total_charge for x in items), Decimal(0))
        w.seg("STC", w.comp("A1", "19", "PR"), "", "WQ", money(sub))
        for x in items:
            hl += 1
            _claim_277(w, x, subjects[id(x)], hl, provider_hl, today)
    w.end_transaction(control)
    return w.end_interchange()


@dataclass(frozen=True, slots=True)
class _Subject:
    """What a 277CA echoes of a claim, from either kind of claim."""

    claim_id: str
    billing_npi: str
    billing_name: str
    last_name: str
    first_name: str
    member_id: str
    first_date: dt.date
    last_date: dt.date


def _subject(claim: Claim | SubmittedClaim) -> _Subject:
    if claim.claim_id is None:
        raise ValueError("a claim without claim_id cannot be acknowledged")
    if isinstance(claim, Claim):
        person = claim.patient or claim.subscriber
        return _Subject(
            claim.claim_id, claim.billing_provider.npi, claim.billing_provider.display_name,
            person.last_name, person.first_name, claim.subscriber.member_id,
            claim.first_service_date, max(line.last_service_date for line in claim.lines),
        )  # fmt: skip
    first, last = claim.first_service_date, claim.last_service_date
    if first is None or last is None or not claim.billing_provider_npi or not claim.member_id:
        raise ValueError(f"claim {claim.claim_id}: no billing NPI, member id or service date")
    return _Subject(
        claim.claim_id, claim.billing_provider_npi, claim.billing_provider_name or "PROVIDER",
        claim.patient_last_name or "UNKNOWN", claim.patient_first_name or "",
        claim.member_id, first, last,
    )  # fmt: skip


def _claim_277(
    w: Writer, x: ClaimStatusEntry, who: _Subject, hl: int, parent: int, today: dt.date
) -> None:
    w.seg("HL", str(hl), str(parent), "PT")
    w.seg(
        "NM1", "QC", "1", w.clean(who.last_name, 60), w.clean(who.first_name, 35), "",
        "", "", "MI", w.ident(who.member_id, "member id"),
    )  # fmt: skip
    w.seg("TRN", "2", who.claim_id)
    statuses = [x.status, *x.more[:2]]
    action = "U" if x.status.category in status_277ca.REJECTED_CATEGORIES else "WQ"
    stc = [w.comp(s.category, s.code, s.entity or "") for s in statuses]
    w.seg("STC", stc[0], date8(today), action, money(x.claim.total_charge), "", "", "", "", "",
          *stc[1:])  # fmt: skip
    if x.payer_claim_control_number:
        w.seg("REF", "1K", w.ident(x.payer_claim_control_number, "payer claim control number"))
    w.seg("DTP", "472", *period(who.first_date, who.last_date))


# ---------------------------------------------------------------------------- 835


@dataclass(frozen=True, slots=True)
class PayerInfo:
    """1000A. ``tax_id`` makes TRN03 ("1" + EIN), the payer's id on the payment."""

    name: str
    payer_id: str
    address: Address
    tax_id: str = "999999999"
    contact_phone: str = "8005550199"


@dataclass(frozen=True, slots=True)
class PayeeInfo:
    """1000B: the provider paid, by NPI, with the tax id as REF*TJ."""

    name: str
    npi: str
    tax_id: str | None = None


def payment_of(
    remittance: Remittance,
    *,
    claim: Claim | None = None,
    filing_indicator: str = "ZZ",
) -> ClaimPayment:
    """A claim-level ``ClaimPayment`` for a ``Remittance`` (which has no service lines).

    Each adjustment's RARCs, and the remittance's own, go to the MOA (five at most).
    ``claim``, when the payer has it, adds what a real 835 echoes back: the patient's name
    and member id (NM1*QC; x12sdk's reader insists on the name), the account number
    (REF*EA), the place of service (CLP08) and the statement dates.
    """
    person = (claim.patient or claim.subscriber) if claim else None
    status = remittance.status_code or {
        Decision.DENIED: "4",
        Decision.REVERSAL: "22",
    }.get(remittance.decision, "1")
    remarks: list[str] = list(remittance.remark_codes)
    for a in remittance.adjustments:
        remarks.extend(r for r in a.rarcs if r not in remarks)
    return ClaimPayment(
        claim_id=remittance.claim_id,
        status_code=status,
        charge=remittance.total_charge,
        paid=remittance.paid_amount,
        patient_responsibility=remittance.patient_responsibility,
        filing_indicator=filing_indicator,
        payer_claim_control_number=remittance.payer_claim_control_number,
        facility_code=claim.place_of_service if claim else "11",
        frequency_code=claim.frequency_code if claim else None,
        adjustments=tuple(
            CasAdjustment(str(a.group), a.carc, a.amount) for a in remittance.adjustments
        ),
        remark_codes=tuple(remarks[:5]),
        patient_last_name=person.last_name if person else None,
        patient_first_name=person.first_name if person else None,
        patient_member_id=claim.subscriber.member_id if claim else None,
        account_number=claim.account_number if claim else None,
        statement_from=claim.first_service_date if claim else None,
        statement_to=max(ln.last_service_date for ln in claim.lines) if claim else None,
        crossover_payer_id=remittance.crossover_payer_id,
        crossover_payer_name=remittance.crossover_payer_name,
    )


def render_835(
    payments: Sequence[ClaimPayment | Remittance],
    *,
    envelope: Envelope,
    trace_number: str,
    payer: PayerInfo,
    payee: PayeeInfo,
    payment_date: dt.date,
    provider_adjustments: Sequence[ProviderAdjustment] = (),
) -> str:
    """One 835 paying ``payments`` by check (BPR04 CHK), or a notice (H, NON) when the net
    is zero. BPR02 = sum(CLP04) - sum(PLB); a negative net cannot be paid and is refused
    (the payer carries it forward as a PLB instead)."""
    claims = tuple(p if isinstance(p, ClaimPayment) else payment_of(p) for p in payments)
    net = sum((c.paid for c in claims), Decimal(0)) - sum(
        (p.amount for p in provider_adjustments), Decimal(0)
    )
    if net < 0:
        raise ValueError(f"the net payment {net} is negative: carry it forward with a PLB")
    era = Era(
        "0001", "I" if net else "H", net, "C", "CHK" if net else "NON", payment_date,
        trace_number, "1" + payer.tax_id, Party(payer.name), Party(payee.name, "XX", payee.npi),
        claims, tuple(provider_adjustments),
    )  # fmt: skip
    unbalanced = check_balancing(era)
    if unbalanced:
        raise ValueError("payments do not balance: " + "; ".join(map(str, unbalanced)))
    w = Writer(envelope)
    w.begin_interchange("HP", VERSION_835)
    # ST03 is "not used" in the 835 guide (and pyx12 flags it), so it is left out.
    control = w.begin_transaction("835", None)
    w.seg(
        "BPR", era.handling_code, money(net), "C", era.payment_method, "", "", "", "", "", "",
        "", "", "", "", "", date8(payment_date),
    )  # fmt: skip
    w.seg("TRN", "1", trace_number, era.payer_identifier)
    w.seg("DTM", "405", date8(envelope.created.date()))
    w.seg("N1", "PR", w.clean(payer.name, 60))
    w.seg("N3", w.clean(payer.address.line1, 55), w.clean(payer.address.line2 or "", 55))
    w.seg("N4", w.clean(payer.address.city, 30), payer.address.state, payer.address.postal_code)
    w.seg("REF", "2U", w.ident(payer.payer_id, "payer id"))
    w.seg("PER", "BL", "EDI SUPPORT", "TE", payer.contact_phone)
    w.seg("N1", "PE", w.clean(payee.name, 60), "XX", payee.npi)
    if payee.tax_id:
        w.seg("REF", "TJ", payee.tax_id)
    if claims:
        w.seg("LX", "1")
    for claim in claims:
        _claim_835(w, claim)
    _plb(w, provider_adjustments)
    w.end_transaction(control)
    return w.end_interchange()


def _cas(w: Writer, adjustments: Sequence[CasAdjustment]) -> None:
    by_group: dict[str, list[CasAdjustment]] = {}
    for a in adjustments:
        by_group.setdefault(a.group, []).append(a)
    for group, items in by_group.items():
        for i in range(0, len(items), 6):
            triplets: list[str] = []
            for a in items[i : i + 6]:
                qty = number(a.quantity) if a.quantity is not None else ""
                triplets += [a.reason, money(a.amount), qty]
            w.seg("CAS", group, *triplets)


def _claim_835(w: Writer, c: ClaimPayment) -> None:
    pr = money(c.patient_responsibility) if c.patient_responsibility is not None else ""
    w.seg(
        "CLP", w.ident(c.claim_id, "claim id"), c.status_code, money(c.charge), money(c.paid),
        pr, c.filing_indicator, w.ident(c.payer_claim_control_number, "payer claim number"),
        c.facility_code or "", c.frequency_code or "",
    )  # fmt: skip
    _cas(w, c.adjustments)
    w.seg(
        "NM1", "QC", "1", w.clean(c.patient_last_name or "", 60),
        w.clean(c.patient_first_name or "", 35), "", "", "",
        "MI" if c.patient_member_id else "", c.patient_member_id or "",
    )  # fmt: skip
    if c.crossover_payer_id:
        # The payer the claim was forwarded to (CLP02 19/20/21).
        name = w.clean(c.crossover_payer_name or c.crossover_payer_id, 60)
        w.seg("NM1", "TT", "2", name, "", "", "", "", "PI", c.crossover_payer_id)
    if c.remark_codes:
        w.seg("MOA", "", "", *c.remark_codes[:5])
    if c.account_number:
        w.seg("REF", "EA", w.ident(c.account_number, "account number"))
    if c.statement_from:
        w.seg("DTM", "232", date8(c.statement_from))
    if c.statement_to:
        w.seg("DTM", "233", date8(c.statement_to))
    for line in c.service_lines:
        w.seg(
            "SVC", w.comp(line.qualifier, line.procedure_code, *line.modifiers),
            money(line.charge), money(line.paid), line.revenue_code or "",
            number(line.units_paid) if line.units_paid is not None else "",
        )  # fmt: skip
        if line.service_date_from:
            if line.service_date_to and line.service_date_to != line.service_date_from:
                w.seg("DTM", "150", date8(line.service_date_from))
                w.seg("DTM", "151", date8(line.service_date_to))
            else:
                w.seg("DTM", "472", date8(line.service_date_from))
        _cas(w, line.adjustments)
        if line.line_control_number:
            w.seg("REF", "6R", w.ident(line.line_control_number, "line control number"))
        if line.allowed_amount is not None:
            w.seg("AMT", "B6", money(line.allowed_amount))
        for rarc in line.remark_codes:
            w.seg("LQ", "HE", rarc)


def _plb(w: Writer, adjustments: Sequence[ProviderAdjustment]) -> None:
    by_key: dict[tuple[str, dt.date | None], list[ProviderAdjustment]] = {}
    for p in adjustments:
        by_key.setdefault((p.provider_id, p.fiscal_period_date), []).append(p)
    for (provider, day), items in by_key.items():
        for i in range(0, len(items), 6):
            pairs: list[str] = []
            for p in items[i : i + 6]:
                pairs += [w.comp(p.reason, p.reference or ""), money(p.amount)]
            w.seg("PLB", provider, date8(day) if day else "", *pairs)
