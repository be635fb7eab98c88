"""What goes in and out of ClaimWorkflow: its input, update requests, query answers.

These are the workflow's public API (the API service and the CLI use them), so they carry
no PHI beyond the claim itself, and the query answer carries none at all.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from claims.findings import Report
from claims.model import Claim
from claims.remittance import Remittance
from claims.status import ClaimStatus


def workflow_id(claim_id: str) -> str:
    return f"claim-{claim_id}"


class ClaimWorkflowInput(BaseModel):
    claim: Claim
    # Off only on the time-skipping test server, which has no custom search attributes.
    search_attributes: bool = True


class AppealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    attachments: tuple[Annotated[str, StringConstraints(max_length=300)], ...] = Field(
        default=(), max_length=20
    )


class AppealAccepted(BaseModel):
    claim_id: str
    level: int
    status: ClaimStatus
    submission_id: str


class CorrectionRequest(BaseModel):
    """A corrected claim from a coder (recode) or biller (correct)."""

    claim: Claim
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CorrectionAccepted(BaseModel):
    claim_id: str
    # The claim's seq when the correction was taken; its next events show the outcome.
    accepted_at_seq: int


class StageEntry(BaseModel):
    seq: int
    status: ClaimStatus
    at: dt.datetime
    reason: str | None = None


class ClaimView(BaseModel):
    """Current state of one claim, free of PHI: what ops and billers look at."""

    claim_id: str
    status: ClaimStatus
    seq: int
    payer_id: str
    total_charge: Decimal
    paid_amount: Decimal | None = None
    patient_responsibility: Decimal | None = None
    outstanding_amount: Decimal
    payer_claim_control_number: str | None = None
    appeal_level: int = 0
    appeal_deadline: dt.datetime | None = None
    denial_reasons: tuple[str, ...] = ()
    reports: dict[str, Report] = Field(default_factory=dict)
    adjudication: Remittance | None = None
    history: list[StageEntry] = Field(default_factory=list)


class ClaimOutcome(BaseModel):
    claim_id: str
    status: ClaimStatus
    seq: int
