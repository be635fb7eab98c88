"""Delivering payer messages from an inbound file to their claims' workflows.

Each message is matched to its claim by the patient control number the payer echoed back
(CLM01 = claimflow's claim id). A message whose claim has no running workflow is never
dropped: it goes to the unmatched queue with the reason, for a person to work.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel
from temporalio import activity

from claims.payer_messages import PayerMessage
from events.metrics import PAYER_MESSAGES


class Delivery(StrEnum):
    DELIVERED = "delivered"
    UNMATCHED = "unmatched"


class UnmatchedStore(Protocol):
    def add(self, *, file_id: str, message: PayerMessage, reason: str) -> None: ...


class Signaller(Protocol):
    """Signal the claim's workflow; raise LookupError(reason) when it cannot take signals."""

    async def __call__(self, message: PayerMessage) -> None: ...


class DeliverInput(BaseModel):
    file_id: str
    messages: list[PayerMessage]


class DeliverResult(BaseModel):
    outcomes: list[Delivery]


class DeliveryActivities:
    def __init__(self, signal: Signaller, unmatched: UnmatchedStore) -> None:
        self._signal = signal
        self._unmatched = unmatched

    @activity.defn
    async def deliver_payer_messages(self, inp: DeliverInput) -> DeliverResult:
        """Signal each claim, or park its message as unmatched.

        Safe to retry as a whole: claim workflows drop a message id they have seen, and the
        unmatched queue keeps one row per message id.
        """
        outcomes = []
        for message in inp.messages:
            try:
                await self._signal(message)
                outcomes.append(Delivery.DELIVERED)
            except LookupError as exc:
                self._unmatched.add(file_id=inp.file_id, message=message, reason=str(exc))
                outcomes.append(Delivery.UNMATCHED)
            PAYER_MESSAGES.labels(outcomes[-1].value).inc()
            activity.heartbeat(len(outcomes))
        return DeliverResult(outcomes=outcomes)
