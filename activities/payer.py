"""Submission activities: hand a claim or an appeal to the payer gateway.

The gateway is injected (an HTTP client to the payer simulator today; X12 over a
clearinghouse later), so the workflow never knows how a payer is reached.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from claims.eligibility import EligibilityRequest, EligibilityResult
from claims.model import Claim


class SubmissionReceipt(BaseModel):
    # Known at once from some payers; from an X12 payer it arrives later, in the 277CA.
    payer_claim_control_number: str | None = None
    submission_id: str


class AppealPacket(BaseModel):
    claim_id: str
    payer_claim_control_number: str
    level: int
    reason: str
    note: str | None = None
    attachments: tuple[str, ...] = ()


class PayerRefused(Exception):
    """The payer (or the gateway, for a claim it cannot carry) will not take this submission:
    retrying cannot help, so the activity fails non-retryable with type ``PAYER_REFUSED``."""


PAYER_REFUSED = "PayerRefused"


class StatusInquiry(BaseModel):
    """A claim status inquiry (the 276 a clearinghouse would send): "what happened to it?"."""

    claim_id: str
    payer_claim_control_number: str | None = None


class PayerGateway(Protocol):
    async def submit_claim(self, claim: Claim) -> SubmissionReceipt: ...

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt: ...

    async def inquire(self, inquiry: StatusInquiry) -> None: ...

    async def check_eligibility(self, request: EligibilityRequest) -> EligibilityResult:
        """The payer's answer (a 270 out, a 271 back), or a ``pending`` result when the
        answer comes later; raises for an outage (``activities.eligibility`` bounds it)."""
        ...

    async def aclose(self) -> None: ...


class SubmitInput(BaseModel):
    claim: Claim


class PayerActivities:
    def __init__(self, gateway: PayerGateway) -> None:
        self._gateway = gateway

    @activity.defn
    async def submit_claim(self, inp: SubmitInput) -> SubmissionReceipt:
        try:
            return await self._gateway.submit_claim(inp.claim)
        except PayerRefused as exc:
            raise ApplicationError(str(exc), type=PAYER_REFUSED, non_retryable=True) from exc

    @activity.defn
    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        try:
            return await self._gateway.submit_appeal(packet)
        except PayerRefused as exc:
            raise ApplicationError(str(exc), type=PAYER_REFUSED, non_retryable=True) from exc

    @activity.defn
    async def inquire_status(self, inquiry: StatusInquiry) -> None:
        try:
            await self._gateway.inquire(inquiry)
        except PayerRefused as exc:
            raise ApplicationError(str(exc), type=PAYER_REFUSED, non_retryable=True) from exc
