"""Delivering payer messages from an inbound file to their claims' workflows, page by page.

Each message is matched to its claim by the patient control number the payer echoed back
(835 CLP01, 277CA TRN02): that match is made in one place, ``_deliver_one`` (through the
``Signaller``), so the way control numbers map to claims can change there alone. A message
whose claim has no running workflow is never dropped: it goes to the unmatched queue with
the reason, for a person to work.

Posting reads a file by reference: ``post_page`` asks the ``PageSource`` for one page of a
unit's messages (the source reads that page's bytes from the stored file), delivers them,
and returns counts, so neither the file nor its messages ever enter workflow history.

The one exception: an acknowledgment of a claim that has already finished (a 999 for a void
that arrives after the claim is VOIDED) is recorded as late, not queued: it needs no person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel
from temporalio import activity

from claims.payer_messages import Acknowledgment, ClaimStatusReport, PayerMessage
from events.metrics import PAYER_MESSAGES

# Signals in flight at once while a page is delivered.
CONCURRENCY = 16


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


@dataclass(frozen=True)
class PageOfMessages:
    # Where unmatched messages say they came from (the unit id).
    source: str
    messages: Sequence[PayerMessage]


class PageSource(Protocol):
    """Reads posting pages from stored payer files and records what posting did."""

    def read_page(self, unit_id: str, page: int) -> PageOfMessages: ...

    def delivered(self, unit_id: str, page: int, messages: Sequence[PayerMessage]) -> None:
        """The page's messages were delivered or queued (books the payment's ledger)."""
        ...

    def finish(self, unit_id: str, *, delivered: int, unmatched: int) -> None: ...


class DeliverInput(BaseModel):
    file_id: str
    messages: list[PayerMessage]


class DeliverResult(BaseModel):
    outcomes: list[Delivery]


class PageInput(BaseModel):
    unit_id: str
    page: int


class PageResult(BaseModel):
    delivered: int
    unmatched: int


class FinishInput(BaseModel):
    unit_id: str
    delivered: int
    unmatched: int


class DeliveryActivities:
    def __init__(
        self, signal: Signaller, unmatched: UnmatchedStore, pages: PageSource | None = None
    ) -> None:
        self._signal = signal
        self._unmatched = unmatched
        self._pages = pages

    async def _deliver_one(self, file_id: str, message: PayerMessage) -> Delivery:
        """The one place a payer message is matched to its claim (by the signaller)."""
        try:
            await self._signal(message)
            outcome = Delivery.DELIVERED
        except ClaimClosed as exc:
            if _acknowledges(message):
                outcome = Delivery.LATE
            else:
                self._unmatched.add(file_id=file_id, message=message, reason=str(exc))
                outcome = Delivery.UNMATCHED
        except LookupError as exc:
            self._unmatched.add(file_id=file_id, message=message, reason=str(exc))
            outcome = Delivery.UNMATCHED
        PAYER_MESSAGES.labels(outcome.value).inc()
        return outcome

    async def _deliver_all(self, file_id: str, messages: Sequence[PayerMessage]) -> list[Delivery]:
        """Deliver in order per claim (one claim's messages go one after another, as the
        file lists them: a reversal before its correction), claims side by side."""
        by_claim: dict[str, list[int]] = {}
        for i, message in enumerate(messages):
            by_claim.setdefault(message.claim_id, []).append(i)
        outcomes: list[Delivery | None] = [None] * len(messages)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def claim_messages(indexes: list[int]) -> None:
            async with gate:
                for i in indexes:
                    outcomes[i] = await self._deliver_one(file_id, messages[i])
                    activity.heartbeat()

        await asyncio.gather(*(claim_messages(ix) for ix in by_claim.values()))
        return [o for o in outcomes if o is not None]

    @activity.defn
    async def deliver_payer_messages(self, inp: DeliverInput) -> DeliverResult:
        """Signal each claim, or park its message as unmatched (postings started before
        files were taken by reference pass their messages inline).

        Safe to retry as a whole: claim workflows drop a message id they have seen, and the
        unmatched queue keeps one row per message id.
        """
        return DeliverResult(outcomes=await self._deliver_all(inp.file_id, inp.messages))

    @activity.defn
    async def post_page(self, inp: PageInput) -> PageResult:
        """Read one page of a stored payer file and deliver its messages. Safe to retry."""
        assert self._pages is not None, "the worker was built without a page source"
        page = await asyncio.to_thread(self._pages.read_page, inp.unit_id, inp.page)
        outcomes = await self._deliver_all(page.source, page.messages)
        await asyncio.to_thread(self._pages.delivered, inp.unit_id, inp.page, page.messages)
        unmatched = sum(1 for o in outcomes if o is Delivery.UNMATCHED)
        return PageResult(delivered=len(outcomes) - unmatched, unmatched=unmatched)

    @activity.defn
    async def finish_posting(self, inp: FinishInput) -> None:
        """Record the unit as posted (and its file as taken once all its units are)."""
        assert self._pages is not None, "the worker was built without a page source"
        await asyncio.to_thread(
            self._pages.finish, inp.unit_id, delivered=inp.delivered, unmatched=inp.unmatched
        )
