"""The payer simulator: an HTTP payer that answers later, by signal, like a real one.

It takes a claim, an appeal or a status inquiry and answers 202 at once. For a claim it
later sends a 277CA (``claim_status``) and, unless that rejected it, a remittance; for an
appeal, a new remittance; for an inquiry, its last message again (the workflow drops it if it
already has it, by message id). Decisions come from ``rules``. A void (frequency 8) is
acknowledged and ends there. A resubmission of identical content is a retry, not a new
claim. State is in memory only: a restart loses messages not yet sent, which is exactly
the silence the workflow's follow-up timers exist to catch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI, HTTPException

from activities.payer import AppealPacket, StatusInquiry, SubmissionReceipt
from claims.model import Claim
from services.payersim.rules import adjudicate, claim_status, control_number
from workflows.messages import PayerMessage

log = logging.getLogger(__name__)

SendMessage = Callable[[PayerMessage], Awaitable[None]]


@dataclass
class ClaimFile:
    """What the payer knows of one claim."""

    claim: Claim
    submissions: int = 0
    seen: set[str] = field(default_factory=set)
    last: PayerMessage | None = None


def _fingerprint(claim: Claim) -> str:
    return hashlib.sha256(claim.model_dump_json().encode()).hexdigest()


def create_app(make_sender: Callable[[], Awaitable[SendMessage]], *, delay: float) -> FastAPI:
    """``make_sender`` runs in the server's own event loop, where the sender will be used."""
    files: dict[str, ClaimFile] = {}
    tasks: set[asyncio.Task[None]] = set()
    senders: list[SendMessage] = []

    async def deliver_later(file: ClaimFile, messages: list[PayerMessage]) -> None:
        for n, message in enumerate(messages, start=1):
            await asyncio.sleep(delay * n / len(messages))
            file.last = message
            for attempt in range(1, 31):
                try:
                    await senders[0](message)
                    break
                except Exception:  # the claim system may be restarting: keep trying a while
                    log.warning("message for %s not delivered (try %d)", message.claim_id, attempt)
                    await asyncio.sleep(min(attempt, 10))

    def schedule(file: ClaimFile, messages: list[PayerMessage]) -> None:
        task = asyncio.create_task(deliver_later(file, messages))
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
        file = files.setdefault(claim.claim_id, ClaimFile(claim=claim))
        fingerprint = _fingerprint(claim)
        if fingerprint not in file.seen:  # identical content again is a retry
            file.seen.add(fingerprint)
            file.claim = claim
            file.submissions += 1
            if claim.frequency_code != "8":  # a void needs no answer
                status = claim_status(claim, submission=file.submissions)
                messages: list[PayerMessage] = [status]
                if not status.rejected:
                    messages.append(adjudicate(claim, submission=file.submissions))
                schedule(file, messages)
        return SubmissionReceipt(
            payer_claim_control_number=ccn, submission_id=f"{ccn}-S{file.submissions}"
        )

    @app.post("/v1/appeals", status_code=202)
    async def submit_appeal(packet: AppealPacket) -> SubmissionReceipt:
        file = files.get(packet.claim_id)
        if file is None or control_number(packet.claim_id) != packet.payer_claim_control_number:
            raise HTTPException(
                404,
                f"no claim {packet.claim_id} with control number "
                f"{packet.payer_claim_control_number} on file",
            )
        remittance = adjudicate(file.claim, level=packet.level, submission=file.submissions)
        if remittance.remittance_id not in file.seen:  # a retried appeal is not decided twice
            file.seen.add(remittance.remittance_id)
            schedule(file, [remittance])
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number,
            submission_id=f"{packet.payer_claim_control_number}-A{packet.level}",
        )

    @app.post("/v1/inquiries", status_code=202)
    async def inquire(inquiry: StatusInquiry) -> dict[str, str]:
        file = files.get(inquiry.claim_id)
        if file is None:
            raise HTTPException(404, f"no claim {inquiry.claim_id} on file")
        if file.last is not None:
            schedule(file, [file.last])
        return {"status": "answered" if file.last else "pending"}

    return app
