"""What the patient owes, from the claim's ledger, and why, in plain words.

The payer's 835 says the patient's share by CAS group PR and a reason code: 1 deductible,
2 coinsurance, 3 copay, a few (49, 50, 96, 119, 204) services the plan does not cover;
anything else under PR is "other" (``claims.ledger.PATIENT_KINDS``, the one mapping). The
ledger books each as a ``patient`` entry, and reversals and new decisions take them off, so
the share is always the sum of what stands. What the patient has paid comes from the
patient payments booked against the claim; the balance is the share minus those.

A statement groups the claims of one patient (by an opaque patient key, never a name) and
explains each service line: what was billed, what insurance paid, and each reason the rest
is the patient's, with the code's meaning. Pure: amounts in, amounts and words out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from claims.ledger import (
    PATIENT_KINDS,
    EntryKind,
    LedgerEntry,
    PatientKind,
    balances,
    line_balances,
)
from claims.reason_codes import carc_description, rarc_description

ZERO = Decimal("0.00")

# What each kind means to the patient reading a bill.
KIND_WORDS: dict[PatientKind, str] = {
    PatientKind.DEDUCTIBLE: (
        "Deductible: the amount you pay each plan year before your plan starts to pay."
    ),
    PatientKind.COINSURANCE: (
        "Coinsurance: your share of the cost, a percentage of the amount your plan allows."
    ),
    PatientKind.COPAY: "Copay: the fixed amount your plan asks you to pay for this kind of visit.",
    PatientKind.NON_COVERED: "Not covered: your plan does not pay for this service.",
    PatientKind.OTHER: "Other amount your plan says is yours to pay.",
}


def patient_kind(carc: str) -> PatientKind:
    """The kind of a PR adjustment's reason code (the 835's CAS02 under group PR)."""
    return PATIENT_KINDS.get(carc, PatientKind.OTHER)


class PatientShare(BaseModel):
    """A claim's (or a patient's) responsibility by kind, what was paid, what is left."""

    model_config = ConfigDict(frozen=True)

    charged: Decimal = ZERO
    insurance_paid: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO
    copay: Decimal = ZERO
    non_covered: Decimal = ZERO
    other: Decimal = ZERO
    responsibility: Decimal = ZERO
    patient_paid: Decimal = ZERO
    balance: Decimal = ZERO


def claim_share(
    entries: Sequence[LedgerEntry], patient_payments: Iterable[Decimal]
) -> PatientShare:
    """The share of one claim from its ledger entries and its patient payments."""
    totals = balances(entries)
    other = sum(
        (
            e.amount
            for e in entries
            if e.kind is EntryKind.PATIENT and e.patient_kind is PatientKind.OTHER
        ),
        ZERO,
    )
    paid = sum(patient_payments, ZERO)
    return PatientShare(
        charged=totals.charged,
        insurance_paid=totals.paid - totals.recoupment_expected,
        deductible=totals.deductible,
        coinsurance=totals.coinsurance,
        copay=totals.copay,
        non_covered=totals.non_covered,
        other=other,
        responsibility=totals.patient_responsibility,
        patient_paid=paid,
        balance=totals.patient_responsibility - paid,
    )


def total_share(shares: Iterable[PatientShare]) -> PatientShare:
    """Several claims' shares added up (a patient's, a statement's)."""
    fields = PatientShare.model_fields
    sums = {name: ZERO for name in fields}
    for share in shares:
        for name in fields:
            sums[name] += getattr(share, name)
    return PatientShare(**sums)


class Reason(BaseModel):
    """One reason an amount of a service is the patient's, in words."""

    model_config = ConfigDict(frozen=True)

    code: str  # e.g. "PR-2"
    amount: Decimal
    kind: PatientKind
    explanation: str
    code_meaning: str
    remarks: tuple[str, ...] = ()


class ServiceOwed(BaseModel):
    """One service line of a statement."""

    model_config = ConfigDict(frozen=True)

    line: int
    procedure_code: str | None
    charge: Decimal
    insurance_paid: Decimal
    plan_reductions: Decimal
    patient_owes: Decimal
    reasons: tuple[Reason, ...] = ()


def services_owed(entries: Sequence[LedgerEntry]) -> list[ServiceOwed]:
    """Each service line of a claim: billed, paid by insurance, reduced by the plan's
    contract (the provider absorbs it, the patient never owes it), and the patient's part
    with every reason."""
    out = []
    for line in line_balances(entries):
        reasons = tuple(
            Reason(
                code=f"{a.group}-{a.carc}",
                amount=a.amount,
                kind=patient_kind(a.carc),
                explanation=KIND_WORDS[patient_kind(a.carc)],
                code_meaning=carc_description(a.carc) or "no description on our code list",
                remarks=tuple(
                    f"{r}: {rarc_description(r) or 'no description on our code list'}"
                    for r in a.rarcs
                ),
            )
            for a in line.adjustments
            if a.group == "PR"
        )
        owes = sum(line.patient.values(), ZERO)
        reductions = sum((a.amount for a in line.adjustments if a.group != "PR"), ZERO)
        out.append(
            ServiceOwed(
                line=line.line,
                procedure_code=line.procedure_code,
                charge=line.charge,
                insurance_paid=line.paid,
                plan_reductions=reductions,
                patient_owes=owes,
                reasons=reasons,
            )
        )
    return out


def claim_level_reasons(entries: Sequence[LedgerEntry]) -> list[Reason]:
    """PR adjustments the payer made to the claim as a whole (no service line)."""
    sums: dict[str, Decimal] = {}
    for e in entries:
        if e.kind is EntryKind.PATIENT and e.line is None and e.carc:
            sums[e.carc] = sums.get(e.carc, ZERO) + e.amount
    return [
        Reason(
            code=f"PR-{carc}",
            amount=amount,
            kind=patient_kind(carc),
            explanation=KIND_WORDS[patient_kind(carc)],
            code_meaning=carc_description(carc) or "no description on our code list",
        )
        for carc, amount in sums.items()
        if amount
    ]
