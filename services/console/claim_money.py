"""What the claim page says about coverage and about the patient's money, in plain words.

Coverage is the eligibility check (270/271) the claim carries (``ClaimView.eligibility``):
what the payer said, the plan's cost sharing and the share of this claim the patient is
expected to pay. The patient's money is the ledger's (``services.patient_ledger``): the
responsibility by kind once the payer has decided, what the patient paid, the balance, and
the latest statement. The page reads exactly what ``GET /claims/{id}/patient-balance``,
``/patient-payments`` and ``/statements/{id}`` answer; nothing here names the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine

from claims.patient_share import KIND_WORDS, PatientShare
from events.contract import EligibilityData
from services import patient_ledger as pl
from services import statements
from services.console.render import money

# What each answer means to the biller reading the claim.
COVERAGE_WORDS = {
    "active": "Covered: the payer confirmed active coverage on the date of service.",
    "inactive": "Not covered: the payer says the coverage was not active on the date of service.",
    "not_found": "Not found: the payer does not know this member.",
    "timeout": "Not checked: the payer did not answer in time, so the claim went out unchecked.",
    "error": "Not checked: the payer could not answer, so the claim went out unchecked.",
    "pending": "Asked: the payer's answer comes later, as a file.",
}


def coverage_headline(elig: EligibilityData) -> str:
    return COVERAGE_WORDS.get(elig.status, f"The payer answered {elig.status!r} (not confirmed).")


def expected_share_words(elig: EligibilityData) -> str | None:
    """The expected patient share of this claim's charge as a sentence (None: not active)."""
    share = elig.expected_patient_share
    if share is None:
        return None
    if not share.known:
        return (
            "The payer gave no cost-sharing figures, so what the patient will owe is not known "
            "until the payer decides the claim."
        )
    parts = [
        f"{money(amount)} {what}"
        for amount, what in (
            (share.copay, "copay"),
            (share.deductible, "toward the deductible"),
            (share.coinsurance, "coinsurance"),
        )
        if amount
    ]
    how = f" ({', '.join(parts)})" if parts else ""
    return (
        f"By the plan's figures the patient is expected to pay about {money(share.amount)} of "
        f"the {money(share.total)} charged{how}. The payer's decision sets the final amount."
    )


@dataclass(frozen=True)
class ShareLine:
    kind: str
    amount: Decimal
    words: str


@dataclass(frozen=True)
class PatientMoney:
    share: PatientShare
    lines: tuple[ShareLine, ...]
    payments: tuple[pl.PatientPayment, ...]
    statement: statements.StatementRecord | None


def patient_money(engine: Engine, claim_id: str) -> PatientMoney | None:
    """The patient's side of the claim from the ledger (None: no patient on record yet)."""
    if pl.patient_of(engine, claim_id) is None:
        return None
    share = pl.share_of(engine, claim_id)
    lines = tuple(
        ShareLine(kind.value.replace("_", " "), amount, words)
        for kind, words in KIND_WORDS.items()
        if (amount := getattr(share, kind.value, Decimal(0)))
    )
    return PatientMoney(
        share=share,
        lines=lines,
        payments=tuple(pl.payments_of(engine, claim_id)),
        statement=statements.latest_for_claim(engine, claim_id),
    )
