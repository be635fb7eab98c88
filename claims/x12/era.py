"""An 835 remittance (ERA) as data: one payment (BPR/TRN) and the claims it settles.

Plain frozen dataclasses rather than pydantic models: a large ERA holds thousands of claim
payments, the parser has already checked every value, and re-validating them would only
cost time. Amounts keep their signs: a reversal (CLP02 = 22) carries negative amounts,
and every balancing rule holds for it unchanged.

Each claim payment, service line and provider adjustment keeps its ``position`` in the
file, so a balancing failure can be found in the original text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from claims.x12.errors import Position

# CLP02: the claim's status in this payer's adjudication.
CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to additional payer(s)",
    "20": "processed as secondary, forwarded to additional payer(s)",
    "21": "processed as tertiary, forwarded to additional payer(s)",
    "22": "reversal of previous payment",
    "23": "not our claim, forwarded to additional payer(s)",
    "25": "predetermination pricing only, no payment",
}
GROUP_CODES = frozenset({"CO", "PR", "OA", "PI"})


@dataclass(frozen=True, slots=True)
class CasAdjustment:
    """One reason/amount(/quantity) triplet of a CAS segment (a CAS holds up to six)."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """Loop 2110: SVC with its dates, adjustments and remark codes."""

    qualifier: str
    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units_paid: Decimal | None = None
    revenue_code: str | None = None
    # SVC06: the procedure as submitted, when the payer adjudicated a different one.
    submitted_procedure_code: str | None = None
    original_units: Decimal | None = None
    service_date_from: dt.date | None = None
    service_date_to: dt.date | None = None
    adjustments: tuple[CasAdjustment, ...] = ()
    # LQ*HE: remittance advice remark codes (RARCs) for this line.
    remark_codes: tuple[str, ...] = ()
    # REF*6R: the line item control number the 837 sent.
    line_control_number: str | None = None
    # AMT*B6.
    allowed_amount: Decimal | None = None
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """Loop 2100: one claim's outcome. ``claim_id`` is CLP01, the 837's CLM01."""

    claim_id: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_control_number: str
    facility_code: str | None = None
    frequency_code: str | None = None
    adjustments: tuple[CasAdjustment, ...] = ()
    # MOA/MIA remark codes (claim-level RARCs).
    remark_codes: tuple[str, ...] = ()
    service_lines: tuple[ServicePayment, ...] = ()
    # NM1*QC. PHI: kept for posting screens, never copied into events.
    patient_last_name: str | None = None
    patient_first_name: str | None = None
    patient_member_id: str | None = None
    # REF*EA: the submitter's account number when the 837 sent it.
    account_number: str | None = None
    statement_from: dt.date | None = None
    statement_to: dt.date | None = None
    received_date: dt.date | None = None
    position: Position | None = None
    # NM1*TT: the payer this one forwarded the claim to (a crossover, CLP02 19/20/21).
    crossover_payer_id: str | None = None
    crossover_payer_name: str | None = None

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def is_denied(self) -> bool:
        return self.status_code == "4"

    @property
    def all_adjustments(self) -> tuple[CasAdjustment, ...]:
        """Claim-level CAS first, then every line's: together they explain CLP03 - CLP04."""
        lines = tuple(a for line in self.service_lines for a in line.adjustments)
        return self.adjustments + lines


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One reason/amount pair of a PLB: money moved outside any claim (interest, offsets).

    A positive amount reduces the payment, a negative one (interest, L6) increases it.
    """

    provider_id: str
    fiscal_period_date: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal
    position: Position | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """N1 (payer PR or payee PE) with its identifier and qualifier (XV, XX NPI, FI tax id)."""

    name: str
    id_qualifier: str | None = None
    identifier: str | None = None


@dataclass(frozen=True, slots=True)
class Era:
    """One 835 transaction set: one payment (or notice) to one payee."""

    control_number: str
    handling_code: str
    payment_amount: Decimal
    credit_debit: str
    payment_method: str
    # BPR16; None when the payer left it out or sent no valid date (a noted deviation).
    payment_date: dt.date | None
    trace_number: str
    # TRN03: the payer's (originating company's) id; with TRN02, unique per payment.
    payer_identifier: str
    payer: Party
    payee: Party
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    production_date: dt.date | None = None
    interchange_control_number: str | None = None
    # The BPR's: the payment the transaction-level balancing rule is about.
    position: Position | None = None
    # Offset of the first segment after the last claim payment (PLB or SE): with each
    # CLP's position, where every claim payment's bytes lie, so posting can read a page.
    claims_end: int = 0

    @property
    def dedup_key(self) -> str:
        """The same check or EFT must never post twice: TRN03 + TRN02 identify it."""
        return f"{self.payer_identifier}:{self.trace_number}"

    @property
    def net_payment(self) -> Decimal:
        """BPR02 with its sign: a debit (BPR03 = D) takes money from the payee."""
        return -self.payment_amount if self.credit_debit == "D" else self.payment_amount
