"""Eligibility: is the patient covered on the date of service, and what will they owe?

The question (an X12 270) names the payer, the provider asking, the subscriber (and the
dependent, when the patient is not the subscriber), the date of service and the kinds of
service. The answer (a 271) says whether coverage is active, and lists benefit lines:
copays, coinsurance, deductibles and out-of-pocket figures, per network and coverage level.
When the payer cannot answer it says why, in AAA segments (a reject reason and what to do
next). ``EligibilityResult`` is that answer, kept free of the member's identity (no member
id, name or birth date), so it can travel into workflow history and events as it is.

Money is ``Decimal``; percentages are kept as the guide sends them (0.2 is 20%) in
``Benefit.percent`` and as a percent (20) in ``BenefitSummary.coinsurance_percent``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from claims.eligibility_codes import (
    ACTIVE_CODES,
    FOLLOW_UP_ACTIONS,
    MEMBER_NOT_FOUND_REASONS,
    REJECT_REASONS,
    REMAINING_PERIODS,
    SERVICE_TYPES,
    describe,
)
from claims.model import CENT, Claim, Text

# TRN02: 1-50 characters; claimflow's own are a claim id plus a suffix.
TraceNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,49}$")]
ServiceType = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,2}$")]
HUNDRED = Decimal(100)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    """The subscriber (2100C) or dependent (2100D) asked about. PHI: stays in requests."""

    member_id: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    date_of_birth: dt.date | None = None
    sex: Literal["F", "M", "U"] | None = None


class InquiringProvider(_Model):
    """The information receiver (2100B): the provider asking, by NPI (NM108 XX) normally."""

    name: Text
    identifier: Annotated[str, StringConstraints(min_length=2, max_length=80)]
    qualifier: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")] = "XX"
    # Set when the provider is a person (NM102 1); ``name`` is then the last name.
    first_name: Text | None = None


class PayerRef(_Model):
    """The information source (2100A)."""

    payer_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{2,80}$")]
    name: Text


class EligibilityRequest(_Model):
    """One 270 inquiry. ``trace_number`` (TRN02) comes back in the 271 and maps it here."""

    trace_number: TraceNumber
    claim_id: str | None = None
    payer: PayerRef
    provider: InquiringProvider
    subscriber: Member
    # When the patient is not the subscriber (loop 2000D), with the 270's INS02
    # relationship to the subscriber: 01 spouse, 19 child, 34 other adult.
    dependent: Member | None = None
    relationship: Literal["01", "19", "34"] | None = None
    date_of_service: dt.date
    # EQ01 per 2110 loop: 30 (health benefit plan coverage) asks for the plan in general.
    service_types: tuple[ServiceType, ...] = Field(default=("30",), min_length=1, max_length=99)

    @model_validator(mode="after")
    def _identifiable(self) -> EligibilityRequest:
        # A payer finds a member by id; claimflow always sends one (the TR3's "search
        # options" without an id are a payer's choice, and most refuse them).
        if not self.subscriber.member_id:
            raise ValueError("subscriber.member_id: the subscriber's member id (NM109) is required")
        if self.dependent is not None and not (
            self.dependent.last_name and self.dependent.first_name
        ):
            raise ValueError("dependent: a dependent needs a first and last name (NM103/NM104)")
        return self


# The 837P's relationship codes (PAT01) as the 270 knows them (INS02).
_RELATIONSHIP = {"01": "01", "19": "19"}


def request_for_claim(
    claim: Claim,
    *,
    trace_number: str | None = None,
    service_types: tuple[str, ...] = ("30",),
) -> EligibilityRequest:
    """The 270 a biller would send before this claim: billing provider asks about the
    subscriber (and the patient, when a dependent) for the first date of service."""
    if claim.claim_id is None:
        raise ValueError("claim_id: a claim needs its id before an eligibility check")
    sub = claim.subscriber
    patient = claim.patient
    return EligibilityRequest(
        trace_number=trace_number or claim.claim_id,
        claim_id=claim.claim_id,
        payer=PayerRef(payer_id=claim.payer.payer_id, name=claim.payer.name),
        provider=InquiringProvider(
            name=claim.billing_provider.name, identifier=claim.billing_provider.npi
        ),
        subscriber=Member(
            member_id=sub.member_id,
            first_name=sub.first_name,
            last_name=sub.last_name,
            date_of_birth=sub.date_of_birth,
            sex=sub.sex,
        ),  # fmt: skip
        dependent=None
        if patient is None
        else Member(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
        ),  # fmt: skip
        relationship=None if patient is None else _RELATIONSHIP.get(patient.relationship, "34"),
        date_of_service=claim.first_service_date,
        service_types=service_types,
    )


# ------------------------------------------------------------------------------ answer


class EligibilityStatus(StrEnum):
    ACTIVE = "active"
    # Coverage terminated (EB01 6, 7 or 8) for the date asked about.
    INACTIVE = "inactive"
    # The payer cannot identify the member (AAA 72/73/75 and kin): fix the id, name or payer.
    NOT_FOUND = "not_found"
    # The payer answered but could not process the request (any other AAA), or its answer
    # could not be read.
    ERROR = "error"
    # Asked; the answer comes later (a file exchange).
    PENDING = "pending"
    # The payer did not answer within the bound the caller set.
    TIMEOUT = "timeout"


class RejectReason(_Model):
    """One AAA segment: the loop it stood in, AAA01, AAA03 reason and AAA04 follow-up."""

    loop: str
    valid_request: bool
    reason: str
    follow_up: str | None = None

    @property
    def member_not_found(self) -> bool:
        return self.reason in MEMBER_NOT_FOUND_REASONS

    def __str__(self) -> str:
        text = f"AAA {self.reason} in loop {self.loop}: {describe(REJECT_REASONS, self.reason)}"
        if self.follow_up:
            text += f"; {describe(FOLLOW_UP_ACTIONS, self.follow_up)}"
        return text


class BenefitDate(_Model):
    """A DTP of a benefit or member loop: qualifier (346 plan begin, 357 eligibility end...)."""

    qualifier: str
    start: dt.date
    end: dt.date | None = None


class Benefit(_Model):
    """One EB segment with what follows it in its 2110 loop."""

    code: str
    coverage_level: str | None = None
    service_types: tuple[str, ...] = ()
    insurance_type: str | None = None
    plan: str | None = None
    time_period: str | None = None
    amount: Decimal | None = None
    # EB08 as sent: a decimal fraction (0.2 is 20%).
    percent: Decimal | None = None
    quantity_qualifier: str | None = None
    quantity: Decimal | None = None
    authorization_required: bool | None = None
    # EB12: Y in network, N out of network; W (not applicable) and absent are None.
    in_network: bool | None = None
    dates: tuple[BenefitDate, ...] = ()
    messages: tuple[str, ...] = ()
    rejections: tuple[RejectReason, ...] = ()


class BenefitSummary(_Model):
    """The figures a biller quotes at the front desk, for one network and coverage level."""

    plan_name: str | None = None
    group_number: str | None = None
    group_name: str | None = None
    copay: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    deductible: Decimal | None = None
    deductible_remaining: Decimal | None = None
    out_of_pocket: Decimal | None = None
    out_of_pocket_remaining: Decimal | None = None


class PatientShare(_Model):
    """What the patient is expected to pay of an amount, by kind, from the 271's figures."""

    amount: Decimal
    copay: Decimal = Decimal("0.00")
    deductible: Decimal = Decimal("0.00")
    coinsurance: Decimal = Decimal("0.00")
    # False when the 271 gave no cost-sharing figure at all: the share is then unknown, not 0.
    known: bool = True

    @property
    def total(self) -> Decimal:
        return self.copay + self.deductible + self.coinsurance


