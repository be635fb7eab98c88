"""What a payer decided about a claim: the per-claim part of an 835 (CLP, CAS, SVC).

Group codes say who owes an adjustment (CO provider, PR patient, OA other, PI payer);
CARCs say why money was not paid and RARCs add detail. Billers read denials by these codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# To the cent, so 104.8 from an 835 and 104.80 from JSON are the same value, printed alike.
Amount = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2),
    AfterValidator(lambda d: d.quantize(Decimal("0.01"))),
]


class GroupCode(StrEnum):
    CO = "CO"
    PR = "PR"
    OA = "OA"
    PI = "PI"


class Adjustment(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: GroupCode
    carc: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,5}$")]
    amount: Amount
    rarcs: tuple[str, ...] = ()


class Decision(StrEnum):
    PAID = "paid"
    # Paid in part: some lines or amounts denied (e.g. CO-97 bundled), the rest paid.
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    # The payer takes back an earlier payment (835 CLP02 = 22); a correction usually follows.
    REVERSAL = "reversal"


class RemittanceLine(BaseModel):
    """One service line of a claim payment (835 loop 2110): what billers reconcile by."""

    model_config = ConfigDict(frozen=True)

    # 1-based position of the SVC within its CLP.
    line: int = Field(ge=1)
    procedure_code: Annotated[str, StringConstraints(max_length=48)]
    modifiers: tuple[str, ...] = ()
    charge: Amount
    paid: Amount
    # AMT*B6, when the payer sends it.
    allowed: Amount | None = None
    units: Annotated[Decimal, Field(max_digits=15, decimal_places=3)] | None = None
    # This line's CAS, each with the line's RARCs (LQ*HE) attached.
    adjustments: tuple[Adjustment, ...] = ()
    remark_codes: tuple[str, ...] = ()
    service_date: dt.date | None = None
    # REF*6R: the line item control number the 837 sent.
    line_control_number: str | None = None


class PaymentRef(BaseModel):
    """The payment (check or EFT) a claim payment arrived with: BPR and TRN."""

    model_config = ConfigDict(frozen=True)

    # Where the payment's own ledger is kept (``services.payments``).
    payment_id: Annotated[str, StringConstraints(max_length=80)]
    trace_number: Annotated[str, StringConstraints(max_length=80)]
    payer_identifier: Annotated[str, StringConstraints(max_length=80)]
    method: Annotated[str, StringConstraints(max_length=8)]
    payment_date: dt.date | None = None


class Remittance(BaseModel):
    """One claim payment (or denial) as the payer reports it.

    ``remittance_id`` is unique per payer message so that a message delivered twice is
    applied once.
    """

    model_config = ConfigDict(frozen=True)

    remittance_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    claim_id: str
    payer_claim_control_number: str
    decision: Decision
    total_charge: Amount
    paid_amount: Amount
    patient_responsibility: Amount = Decimal(0)
    adjustments: tuple[Adjustment, ...] = ()
    # From an 835 (claims.x12.remit_835.to_remittance); absent on older payloads.
    # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal, ...
    status_code: str | None = None
    # TRN02, the check or EFT trace number the payment arrived with (for reconciliation).
    trace_number: str | None = None
    # Claim-level RARCs (MOA/MIA), which belong to no single adjustment.
    remark_codes: tuple[str, ...] = ()
    # From an 835: the service lines and the claim-level CAS, which the claim's ledger
    # books line by line (``adjustments`` above is their claim-level sum, kept for readers
    # that want one list). Absent (JSON payers, older payloads): the ledger books
    # ``paid_amount`` and ``adjustments`` against the claim as a whole.
    lines: tuple[RemittanceLine, ...] = ()
    claim_adjustments: tuple[Adjustment, ...] = ()
    payment: PaymentRef | None = None
    # Coordination of benefits. A crossover (CLP02 19/20/21): the payer NM1*TT says it
    # forwarded the claim to (its id NM109, its name NM103).
    crossover_payer_id: Annotated[str, StringConstraints(max_length=80)] | None = None
    crossover_payer_name: Annotated[str, StringConstraints(max_length=60)] | None = None
    # Set on a secondary (or tertiary) claim's decision handed to its primary claim: which
    # payer in order decided it, so the primary books it as a later payer's, not its own.
    processed_as: Literal["P", "S", "T"] | None = None

    @property
    def denial_reasons(self) -> tuple[str, ...]:
        return tuple(f"{a.group}-{a.carc}" for a in self.adjustments if is_denial(a.group, a.carc))


# Adjustments that reduce a payment by rule rather than refuse it: the contract's fee
# schedule (45, 42), multiple-procedure and other payment reductions (59, 104, 131, 144,
# 237), sequestration (253), and coordination of benefits with another payer (23, 24, 94).
REDUCTION_CARCS: frozenset[str] = frozenset(
    {"23", "24", "42", "45", "59", "94", "104", "131", "144", "237", "253"}
)


def is_denial(group: str, carc: str) -> bool:
    """An adjustment the payer refused to pay, as opposed to the patient's share (PR) or a
    payment reduction the contract or the law makes (``REDUCTION_CARCS``)."""
    return group != GroupCode.PR and carc not in REDUCTION_CARCS


def payer_balance(
    total_charge: Decimal,
    decision: Decision | None,
    paid: Decimal | None,
    adjustments: Iterable[tuple[str, str, Decimal]],
) -> Decimal:
    """What the payer may still owe: the money at risk that ops age and billers chase.

    Before a decision it is the whole charge; after a denial or partial payment, the denied
    adjustments (not the patient's share, not the contractual write-down); once paid, nothing.
    """
    if decision is None or decision is Decision.REVERSAL:
        return total_charge
    if decision is Decision.PAID:
        return Decimal(0)
    return sum(
        (amount for group, carc, amount in adjustments if is_denial(group, carc)), Decimal(0)
    )
