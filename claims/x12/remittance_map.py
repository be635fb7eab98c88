"""From an ERA's claim payment to the ``Remittance`` signal a claim's workflow receives.

The 835 says how much was paid and why the rest was not, line by line; the workflow needs
one decision per claim (paid, partially paid, denied, reversed) and a claim-level list of
adjustments whose amounts still explain charge minus payment.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from claims.remittance import (
    Adjustment,
    Decision,
    GroupCode,
    PaymentRef,
    Remittance,
    RemittanceLine,
)
from claims.x12.era import CasAdjustment, ClaimPayment, ServicePayment
from claims.x12.errors import X12Error


def _merged(payment: ClaimPayment) -> tuple[Adjustment, ...]:
    """Claim- and line-level CAS by group and CARC, amounts summed, RARCs attached: the
    claim-level view ``Remittance`` keeps (the 835 keeps the per-line detail)."""
    found: dict[tuple[str, str], tuple[Decimal, list[str]]] = {}
    claim_rarcs = list(payment.remark_codes)
    sources = [(payment.adjustments, claim_rarcs)] + [
        (line.adjustments, list(line.remark_codes)) for line in payment.service_lines
    ]
    for adjustments, rarcs in sources:
        for a in adjustments:
            total, codes = found.get((a.group, a.reason), (Decimal(0), []))
            codes.extend(r for r in rarcs if r not in codes)
            found[(a.group, a.reason)] = (total + a.amount, codes)
    return tuple(
        Adjustment(group=GroupCode(g), carc=r, amount=amount, rarcs=tuple(codes))
        for (g, r), (amount, codes) in found.items()
    )


def _adjustments(cas: tuple[CasAdjustment, ...], rarcs: tuple[str, ...]) -> tuple[Adjustment, ...]:
    return tuple(
        Adjustment(group=GroupCode(a.group), carc=a.reason, amount=a.amount, rarcs=rarcs)
        for a in cas
    )


def _line(n: int, line: ServicePayment) -> RemittanceLine:
    # REF*6R echoes the line item control number our 837P sent: the claim's line number.
    control = line.line_control_number or ""
    number = int(control) if control.isdigit() and 0 < int(control) <= 999 else n
    return RemittanceLine(
        line=number,
        procedure_code=line.procedure_code,
        modifiers=line.modifiers,
        charge=line.charge,
        paid=line.paid,
        allowed=line.allowed_amount,
        units=line.units_paid,
        adjustments=_adjustments(line.adjustments, line.remark_codes),
        remark_codes=line.remark_codes,
        service_date=line.service_date_from,
        line_control_number=line.line_control_number,
    )


def _denies(remittance: Remittance) -> bool:
    """Whether a positive adjustment is a denial reason as ``Remittance.denial_reasons``
    defines one (not the patient's share, not the contractual write-down): the workflow
    reads the same property, so the decision here and its reading there cannot disagree."""
    positive = tuple(a for a in remittance.adjustments if a.amount > 0)
    return bool(remittance.model_copy(update={"adjustments": positive}).denial_reasons)


def decision_of(payment: ClaimPayment) -> Decision:
    """REVERSAL for CLP02 22; DENIED for CLP02 4, or nothing paid for a denial reason;
    PARTIALLY_PAID when something was paid but a denial reason took part of it; else PAID.

    So CO-45 alone is a paid claim, CO-97 on one line of a paid claim a partial denial, and
    PR-1 taking the whole charge still PAID (applied to the deductible).
    """
    return to_remittance(payment, remittance_id="decision").decision


def _decision(payment: ClaimPayment, remittance: Remittance) -> Decision:
    if payment.is_reversal:
        return Decision.REVERSAL
    denial = _denies(remittance)
    if payment.is_denied or (payment.paid == 0 and denial):
        return Decision.DENIED
    return Decision.PARTIALLY_PAID if denial else Decision.PAID


def to_remittance(
    payment: ClaimPayment,
    *,
    remittance_id: str,
    trace_number: str | None = None,
    paid_with: PaymentRef | None = None,
) -> Remittance:
    """The workflow's signal payload for one claim payment of an ERA.

    Raises ``X12Error`` at the CLP when the payment cannot be a ``Remittance`` (summed
    adjustments beyond its 12-digit amounts, say): a parsed file must not fail later with
    a pydantic error that names no segment.
    """
    responsibility = payment.patient_responsibility
    if responsibility is None:
        responsibility = sum(
            (a.amount for a in payment.all_adjustments if a.group == "PR"), Decimal(0)
        )
    try:
        return _remittance(payment, remittance_id, trace_number, responsibility, paid_with)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise X12Error(
            "CLP", payment.position, f"claim {payment.claim_id!r}: {where}: {first['msg']}"
        ) from None


def _remittance(
    payment: ClaimPayment,
    remittance_id: str,
    trace_number: str | None,
    responsibility: Decimal,
    paid_with: PaymentRef | None,
) -> Remittance:
    remittance = Remittance(
        remittance_id=remittance_id,
        claim_id=payment.claim_id,
        payer_claim_control_number=payment.payer_claim_control_number,
        decision=Decision.PAID,  # decided below, from the validated adjustments
        total_charge=payment.charge,
        paid_amount=payment.paid,
        patient_responsibility=responsibility,
        adjustments=_merged(payment),
        status_code=payment.status_code,
        trace_number=trace_number,
        remark_codes=payment.remark_codes,
        lines=tuple(_line(n, line) for n, line in enumerate(payment.service_lines, start=1)),
        claim_adjustments=_adjustments(payment.adjustments, payment.remark_codes),
        payment=paid_with,
        crossover_payer_id=payment.crossover_payer_id,
        crossover_payer_name=payment.crossover_payer_name,
    )
    return remittance.model_copy(update={"decision": _decision(payment, remittance)})
