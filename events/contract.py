"""The claim event contract, v1: a CloudEvents 1.0 structured-mode JSON envelope.

Consumers rely on:
- ``id`` = ``<claim id>:<seq>``; seq counts 1, 2, 3 ... per claim with no gaps. Delivery is
  at-least-once, so de-duplicate on (subject, seq).
- ``type`` = ``claimflow.claim.<status entered, lower case>.v1``.
- ``subject`` = the claim id, which is also the Kafka key: one claim's events share a
  partition and arrive in order.
- ``data`` carries ids, status, money as decimal strings, payer, codes and CARC/RARC, never
  patient demographics.
Within v1 changes are additive only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from claims.ledger import LedgerEntry
from claims.remittance import Decision
from claims.roles import Role
from claims.status import ClaimStatus, event_name

SOURCE = "/claimflow/claim-workflow"
SPEC_VERSION: Literal["1.0"] = "1.0"
TYPE_PREFIX = "claimflow.claim."
TYPE_SUFFIX = ".v1"

# Money travels as a decimal string: JSON numbers are floats to most consumers.
DecimalString = Annotated[Decimal, PlainSerializer(lambda d: str(d), return_type=str)]


def event_type(status: ClaimStatus) -> str:
    return f"{TYPE_PREFIX}{event_name(status)}{TYPE_SUFFIX}"


def event_id(claim_id: str, seq: int) -> str:
    return f"{claim_id}:{seq}"


class AdjustmentData(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str
    carc: str
    amount: DecimalString
    rarcs: tuple[str, ...] = ()


class FindingData(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    severity: str
    field: str
    message: str
    # Codes to choose from, e.g. the billable children of a category code.
    candidates: tuple[str, ...] = ()
    # The stage that found it: "coding" or "scrub" (absent on events before this field).
    stage: str | None = None


class RemittanceData(BaseModel):
    """The payer decision that stands after this transition (835 CLP), without its lines
    (those are in the ledger)."""

    model_config = ConfigDict(frozen=True)

    remittance_id: str
    decision: Decision
    # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal, ...
    status_code: str | None = None
    # TRN02 of the payment (check/EFT) it came with.
    trace_number: str | None = None
    payment_id: str | None = None
    total_charge: DecimalString
    # CLP04 and CLP05 of this decision (the claim's totals are in the event's own fields).
    paid_amount: DecimalString
    patient_responsibility: DecimalString
    remark_codes: tuple[str, ...] = ()


class PatientShareData(BaseModel):
    """What the patient is expected to pay of the claim's charge, by the 271's figures."""

    model_config = ConfigDict(frozen=True)

    amount: DecimalString
    total: DecimalString
    copay: DecimalString
    deductible: DecimalString
    coinsurance: DecimalString
    # False when the 271 gave no cost-sharing figure: the share is unknown, not zero.
    known: bool = True


class EligibilityData(BaseModel):
    """The eligibility check (270/271) that stands for the claim: the payer's answer about
    coverage on the date of service, without the member's identity (no member id, name or
    birth date). ``status`` is an open enumeration: active, inactive, not_found, error,
    pending, timeout today; treat a value you do not know as "not confirmed"."""

    model_config = ConfigDict(frozen=True)

    status: str
    checked_at: dt.datetime
    date_of_service: dt.date
    # TRN02 of the 270 (the claim id, or the claim id and a suffix for a re-check).
    trace_number: str | None = None
    plan_name: str | None = None
    coverage_end: dt.date | None = None
    copay: DecimalString | None = None
    coinsurance_percent: DecimalString | None = None
    deductible_remaining: DecimalString | None = None
    out_of_pocket_remaining: DecimalString | None = None
    expected_patient_share: PatientShareData | None = None
    # The payer's reasons (AAA reject reason and follow-up action, in words) or why there
    # is no answer (timeout, pending file exchange).
    reasons: str | None = None


class Actor(BaseModel):
    """Who caused a transition: a person (a user) or a machine (an API key), never PHI.

    Set by the API from the credential that made the request (a client cannot choose it);
    absent for what the payer or a timer caused.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["user", "api_key"]
    roles: tuple[Role, ...] = ()
    # How the request came: the HTTP API, the claimflow CLI, or the web console.
    channel: Literal["api", "cli", "console"] = "api"