class EligibilityResult(_Model):
    """The answer to one 270 (or the reason there is none yet). Holds no PHI."""

    status: EligibilityStatus
    trace_number: str | None = None
    claim_id: str | None = None
    payer_id: str | None = None
    # The member's coverage dates (DTP 346/356 begin, 347/357 end) where the payer gave them.
    coverage_begin: dt.date | None = None
    coverage_end: dt.date | None = None
    plan_name: str | None = None
    group_number: str | None = None
    group_name: str | None = None
    benefits: tuple[Benefit, ...] = ()
    rejections: tuple[RejectReason, ...] = ()
    # Deviations from the guide that did not stop the 271 from being read.
    findings: tuple[str, ...] = ()
    # Why there is no answer (error, pending, timeout), in words.
    message: str | None = None
    # Where the exchange is kept (a file name), for an EDI analyst.
    reference: str | None = None
    # Pending only: how long the asker waits for the 271 to come back as a file (the bound
    # a synchronous answer has too, ``eligibility_timeout_seconds``).
    answer_within_seconds: float | None = None

    @property
    def covered(self) -> bool:
        return self.status is EligibilityStatus.ACTIVE

    def reason_text(self) -> str:
        """The payer's reasons, quoted with their meaning, for a finding on the claim."""
        reasons = [str(r) for r in self.rejections]
        for b in self.benefits:
            services = ", ".join(describe(SERVICE_TYPES, t) for t in b.service_types)
            reasons += [f"{r} (for {services or 'the plan'})" for r in b.rejections]
        if self.status is EligibilityStatus.INACTIVE:
            end = f" on {self.coverage_end.isoformat()}" if self.coverage_end else ""
            reasons.insert(0, f"the payer reports the coverage inactive (EB 6), terminated{end}")
        if not reasons:
            return self.message or self.status.value
        return "; ".join(reasons)

    def summary(
        self, *, in_network: bool = True, coverage_level: str = "IND", service_type: str = "30"
    ) -> BenefitSummary:
        """Copay, coinsurance, deductible and out-of-pocket for one network and level.

        A 271 often repeats a figure per network (EB12), per level (IND/FAM) and per service
        type; the closest line wins: same network (or none given), then the level asked
        for (or none given), then the service type asked for, then 30 (the plan).
        """

        def pick(code: str, remaining: bool | None = None) -> Benefit | None:
            best: tuple[int, Benefit] | None = None
            for b in self.benefits:
                if b.code != code or (b.in_network is not None and b.in_network != in_network):
                    continue
                if remaining is not None and (b.time_period in REMAINING_PERIODS) != remaining:
                    continue
                if b.coverage_level not in (None, coverage_level):
                    continue
                score = (
                    (4 if service_type in b.service_types else 2 if "30" in b.service_types else 0)
                    + (1 if b.coverage_level == coverage_level else 0)
                    + (1 if b.in_network is not None else 0)
                )
                if best is None or score > best[0]:
                    best = (score, b)
            return best[1] if best else None

        def amount(b: Benefit | None) -> Decimal | None:
            return b.amount if b is not None else None

        coinsurance = pick("A")
        percent = coinsurance.percent if coinsurance is not None else None
        return BenefitSummary(
            plan_name=self.plan_name,
            group_number=self.group_number,
            group_name=self.group_name,
            copay=amount(pick("B")),
            coinsurance_percent=None if percent is None else _plain(percent * HUNDRED),
            deductible=amount(pick("C", remaining=False)),
            deductible_remaining=amount(pick("C", remaining=True)),
            out_of_pocket=amount(pick("G", remaining=False)),
            out_of_pocket_remaining=amount(pick("G", remaining=True)),
        )

    def expected_patient_share(self, amount: Decimal, **which: str | bool) -> PatientShare:
        return expected_patient_share(self.summary(**which), amount)  # type: ignore[arg-type]


