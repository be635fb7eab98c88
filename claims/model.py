"""The claim as claimflow receives it: an 837P-aligned professional claim.

Field names follow the 837P loops they map to (noted per field) so that a biller who knows
the X12 guide can read a claim JSON without a glossary. Money is ``Decimal`` end to end:
a float cannot hold 0.10 exactly, and a claim whose lines do not sum to its total is a
rejected claim.

Input is validated structurally here (types, lengths, required fields, formats that are
true of every code set). Whether a code is *billable* or a claim *scrubs clean* is the
coding and scrubbing stages' job (``claims.coding``, ``claims.scrub``): those produce
findings a biller can fix, not refusals at the door.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

ULID_PATTERN = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"

ClaimId = Annotated[str, StringConstraints(pattern=ULID_PATTERN)]
Npi = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]
CENT = Decimal("0.01")
# Amounts are kept to the cent, so 135.5 and 135.50 are the same value and print the same.
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    AfterValidator(lambda d: d.quantize(CENT)),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]

# Claim fields that identify a patient (and everything under them): messages about them
# never quote the value, because findings and refusals travel in events, logs and answers.
PHI_FIELDS = frozenset({"subscriber", "patient", "account_number", "medical_record_number"})


def is_phi_field(loc: Sequence[int | str]) -> bool:
    """Whether a validation error's location (a path into a claim) is about PHI."""
    return any(part in PHI_FIELDS for part in loc)


class _Model(BaseModel):
    # Unknown fields are refused so that a misspelt field is an error, not silently dropped data.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Model):
    """N3/N4."""

    line1: Text
    line2: Text | None = None
    city: Text
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{5}(\d{4})?$")]


class Provider(_Model):
    """Loop 2010AA (billing) / 2310B (rendering) / 2420A (a line's rendering provider).

    An organisation is named by ``name`` (NM102 = 2, NM103 the organisation's name); a
    person by ``last_name`` and ``first_name`` (NM102 = 1, NM103/NM104). Exactly one of the
    two forms: the 837P cannot carry "Alex Smith" as an organisation and stay true.
    """

    npi: Npi
    name: Text | None = None
    last_name: Text | None = None
    first_name: Text | None = None
    taxonomy: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{9}X$")] | None = None
    tax_id: Annotated[str, StringConstraints(pattern=r"^\d{9}$")] | None = None
    address: Address | None = None

    @model_validator(mode="after")
    def _one_name(self) -> Provider:
        if (self.name is None) == (self.last_name is None):
            raise ValueError(
                "give either name (an organisation) or last_name and first_name (a person)"
            )
        if self.first_name is not None and self.last_name is None:
            raise ValueError("first_name needs last_name (a person's name)")
        return self

    @property
    def is_person(self) -> bool:
        return self.last_name is not None

    @property
    def display_name(self) -> str:
        """The organisation's name, or "First Last" of a person."""
        if self.name is not None:
            return self.name
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class Person(_Model):
    """Loop 2010BA (subscriber) / 2010CA (patient). PHI: never put any of it in events or ids.

    The subscriber's birth date and address go on the 837P only when the subscriber is the
    patient (the guide's rule for 2010BA DMG and N3/N4), so a dependent's claim may leave
    them out; ``Claim`` requires the birth date when there is no separate patient.
    """

    member_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    first_name: Text
    last_name: Text
    date_of_birth: dt.date | None = None
    sex: Literal["F", "M", "U"]
    address: Address | None = None


class Patient(Person):
    # SBR02/PAT01 individual relationship code: 01 spouse, 19 child, 20 employee, G8 other.
    relationship: Literal["01", "19", "20", "G8"] = "G8"
    # 2010CA DMG is required: the patient's birth date always goes out.
    date_of_birth: dt.date


# claimflow's defaults for a payer's terms, used when neither the payer registry
# (``claimflow payers``) nor the claim says otherwise. Documented in the README.
DEFAULT_FILING_LIMIT_DAYS = 365
DEFAULT_APPEAL_WINDOW_DAYS = 120
# One further appeal level (a reconsideration), 180 days from the first appeal's decision.
DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS = (180,)
DEFAULT_FOLLOW_UP_DAYS = 30
DEFAULT_SETTLE_DAYS = 90
TERM_FIELDS = (
    "filing_limit_days",
    "appeal_window_days",
    "further_appeal_windows_days",
    "follow_up_days",
    "settle_days",
)