class ClaimEventData(BaseModel):
    model_config = ConfigDict(frozen=True)

    claim_id: str
    seq: int = Field(ge=1)
    status: ClaimStatus
    previous_status: ClaimStatus | None = None
    payer_id: str
    total_charge: DecimalString
    paid_amount: DecimalString | None = None
    patient_responsibility: DecimalString | None = None
    # What the payer may still owe after this transition (see claims.remittance.payer_balance).
    outstanding_amount: DecimalString | None = None
    diagnosis_codes: tuple[str, ...] = ()
    procedure_codes: tuple[str, ...] = ()
    payer_claim_control_number: str | None = None
    adjustments: tuple[AdjustmentData, ...] = ()
    findings: tuple[FindingData, ...] = ()
    appeal_level: int = 0
    reason: str | None = None
    # Who caused this transition (absent: the payer, a deadline or the engine itself).
    actor: Actor | None = None
    # Added within v1 (additive): everything the claim view is folded from.
    frequency_code: str | None = None
    appeal_deadline: dt.datetime | None = None
    # The patient's share from the ledger (deductible, coinsurance, copay, non-covered).
    patient_balance: DecimalString | None = None
    # Money the payer will take back: a second payment for a paid claim, a void after payment.
    recoupment_expected: DecimalString | None = None
    # The stages ("coding", "scrub", "eligibility", "submission") whose complete findings
    # this event carries.
    stages: tuple[str, ...] = ()
    remittance: RemittanceData | None = None
    # Ledger entries booked at this transition, in order; the claim's ledger is all of them.
    ledger: tuple[LedgerEntry, ...] = ()
    # Coordination of benefits (additive): the claim this secondary claim follows, the
    # secondary claim this primary started, the payer a primary forwarded the claim to.
    primary_claim_id: str | None = None
    secondary_claim_id: str | None = None
    crossover_payer_id: str | None = None
    # The latest eligibility check before submission (absent: none was made).
    eligibility: EligibilityData | None = None


