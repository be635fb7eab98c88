"""What goes in and out of ClaimWorkflow: its input, update requests, query answers.

These are the workflow's public API (the API service and the CLI use them). The query
answer carries no PHI: ids, status, money, codes.

Each human action has a ``*Body`` (what a client sends: the API's request body) and a
``*Request`` (the update's input: the body plus what the API adds from the credential and
settings, such as the actor). A client cannot send ``actor``: the body forbids extra
fields, and the API builds the request itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from claims.findings import Finding, Report
from claims.ledger import LedgerEntry
from claims.model import Claim
from claims.payer_messages import PayerMessage
from claims.remittance import Remittance
from claims.status import ClaimStatus
from events.contract import Actor, ClaimEvent, EligibilityData
from events.view import ClaimView, PendingWriteOff, StageEntry

__all__ = ["ClaimView", "PendingWriteOff", "StageEntry"]

Note = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def workflow_id(claim_id: str) -> str:
    return f"claim-{claim_id}"


class ClaimState(BaseModel):
    """Everything the workflow knows, in one value: what continue-as-new carries over."""

    claim: Claim
    status: ClaimStatus | None = None
    seq: int = 0
    alert_seq: int = 0
    history: list[StageEntry] = Field(default_factory=list)
    reports: dict[str, Report] = Field(default_factory=dict)
    # Payer messages received and not yet applied, in arrival order.
    pending: list[PayerMessage] = Field(default_factory=list)
    # Ids of every payer message ever received: a redelivered one is dropped.
    seen_messages: list[str] = Field(default_factory=list)
    adjudication: Remittance | None = None
    decided_at: dt.datetime | None = None
    payer_ccn: str | None = None
    appeal_level: int = 0
    appeal_deadline: dt.datetime | None = None
    # When the payer should next be chased if it stays silent.
    follow_up_due: dt.datetime | None = None
    # A correction handed over by recode/correct: set until the lifecycle has coded (and
    # scrubbed) it, so that no second correction or other action can slip in meanwhile.
    correction: CorrectionRequest | None = None
    pending_write_off: PendingWriteOff | None = None
    # Every event this claim emitted (the claim view is folded from them) and the ledger
    # entries booked since the last one (the next event carries them).
    events: list[ClaimEvent] = Field(default_factory=list)
    unposted: list[LedgerEntry] = Field(default_factory=list)
    # Payer messages that arrived after the payer had already moved past them (a 999 or
    # 277CA after the 835, as real payers' files cross): recorded here, not alarmed on.
    late_messages: list[str] = Field(default_factory=list)
    # What the claim is waiting on while a step retries past the stall bound (else None).
    stalled: str | None = None
    # Coordination of benefits (cob-v1). On a secondary claim: the claim it follows. On a
    # primary: the secondary claim it started, or the payer it crossed over to; and whether
    # a later payer's decision is still awaited (the claim does not close before it).
    primary_claim_id: str | None = None
    secondary_claim_id: str | None = None
    crossover_payer_id: str | None = None
    awaiting_later_payer: bool = False
    # On a primary claim: the tertiary claim its secondary claim started (cob-tertiary-v1).
    tertiary_claim_id: str | None = None
    # The last eligibility check (PHI-free), when it was made, and a digest of what it was
    # about (``claims.eligibility_gate.coverage_key``): a change of member or payer re-checks.
    eligibility: EligibilityData | None = None
    eligibility_at: dt.datetime | None = None
    eligibility_key: str | None = None


class ClaimWorkflowInput(BaseModel):
    claim: Claim
    # Off only on the time-skipping test server, which has no custom search attributes.
    search_attributes: bool = True
    # Set by continue-as-new: the state of the run that handed over.
    state: ClaimState | None = None
    # Continue as new once the history has this many events (Temporal also suggests it).
    history_limit: int = Field(default=10_000, ge=50)
    # Who submitted the claim (set by the API from the credential).
    actor: Actor | None = None
    # What intake noted (payer terms overridden by the claim, a payer the registry does not
    # know): recorded with the claim's first event.
    intake_findings: tuple[Finding, ...] = ()
    # A step that talks to another system and keeps failing for this long raises an
    # activity_stalled alert (it goes on retrying); from settings.stall_alert_after_seconds.
    stall_alert_after_seconds: int = Field(default=900, ge=1)
    # Set when a primary claim starts this one for its next payer (coordination of benefits).
    primary_claim_id: str | None = None
    # A resubmission whose last eligibility check is older than this is checked again; from
    # settings.eligibility_recheck_after_days.
    eligibility_recheck_after_days: int = Field(default=30, ge=0)
    # Run the short steps as ordinary activities (the default), or, set False, as local
    # activities (LOCAL_STEPS). Local steps are opt-in, for the benchmark: the reliability
    # suite showed that a workflow task lost with a killed worker can have published an
    # event that the retried task, seeing other signals, publishes differently under the
    # same seq (two conflicting copies on the topic). An ordinary activity's input is fixed
    # in history once scheduled, so that cannot happen on the default path.
    remote_steps: bool = True


class LaterPayerOutcome(BaseModel):
    """What a secondary claim tells its primary: the secondary payer's decision (booked on
    the primary's ledger), or none when the secondary claim ended without one."""

    claim_id: str
    secondary_claim_id: str
    remittance: Remittance | None = None
    status: ClaimStatus
    # The secondary claim started the tertiary claim (``cob-tertiary-v1``): the primary
    # keeps waiting for that payer's decision too.
    next_claim_id: str | None = None


class AppealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    note: Note | None = None
    attachments: tuple[Annotated[str, StringConstraints(max_length=300)], ...] = Field(
        default=(), max_length=20
    )


class AppealRequest(AppealBody):
    actor: Actor | None = None


class AppealAccepted(BaseModel):
    claim_id: str
    level: int
    status: ClaimStatus
    submission_id: str


class CorrectionBody(BaseModel):
    """A corrected claim from a coder (recode) or biller (correct, replace)."""

    model_config = ConfigDict(extra="forbid")

    claim: Claim
    note: Note | None = None


class CorrectionRequest(CorrectionBody):
    actor: Actor | None = None


class CorrectionAccepted(BaseModel):
    claim_id: str
    # The claim's seq when the correction was taken; its next events show the outcome.
    accepted_at_seq: int


class VoidBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class VoidRequest(VoidBody):
    actor: Actor | None = None


class WriteOffBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    note: Note | None = None


class WriteOffRequest(WriteOffBody):
    actor: Actor | None = None
    # Above this outstanding amount a write-off not asked by a supervisor waits for one
    # (the API passes the setting; None: no approval rule, as before the rule existed).
    approval_threshold: Decimal | None = None


class WriteOffDecisionBody(BaseModel):
    """A supervisor's approval or rejection of a pending write-off."""

    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class WriteOffDecision(WriteOffDecisionBody):
    actor: Actor | None = None


class ActionResult(BaseModel):
    claim_id: str
    status: ClaimStatus
    seq: int
    # Set when the action did not happen yet: a write-off waiting for a supervisor.
    pending_write_off: PendingWriteOff | None = None


class ClaimOutcome(BaseModel):
    claim_id: str
    status: ClaimStatus
    seq: int


ClaimState.model_rebuild()


class EligibilityCheckRequest(BaseModel):
    """An on-demand check of a claim's coverage (``POST /claims/{id}/eligibility``)."""

    actor: Actor | None = None