class Payer(_Model):
    """Loop 2010BB, plus the payer's contract terms that set the claim's deadlines (days).

    At intake the terms come from the payer registry by ``payer_id``; terms written on the
    claim itself override the registry's for that claim, and each override is recorded with
    the claim (``claims.payer_terms``). The defaults below apply when neither says.
    """

    payer_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,80}$")]
    name: Text
    # Timely filing: the first submission must reach the payer within this many days of service.
    filing_limit_days: int = Field(default=DEFAULT_FILING_LIMIT_DAYS, ge=1, le=3650)
    # The first appeal level's window, from the first decision.
    appeal_window_days: int = Field(default=DEFAULT_APPEAL_WINDOW_DAYS, ge=1, le=3650)
    # Windows of the further appeal levels (level 2, 3, ...), each from the previous decision;
    # the number of appeal levels is 1 + len(this).
    further_appeal_windows_days: list[Annotated[int, Field(ge=1, le=3650)]] = Field(
        default_factory=lambda: list(DEFAULT_FURTHER_APPEAL_WINDOWS_DAYS), max_length=4
    )
    # No acknowledgment, status or remittance within this many days: alert and inquire.
    follow_up_days: int = Field(default=DEFAULT_FOLLOW_UP_DAYS, ge=1, le=365)
    # After payment, how long a reversal is still expected before the claim is CLOSED.
    settle_days: int = Field(default=DEFAULT_SETTLE_DAYS, ge=0, le=3650)

    @property
    def max_appeal_level(self) -> int:
        return 1 + len(self.further_appeal_windows_days)

    def appeal_window(self, level: int) -> int:
        """Days allowed for appeal ``level`` (1-based)."""
        if level == 1:
            return self.appeal_window_days
        return self.further_appeal_windows_days[level - 2]


class ServiceLine(_Model):
    """Loop 2400: SV1 and DTP*472."""

    procedure_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5}$")]
    modifiers: list[Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")]] = Field(
        default_factory=list, max_length=4
    )
    units: Annotated[Decimal, Field(gt=0, max_digits=8, decimal_places=3)] = Decimal(1)
    charge: Money
    # SV107: 1-based pointers into Claim.diagnoses.
    diagnosis_pointers: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1, max_length=4)
    service_date_from: dt.date
    service_date_to: dt.date | None = None
    place_of_service: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] | None = None
    # 2420A, when this line's rendering provider differs from the claim's: the provider
    # (with its name, which NM1*82 needs), or only its NPI when it is named elsewhere on
    # the claim. Given the provider, ``rendering_npi`` is its NPI.
    rendering_npi: Npi | None = None
    rendering_provider: Provider | None = None

    @model_validator(mode="before")
    @classmethod
    def _rendering_npi_of_provider(cls, data: object) -> object:
        if not isinstance(data, dict) or data.get("rendering_provider") is None:
            return data
        provider = data["rendering_provider"]
        npi = provider.get("npi") if isinstance(provider, dict) else getattr(provider, "npi", None)
        if data.get("rendering_npi") in (None, npi):
            return {**data, "rendering_npi": npi}
        raise ValueError("rendering_npi differs from rendering_provider.npi; give one")

    @property
    def last_service_date(self) -> dt.date:
        return self.service_date_to or self.service_date_from


# SBR01: which payer this is to the claim (primary, secondary, tertiary), in that order.
Responsibility = Literal["P", "S", "T"]
RESPONSIBILITY_ORDER: dict[str, int] = {"P": 1, "S": 2, "T": 3}
Carc = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,5}$")]
# A CAS amount may be negative (a payer giving back an earlier reduction).
Amount = Annotated[
    Decimal, Field(max_digits=12, decimal_places=2), AfterValidator(lambda d: d.quantize(CENT))
]


class CobAdjustment(_Model):
    """One CAS triplet another payer applied: group (CO, PR, OA, PI), CARC, amount."""

    group: Literal["CO", "PR", "OA", "PI"]
    carc: Carc
    amount: Amount


