"""The payer simulator: an HTTP payer that answers later, by signal, like a real one.

It takes a claim or an appeal, answers 202 at once with its claim control number, and
after ``delay`` seconds sends its decision (``rules.adjudicate``) to the claim's workflow
as a ``remittance`` signal. Submissions are remembered in memory only: a simulator restart
loses decisions it had not yet sent, which is exactly the kind of silence the follow-up
timers exist to catch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from temporalio.client import Client

from activities.payer import AppealPacket, SubmissionReceipt
from claims.model import Claim
from claims.remittance import Remittance
from services.payersim.rules import adjudicate, control_number
from workflows.messages import workflow_id

log = logging.getLogger(__name__)

SendRemittance = Callable[[Remittance], Awaitable[None]]


def temporal_sender(client: Client) -> SendRemittance:
    async def send(remittance: Remittance) -> None:
        handle = client.get_workflow_handle(workflow_id(remittance.claim_id))
        await handle.signal("remittance", remittance)

    return send


def create_app(make_sender: Callable[[], Awaitable[SendRemittance]], *, delay: float) -> FastAPI:
    """``make_sender`` runs in the server's own event loop, where the sender will be used."""
    claims: dict[str, Claim] = {}
    tasks: set[asyncio.Task[None]] = set()
    senders: list[SendRemittance] = []

    async def deliver_later(remittance: Remittance) -> None:
        await asyncio.sleep(delay)
        for attempt in range(1, 31):
            try:
                await senders[0](remittance)
                return
            except Exception:  # the claim system may be restarting: keep trying a while
                log.warning(
                    "remittance %s not delivered (try %d)", remittance.remittance_id, attempt
                )
                await asyncio.sleep(min(attempt, 10))
        log.error("remittance %s dropped after 30 tries", remittance.remittance_id)

    def schedule(remittance: Remittance) -> None:
        task = asyncio.create_task(deliver_later(remittance))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        senders.append(await make_sender())
        yield
        for task in tasks:
            task.cancel()

    app = FastAPI(title="claimflow payer simulator", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/claims", status_code=202)
    async def submit_claim(claim: Claim) -> SubmissionReceipt:
        if claim.claim_id is None:
            raise HTTPException(422, "claim_id (CLM01) is required")
        ccn = control_number(claim.claim_id)
        if ccn not in claims:  # a resubmitted claim is acknowledged, not adjudicated twice
            claims[ccn] = claim
            schedule(adjudicate(claim))
        return SubmissionReceipt(payer_claim_control_number=ccn, submission_id=f"{ccn}-S0")

    @app.post("/v1/appeals", status_code=202)
    async def submit_appeal(packet: AppealPacket) -> SubmissionReceipt:
        claim = claims.get(packet.payer_claim_control_number)
        if claim is None or claim.claim_id != packet.claim_id:
            raise HTTPException(
                404,
                f"no claim {packet.claim_id} with control number "
                f"{packet.payer_claim_control_number} on file",
            )
        schedule(adjudicate(claim, level=packet.level))
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number,
            submission_id=f"{packet.payer_claim_control_number}-A{packet.level}",
        )

    return app
