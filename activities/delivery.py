"""Delivering payer messages from an inbound file to their claims' workflows.

Each message is matched to its claim by the patient control number the payer echoed back
(CLM01 = claimflow's claim id). A message whose claim has no running workflow is never
dropped: it goes to the unmatched queue with the reason, for a person to work; only an
acknowledgment of a claim that has already finished (a 999 for a void that arrives after
the claim is VOIDED) is taken as late, since nothing about it needs a person.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel
from temporalio import activity

from claims.payer_messages import Acknowledgment, ClaimStatusReport, PayerMessage


class Delivery(StrEnum):
    DELIVERED = "delivered"
    UNMATCHED = "unmatched"
    # An acknowledgment (999 accepted, 277CA A1/A2) of a claim that has already finished:
    # the payer's files crossed, and it agrees with what happened. Recorded with the file,
    # not queued for a person.
    LATE = "late"


class ClaimClosed(LookupError):
    """The claim's workflow exists but has finished: it takes no more messages."""


def _acknowledges(message: PayerMessage) -> bool:
    if isinstance(message, Acknowledgment):
        return message.accepted
    return isinstance(message, ClaimStatusReport) and message.category in ("A1", "A2")


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
            except ClaimClosed as exc:
                if _acknowledges(message):
                    outcomes.append(Delivery.LATE)
                else:
                    self._unmatched.add(file_id=inp.file_id, message=message, reason=str(exc))
                    outcomes.append(Delivery.UNMATCHED)
            except LookupError as exc:
                self._unmatched.add(file_id=inp.file_id, message=message, reason=str(exc))
                outcomes.append(Delivery.UNMATCHED)
            activity.heartbeat(len(outcomes))
        return DeliverResult(outcomes=outcomes)