class PriorLine(_Model):
    """Loop 2430: what a payer ahead of this one decided for one service line (SVD, CAS)."""

    # 1-based position of the line on this claim.
    line: int = Field(ge=1, le=50)
    paid: Money
    adjustments: list[CobAdjustment] = Field(default_factory=list, max_length=99)


class PriorAdjudication(_Model):
    """What a payer ahead of this one decided (from its 835): 2320 AMT*D and CAS, the
    2430 loops, and the date it was decided (DTP*573). A secondary payer pays from this,
    so it has to add up: every line's paid amount and adjustments make its charge."""

    paid: Money
    adjudicated_on: dt.date
    claim_adjustments: list[CobAdjustment] = Field(default_factory=list, max_length=99)
    lines: list[PriorLine] = Field(default_factory=list, max_length=50)
    # AMT*EAF: what the patient still owes after this payer (its PR adjustments).
    remaining_patient_liability: Money | None = None
    # 2330B REF*F8: the payer's own claim number.
    payer_claim_control_number: Annotated[str, StringConstraints(max_length=50)] | None = None


class OtherCoverage(_Model):
    """Loop 2320/2330A/2330B: another payer that covers the patient for this claim.

    On a primary claim it names the secondary (and tertiary) coverage billed after the
    primary pays; on a secondary claim it names the primary, with the primary's
    ``adjudication``. ``subscriber`` is PHI like the claim's own.
    """

    responsibility: Responsibility
    payer: Payer
    subscriber: Person
    # SBR02: the patient's relationship to this coverage's subscriber (18 self, 01 spouse,
    # 19 child, 20 employee, G8 other).
    relationship: Literal["18", "01", "19", "20", "G8"] = "18"
    # SBR09 claim filing indicator (CI commercial, MB Medicare B, MC Medicaid, ...).
    filing_indicator: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{2}$")] = "CI"
    adjudication: PriorAdjudication | None = None


class Claim(_Model):
    """Loop 2300 (CLM) with its parties and lines.

    ``claim_id`` is claimflow's own opaque id (a ULID). A submitter may send one to make
    resubmission idempotent; otherwise intake assigns it. It is not CLM01: payers keep only
    20 characters of a patient control number, so the 837P carries a 20-character control
    number mapped to the claim id (``claims.x12.control``). ``account_number`` is the
    submitter's own patient account or encounter number: kept as data, never used as an id
    and never sent (it identifies a patient). ``medical_record_number`` is REF*EA.
    """

    claim_id: ClaimId | None = None
    account_number: Annotated[str, StringConstraints(min_length=1, max_length=38)]
    # REF*EA (2300), the patient's medical record number, when the submitter has one.
    medical_record_number: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = (
        None
    )
    billing_provider: Provider
    rendering_provider: Provider | None = None
    subscriber: Person
    # Absent when the patient is the subscriber (SBR02 = 18).
    patient: Patient | None = None
    payer: Payer
    # CLM05-3: 1 original, 7 replacement, 8 void.
    frequency_code: Literal["1", "7", "8"] = "1"
    # REF*F8, the payer's claim control number; needed for frequency 7 and 8.
    payer_claim_control_number: Annotated[str, StringConstraints(max_length=50)] | None = None
    # CLM05-1.
    place_of_service: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    # REF*G1.
    prior_authorization: Annotated[str, StringConstraints(max_length=50)] | None = None
    # HI: ABK principal first, then ABF. Codes without the dot, e.g. E119.
    diagnoses: list[Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9A-Z]{2,6}$")]] = Field(
        min_length=1, max_length=12
    )
    lines: list[ServiceLine] = Field(min_length=1, max_length=50)
    # CLM02.
    total_charge: Money
    # SBR01 of loop 2000B: P when this claim goes to the primary payer, S to the secondary.
    responsibility: Responsibility = "P"
    # Loop 2320: the patient's other coverages (secondary, tertiary; on a secondary claim,
    # the primary with its adjudication).
    other_coverages: list[OtherCoverage] = Field(default_factory=list, max_length=2)

    @field_validator("lines")
    @classmethod
    def _pointers_in_range(
        cls, lines: list[ServiceLine], info: ValidationInfo
    ) -> list[ServiceLine]:
        # A pointer past the diagnosis list cannot be rendered as SV107 at all, so this is
        # structural, not a scrub finding. (``diagnoses`` is declared first, so it is here.)
        diagnoses = info.data.get("diagnoses")
        if diagnoses is None:
            return lines
        for i, line in enumerate(lines):
            for p in line.diagnosis_pointers:
                if p > len(diagnoses):
                    raise ValueError(
                        f"lines[{i}].diagnosis_pointers: pointer {p} points past the "
                        f"{len(diagnoses)} diagnoses on the claim"
                    )
        return lines

    @model_validator(mode="after")
    def _self_subscriber_born(self) -> Claim:
        # 2010BA DMG is required when the subscriber is the patient.
        if self.patient is None and self.subscriber.date_of_birth is None:
            raise ValueError(
                "subscriber.date_of_birth is required when the subscriber is the patient "
                "(no patient given)"
            )
        return self

    @model_validator(mode="after")
    def _coverages_in_order(self) -> Claim:
        _check_coverages(self)
        return self

    @property
    def next_coverage(self) -> OtherCoverage | None:
        """The coverage that pays after this claim's payer (None: none after it)."""
        mine = RESPONSIBILITY_ORDER[self.responsibility]
        after = [c for c in self.other_coverages if RESPONSIBILITY_ORDER[c.responsibility] > mine]
        return min(after, key=lambda c: RESPONSIBILITY_ORDER[c.responsibility], default=None)

    @property
    def first_service_date(self) -> dt.date:
        return min(line.service_date_from for line in self.lines)

    @property
    def line_total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))

    def with_id(self, claim_id: str) -> Claim:
        return self.model_copy(update={"claim_id": claim_id})


