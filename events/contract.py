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
    # Set on DENIED and PARTIALLY_PAID: the last moment to file the next appeal level.
    appeal_deadline: dt.datetime | None = None


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
    # A write-off above the approval threshold was asked for and waits for an approver
    # (``amount`` is what would be written off, ``actor`` who asked, ``message`` the reason).
    # Opens an entry in the write-off approval queue.
    WRITE_OFF_PENDING_APPROVAL = "write_off_pending_approval"
    # An approver decided a pending write-off (``message`` says approved or declined, and
    # why; ``actor`` who decided). Closes the claim's entry in the approval queue.
    WRITE_OFF_APPROVAL_DECIDED = "write_off_approval_decided"


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
    # Money the alert is about (a write-off awaiting approval), when there is one.
    amount: DecimalString | None = None
    # Who caused the alert, when a person did (a user name, never PHI).
    actor: str | None = None


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