class CloudEvent(BaseModel):
    """The CloudEvents 1.0 structured-mode attributes every record of ours carries."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str
    source: str = SOURCE
    type: str
    subject: str
    time: dt.datetime
    datacontenttype: Literal["application/json"] = "application/json"

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode()


class ClaimEvent(CloudEvent):
    """One claim state transition."""

    data: ClaimEventData

    @property
    def seq(self) -> int:
        return self.data.seq

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> ClaimEvent:
        return cls.model_validate_json(raw)


def make_event(*, time: dt.datetime, data: ClaimEventData) -> ClaimEvent:
    return ClaimEvent(
        id=event_id(data.claim_id, data.seq),
        type=event_type(data.status),
        subject=data.claim_id,
        time=time,
        data=data,
    )


ALERT_TYPE_PREFIX = "claimflow.alert."


class AlertKind(StrEnum):
    # No acknowledgment, status or remittance within the payer's follow-up interval.
    FOLLOW_UP_DUE = "follow_up_due"
    # An appeal deadline is near (the reminder schedule is in the workflow).
    APPEAL_DEADLINE = "appeal_deadline"
    # The payer sent something the claim's state cannot use; a person must look.
    UNEXPECTED_PAYER_MESSAGE = "unexpected_payer_message"
    # A write-off above the threshold waits for a supervisor. It stays open until the claim
    # moves past ``claim_seq`` (the approved write-off's event, or anything else that moves
    # the claim) or a ``write_off_rejected`` alert for the claim arrives: the queue of
    # "write-offs awaiting approval" is kept from these two rules alone.
    WRITE_OFF_APPROVAL_REQUESTED = "write_off_approval_requested"
    # A supervisor rejected the pending write-off; the claim stays where it was.
    WRITE_OFF_REJECTED = "write_off_rejected"
    # The payer paid a claim it had already paid (no reversal between): money to give back.
    OVERPAYMENT = "overpayment"
    # Coordination of benefits: a secondary claim could not be built or linked (the
    # primary's 835 does not add up to the claim, the primary claim is gone): bill by hand.
    SECONDARY_NOT_BILLED = "secondary_not_billed"
    # A step that talks to another system (the payer gateway, the database) has kept failing
    # for longer than the configured bound; claimflow keeps retrying, but that system is
    # probably down and someone should look.
    ACTIVITY_STALLED = "activity_stalled"
    # The payer did not answer the eligibility check (270) within the bound, or could not
    # (AAA 42 and kin): the claim went out unchecked, with a warning finding.
    ELIGIBILITY_UNANSWERED = "eligibility_unanswered"
    # The payer's 271 came back after the bound, once the claim had gone out unchecked, and
    # says there is no coverage (inactive, member not found): a biller should look.
    ELIGIBILITY_LATE_NO_COVERAGE = "eligibility_late_no_coverage"


class ClaimAlertData(BaseModel):
    model_config = ConfigDict(frozen=True)

    claim_id: str
    alert_seq: int = Field(ge=1)
    kind: AlertKind
    status: ClaimStatus
    payer_id: str
    due: dt.datetime | None = None
    days_left: int | None = None
    message: str
    # The claim's lifecycle seq when the alert was raised.
    claim_seq: int | None = None
    # The amount at stake (the outstanding amount of a write-off request).
    amount: DecimalString | None = None
    # Who asked (write-off requests) or decided (rejections).
    actor: Actor | None = None


class ClaimAlert(CloudEvent):
    """A deadline or SLA alert on ``claims.alerts.v1``: not a transition, so it has its own
    per-claim counter and never takes a lifecycle seq."""

    data: ClaimAlertData


def make_alert(*, time: dt.datetime, data: ClaimAlertData) -> ClaimAlert:
    return ClaimAlert(
        id=f"{data.claim_id}:alert:{data.alert_seq}",
        type=f"{ALERT_TYPE_PREFIX}{data.kind.value}{TYPE_SUFFIX}",
        subject=data.claim_id,
        time=time,
        data=data,
    )


STATEMENT_SOURCE = "/claimflow/statements"
STATEMENT_READY_TYPE = "claimflow.statement.ready.v1"


class StatementReadyData(BaseModel):
    """A patient statement was generated: ids and amounts only. The document (names,
    addresses, services) is fetched from ``GET /statements/{statement_id}`` by a caller
    allowed to see it."""

    model_config = ConfigDict(frozen=True)

    statement_id: str
    # The patient as an opaque key (a keyed digest; it names no one).
    patient_key: str
    claim_ids: tuple[str, ...]
    charged: DecimalString
    insurance_paid: DecimalString
    deductible: DecimalString
    coinsurance: DecimalString
    copay: DecimalString
    non_covered: DecimalString
    other: DecimalString
    patient_responsibility: DecimalString
    patient_paid: DecimalString
    amount_due: DecimalString
    # Where a statement service fetches the document.
    document_url: str
    actor: Actor | None = None


class StatementReady(CloudEvent):
    """A statement ready to send, on ``claims.statements.v1`` (key: the patient key)."""

    data: StatementReadyData


def make_statement_ready(*, time: dt.datetime, data: StatementReadyData) -> StatementReady:
    return StatementReady(
        id=f"statement:{data.statement_id}",
        source=STATEMENT_SOURCE,
        type=STATEMENT_READY_TYPE,
        subject=data.statement_id,
        time=time,
        data=data,
    )
