"""Read the claims out of an 837P: what a payer (or the payer simulator) adjudicates.

This is the receiving side of ``render_837p``, and also reads 837Ps written by other
systems. It keeps what a payer decides on and what comes back in its answers: CLM01
(echoed as 277CA TRN02 and 835 CLP01), the amounts, the frequency and REF*F8, the
diagnoses and each line's procedure, modifiers, charge, units, pointers and dates. It
does not rebuild a full ``Claim``: names and addresses are not needed to answer, and a
claim rebuilt from a file could pass for one claimflow validated when it was not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from claims.x12 import elements as el
from claims.x12.cursor import Cursor
from claims.x12.errors import Deviations, Position, X12Error, X12Finding, internal_error
from claims.x12.gc_pause import gc_paused
from claims.x12.interchange import TransactionSet, transactions_of
from claims.x12.parse import Delimiters, Segment

_DX_QUALIFIERS = {"ABK": True, "BK": True, "ABF": False, "BF": False}


@dataclass(frozen=True, slots=True)
class SubmittedLine:
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: Decimal
    diagnosis_pointers: tuple[int, ...]
    place_of_service: str | None
    service_date_from: dt.date | None
    service_date_to: dt.date | None


@dataclass(frozen=True, slots=True)
class SubmittedClaim:
    claim_id: str
    transaction_control_number: str
    total_charge: Decimal
    place_of_service: str
    frequency_code: str
    billing_provider_npi: str | None
    payer_id: str | None
    member_id: str | None
    diagnoses: tuple[str, ...]
    lines: tuple[SubmittedLine, ...]
    payer_claim_control_number: str | None = None
    prior_authorization: str | None = None
    account_number: str | None = None
    patient_is_subscriber: bool = True
    position: Position | None = None
    # What a payer echoes back in its 277CA (NM1*85, NM1*QC): read, not validated.
    billing_provider_name: str | None = None
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    # Coordination of benefits: SBR01 of 2000B (P, S, T), the other payers of 2330B, what
    # the payers before this one paid (2320 AMT*D, summed) and left the patient (AMT*EAF).
    responsibility: str = "P"
    other_payer_ids: tuple[str, ...] = ()
    prior_paid: Decimal | None = None
    prior_patient_liability: Decimal | None = None

    @property
    def first_service_date(self) -> dt.date | None:
        return min(
            (ln.service_date_from for ln in self.lines if ln.service_date_from), default=None
        )

    @property
    def last_service_date(self) -> dt.date | None:
        return max(
            (
                ln.service_date_to or ln.service_date_from
                for ln in self.lines
                if ln.service_date_from
            ),
            default=None,
        )

    @property
    def line_total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


def parse_837p(
    data: str | bytes, *, findings: list[X12Finding] | None = None
) -> list[SubmittedClaim]:
    """Every claim of every 837P transaction set in ``data``; raises ``X12Error``.

    With a ``findings`` list the read is liberal (envelope trailers, an empty CLM05-2
    facility code qualifier): deviations are appended there."""
    try:
        with gc_paused():
            doc, found = transactions_of(
                data, functional_id="HC", set_id="837", versions=("005010X222",),
                findings=findings,
            )  # fmt: skip
            dev = Deviations(findings)
            return [claim for _, _, st in found for claim in _claims(st, doc.delimiters, dev)]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "an 837P") from exc


class _Context:
    """The hierarchy above the claim being read (2000A/2000B/2000C)."""

    __slots__ = (
        "billing_name", "billing_npi", "member_id", "names", "patient", "payer_id",
        "responsibility",
    )  # fmt: skip

    def __init__(self) -> None:
        self.billing_npi: str | None = None
        self.billing_name: str | None = None
        self.member_id: str | None = None
        self.payer_id: str | None = None
        self.patient = False
        self.responsibility = "P"
        # (last, first) of the subscriber, then of the patient when 2000C follows.
        self.names: tuple[str | None, str | None] = (None, None)


def _claims(st: TransactionSet, d: Delimiters, dev: Deviations) -> list[SubmittedClaim]:
    c = Cursor(st)
    c.expect("BHT", None, "beginning of hierarchical transaction")
    out: list[SubmittedClaim] = []
    ctx = _Context()
    while (seg := c.peek()) is not None:
        if seg.id == "CLM":
            if ctx.payer_id is None:
                raise seg.error("CLM before its subscriber and payer (2000B): out of order")
            out.append(_claim(c, d, ctx, st.control_number, dev))
            continue
        c.take()
        if seg.id == "HL":
            level = el.code(seg, 3, ("20", "22", "23"), "hierarchical level code")
            if level == "20":
                ctx = _Context()
            elif level == "22":
                ctx.member_id, ctx.payer_id, ctx.patient = None, None, False
            else:
                ctx.patient = True
        elif seg.id == "NM1":
            entity = seg.get(1)
            if entity == "85":
                ctx.billing_npi = seg.get(9) or None
                ctx.billing_name = seg.get(3) or None
            elif entity == "IL":
                ctx.member_id = seg.get(9) or None
                ctx.names = (seg.get(3) or None, seg.get(4) or None)
            elif entity == "QC":
                ctx.names = (seg.get(3) or None, seg.get(4) or None)
            elif entity == "PR":
                ctx.payer_id = el.required(seg, 9, "payer identifier")
        elif seg.id == "SBR":
            ctx.responsibility = seg.get(1) or "P"
        elif seg.id in ("SV1", "LX", "HI"):
            raise seg.error(f"{seg.id} outside a claim (2300): segments out of order")
    if not out:
        raise c.here("the transaction set holds no claim (CLM)")
    return out


def _claim(
    c: Cursor, d: Delimiters, ctx: _Context, control: str, dev: Deviations
) -> SubmittedClaim:
    clm = c.take()
    location = el.required(clm, 5, "service location").split(d.component)
    if len(location) != 3 or not location[0] or not location[2]:
        raise clm.error(f"CLM05 {clm.get(5)[:20]!r} is not place:B:frequency")
    if location[1] != "B":
        dev.note("CLM", clm.position, f"CLM05-2 facility code qualifier {location[1]!r} is not "
                 "B (read as B)")  # fmt: skip
    refs: dict[str, str] = {}
    diagnoses: list[str] = []
    others = _OtherPayers()
    while (seg := c.peek()) is not None and seg.id not in ("LX", "CLM", "HL"):
        c.take()
        if seg.id in ("SBR", "AMT", "NM1") or others.inside:
            others.read(seg)
        elif seg.id == "REF":
            refs[seg.get(1)] = el.required(seg, 2, "reference identifier")
        elif seg.id == "HI":
            diagnoses.extend(_diagnoses(seg, d, first=not diagnoses))
    lines: list[SubmittedLine] = []
    while c.peek_id() == "LX":
        c.take()
        lines.append(_line(c, d, len(diagnoses)))
    if not lines:
        raise clm.error(f"claim {clm.get(1)[:40]!r} has no service line (LX/SV1)")
    return SubmittedClaim(
        claim_id=el.required(clm, 1, "patient control number"),
        transaction_control_number=control,
        total_charge=el.money(clm, 2, "total claim charge"),
        place_of_service=location[0],
        frequency_code=location[2],
        billing_provider_npi=ctx.billing_npi,
        payer_id=ctx.payer_id,
        member_id=ctx.member_id,
        diagnoses=tuple(diagnoses),
        lines=tuple(lines),
        payer_claim_control_number=refs.get("F8"),
        prior_authorization=refs.get("G1"),
        account_number=refs.get("EA"),
        patient_is_subscriber=not ctx.patient,
        position=clm.position,
        billing_provider_name=ctx.billing_name,
        patient_last_name=ctx.names[0],
        patient_first_name=ctx.names[1],
        responsibility=ctx.responsibility,
        other_payer_ids=tuple(others.payer_ids),
        prior_paid=others.paid,
        prior_patient_liability=others.patient,
    )


class _OtherPayers:
    """Loops 2320-2330B of one claim: the other payers and what they decided."""

    def __init__(self) -> None:
        self.inside = False
        self.payer_ids: list[str] = []
        self.paid: Decimal | None = None
        self.patient: Decimal | None = None

    def read(self, seg: Segment) -> None:
        if seg.id == "SBR":
            self.inside = True
        elif not self.inside:
            return
        elif seg.id == "AMT" and seg.get(1) == "D":
            self.paid = (self.paid or Decimal(0)) + el.money(seg, 2, "payer paid amount")
        elif seg.id == "AMT" and seg.get(1) == "EAF":
            self.patient = el.money(seg, 2, "remaining patient liability")
        elif seg.id == "NM1" and seg.get(1) == "PR":
            self.payer_ids.append(el.required(seg, 9, "other payer identifier"))


def _diagnoses(seg: Segment, d: Delimiters, *, first: bool) -> list[str]:
    """HI composites; only the health care diagnosis HI (ABK/ABF) is read, others skipped."""
    out = []
    for n, raw in enumerate(seg.elements[1:], start=1):
        qualifier, _, code = raw.partition(d.component)
        principal = _DX_QUALIFIERS.get(qualifier)
        if principal is None:
            if n == 1:
                return []  # another HI (condition, anesthesia ...): not diagnoses
            raise seg.error(f"{el.name(seg, n)} qualifier {qualifier[:5]!r} is not ABF")
        if principal != (first and n == 1) or not code:
            raise seg.error(f"{el.name(seg, n)} {raw[:20]!r}: ABK first, then ABF, with a code")
        out.append(code.split(d.component)[0])
    return out


def _line(c: Cursor, d: Delimiters, diagnoses: int) -> SubmittedLine:
    sv1 = c.expect("SV1", None, "professional service")
    procedure = el.required(sv1, 1, "procedure").split(d.component)
    if procedure[0] not in ("HC", "ER", "IV", "WK") or len(procedure) < 2 or not procedure[1]:
        raise sv1.error(f"SV101 {sv1.get(1)[:20]!r} is not qualifier:procedure")
    pointers = []
    for raw in el.required(sv1, 7, "diagnosis pointers").split(d.component):
        if not raw.isdigit() or not 1 <= int(raw) <= max(diagnoses, 1):
            raise sv1.error(f"SV107 pointer {raw[:5]!r} points at no diagnosis")
        pointers.append(int(raw))
    units = el.quantity(sv1, 4, "service units")
    if units is None:
        raise sv1.error("SV104 (service units) is required")
    dates: tuple[dt.date | None, dt.date | None] = (None, None)
    while (seg := c.peek()) is not None and seg.id not in ("LX", "CLM", "HL"):
        c.take()
        if seg.id == "DTP" and seg.get(1) == "472":
            dates = el.period(seg, 2, 3, "service date")
    return SubmittedLine(
        procedure_code=procedure[1], modifiers=tuple(m for m in procedure[2:6] if m),
        charge=el.money(sv1, 2, "line charge"), units=units,
        diagnosis_pointers=tuple(pointers), place_of_service=sv1.get(5) or None,
        service_date_from=dates[0], service_date_to=dates[1],
    )  # fmt: skip