def status_of(
    benefits: tuple[Benefit, ...], rejections: tuple[RejectReason, ...]
) -> EligibilityStatus:
    """Not found or error when the payer rejected the request, else by the EB01 codes."""
    if any(r.member_not_found for r in rejections):
        return EligibilityStatus.NOT_FOUND
    if rejections and not benefits:
        return EligibilityStatus.ERROR
    if any(b.code in ACTIVE_CODES for b in benefits):
        return EligibilityStatus.ACTIVE
    if any(b.code in ("6", "7", "8") for b in benefits):
        return EligibilityStatus.INACTIVE
    if rejections:
        return EligibilityStatus.ERROR
    # Benefit lines without a coverage status line: the payer answered about benefits of a
    # plan it has the member on, which is how some payers say "active".
    return EligibilityStatus.ACTIVE if benefits else EligibilityStatus.ERROR


def _plain(value: Decimal) -> Decimal:
    """20 rather than 20.00 or 2E+1: a percent as people write it."""
    return Decimal(format(value.normalize(), "f"))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_patient_share(summary: BenefitSummary, amount: Decimal) -> PatientShare:
    """The patient's expected part of ``amount`` (a claim's total, or an allowed amount).

    A copay plan: the copay, up to the amount, and nothing else (as for an office visit).
    Otherwise the remaining deductible comes first, then the coinsurance percent of the
    rest, the whole capped at the remaining out-of-pocket maximum. Against a billed charge
    this is an upper estimate: the payer applies the shares to its allowed amount.
    """
    amount = _cents(amount)
    if amount < 0:
        raise ValueError(f"amount {amount} is negative")
    if summary.copay is not None:
        return PatientShare(amount=amount, copay=_cents(min(summary.copay, amount)))
    if summary.coinsurance_percent is None and summary.deductible_remaining is None:
        return PatientShare(amount=amount, known=False)
    deductible = _cents(min(summary.deductible_remaining or Decimal(0), amount))
    percent = summary.coinsurance_percent or Decimal(0)
    coinsurance = _cents((amount - deductible) * percent / HUNDRED)
    cap = summary.out_of_pocket_remaining
    if cap is not None and deductible + coinsurance > cap:
        deductible = min(deductible, _cents(cap))
        coinsurance = _cents(max(cap - deductible, Decimal(0)))
    return PatientShare(amount=amount, deductible=deductible, coinsurance=coinsurance)