def _check_coverages(claim: Claim) -> None:
    """The coverages of a claim, as the 837P and a secondary payer need them: one payer per
    responsibility and per payer id, no gap (a secondary before a tertiary), every payer
    ahead of this claim's with its adjudication, no payer after it with one, and each
    adjudication adding up to the claim's charges."""
    mine = RESPONSIBILITY_ORDER[claim.responsibility]
    seen = {claim.responsibility}
    payers = {claim.payer.payer_id}
    for i, cov in enumerate(claim.other_coverages):
        where = f"other_coverages[{i}]"
        if cov.responsibility in seen:
            raise ValueError(f"{where}.responsibility: {cov.responsibility} is given twice")
        seen.add(cov.responsibility)
        if cov.payer.payer_id in payers:
            raise ValueError(f"{where}.payer.payer_id: {cov.payer.payer_id} is already a payer")
        payers.add(cov.payer.payer_id)
        ahead = RESPONSIBILITY_ORDER[cov.responsibility] < mine
        if ahead and cov.adjudication is None:
            raise ValueError(
                f"{where}.adjudication: a claim to the {claim.responsibility} payer needs what "
                f"the {cov.responsibility} payer decided (2320 AMT*D)"
            )
        if not ahead and cov.adjudication is not None:
            raise ValueError(
                f"{where}.adjudication: the {cov.responsibility} payer pays after this claim's; "
                "it cannot have decided yet"
            )
        if cov.adjudication is not None:
            _check_adjudication(claim, cov.adjudication, f"{where}.adjudication")
    ranks = sorted(RESPONSIBILITY_ORDER[r] for r in seen)
    if ranks != list(range(1, len(ranks) + 1)):
        raise ValueError("other_coverages: responsibilities leave a gap (a T needs an S and a P)")


def _check_adjudication(claim: Claim, adj: PriorAdjudication, where: str) -> None:
    seen: set[int] = set()
    for k, prior in enumerate(adj.lines):
        at = f"{where}.lines[{k}]"
        if prior.line > len(claim.lines) or prior.line in seen:
            raise ValueError(f"{at}.line: {prior.line} is not a line of the claim, or twice")
        seen.add(prior.line)
        charge = claim.lines[prior.line - 1].charge
        accounted = prior.paid + sum((a.amount for a in prior.adjustments), Decimal(0))
        if accounted != charge:
            raise ValueError(
                f"{at}: paid {prior.paid} and adjustments make {accounted}, not the line's "
                f"charge {charge}"
            )
    if adj.lines:
        lines_paid = sum((p.paid for p in adj.lines), Decimal(0))
        if lines_paid != adj.paid:
            raise ValueError(f"{where}.paid: {adj.paid} is not the lines' {lines_paid}")
