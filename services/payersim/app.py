"""The payer simulator: an HTTP payer that answers later, like a real one.

It takes a claim (JSON, or an 837P file), an appeal or a status inquiry and answers 202 at
once. For an 837P it first sends a 999. For each claim it later sends a 277CA and, unless
that rejected it, a remittance; for an appeal, a new remittance; for an inquiry, its last
message again (claimflow drops what it already has). The answers go out through an
``Outbox``: signals in JSON mode, X12 files to claimflow's inbound endpoint in X12 mode.
Decisions come from ``rules``. A void (frequency 8) is acknowledged and ends there. A
resubmission of identical content is a retry, not a new claim. State is in memory only: a
restart loses messages not yet sent, which is exactly the silence the workflow's
follow-up timers exist to catch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from activities.payer import AppealPacket, StatusInquiry, SubmissionReceipt
from claims.model import Claim
from claims.payer_messages import PayerMessage
from claims.remittance import Remittance
from claims.x12.errors import X12Error
from claims.x12.read_837p import SubmittedClaim, parse_837p
from services.payersim import eligibility, folder
from services.payersim.outbox import Outbox, X12Outbox
from services.payersim.rules import (
    adjudicate,
    claim_status,
    control_number,
    crossover_decision,
    reversal_of,
)
from services.payersim.runs import CheckRuns

log = logging.getLogger(__name__)

Submitted = Claim | SubmittedClaim


@dataclass
class ClaimFile:
    """What the payer knows of one claim."""

    claim: Submitted
    submissions: int = 0
    seen: set[str] = field(default_factory=set)
    last: PayerMessage | None = None


class ReceivedFile(BaseModel):
    name: str
    content_type: str
    size: int
    sha256: str


class AppealReceived(BaseModel):
    level: int
    reason: str
    attachments: list[ReceivedFile]


async def _received(part: UploadFile) -> ReceivedFile:
    data = await part.read()
    return ReceivedFile(
        name=part.filename or "",
        content_type=part.content_type or "",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _fingerprint(claim: Submitted) -> str:
    text = claim.model_dump_json() if isinstance(claim, Claim) else repr(claim)
    return hashlib.sha256(text.encode()).hexdigest()


async def _retrying(what: str, send: Callable[[], Awaitable[None]]) -> None:
    for attempt in range(1, 31):
        try:
            await send()
            return
        except Exception:  # claimflow may be restarting: keep trying a while
            log.warning("%s not delivered (try %d)", what, attempt)
            await asyncio.sleep(min(attempt, 10))
    log.error("%s dropped after 30 tries", what)


def create_app(
    make_outbox: Callable[[], Awaitable[Outbox]],
    *,
    delay: float,
    check_run: float = 0.0,
    exchange: Path | None = None,
) -> FastAPI:
    """``make_outbox`` runs in the server's own event loop, where the outbox will be used.

    ``check_run`` > 0: X12 answers go out in check runs gathered over that many seconds
    (``runs.CheckRuns``: one 277CA and one 835 per provider for many claims); 0: a file
    per answer. ``exchange``: claimflow's file-exchange folder, whose 270 files the
    simulator answers with 271 files (``services.payersim.folder``)."""
    files: dict[str, ClaimFile] = {}
    appeals: dict[str, list[AppealReceived]] = {}
    tasks: set[asyncio.Task[None]] = set()
    outboxes: list[Outbox] = []
    runs: list[CheckRuns] = []

    async def send(message: PayerMessage, claim: Submitted) -> None:
        if runs:
            await runs[0].send(message, claim)
        else:
            await outboxes[0].send(message, claim)

    async def deliver_later(
        file: ClaimFile, messages: list[PayerMessage], after: Awaitable[None] | None
    ) -> None:
        if after is not None:  # a file's 999 goes out before any answer to its claims
            await after
        for n, message in enumerate(messages, start=1):
            await asyncio.sleep(delay * n / len(messages))
            file.last = message
            await _retrying(
                f"message for {message.claim_id}",
                lambda m=message: send(m, file.claim),  # type: ignore[misc]
            )

    async def deliver_together(file: ClaimFile, messages: list[Remittance]) -> None:
        """A reprocessed claim: the reversal and the new decision in one ERA, in order."""
        await asyncio.sleep(delay)
        file.last = messages[-1]
        await _retrying(
            f"reprocessing of {messages[-1].claim_id}",
            lambda: outboxes[0].send_many(messages, file.claim),
        )

    def spawn(coro: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def schedule(
        file: ClaimFile, messages: list[PayerMessage], after: Awaitable[None] | None = None
    ) -> None:
        spawn(deliver_later(file, messages, after))

    def take(claim: Submitted, after: Awaitable[None] | None = None) -> ClaimFile:
        """File a submission and schedule its answers; identical content again is a retry."""
        assert claim.claim_id is not None
        file = files.setdefault(claim.claim_id, ClaimFile(claim=claim))
        fingerprint = _fingerprint(claim)
        if fingerprint not in file.seen:
            file.seen.add(fingerprint)
            file.claim = claim
            file.submissions += 1
            if claim.frequency_code != "8":  # a void needs no answer
                status = claim_status(claim, submission=file.submissions)
                messages: list[PayerMessage] = [status]
                if not status.rejected:
                    decision = adjudicate(claim, submission=file.submissions)
                    messages.append(decision)
                    if decision.crossover_payer_id:
                        # The crossover payer's own answer follows on the same claim.
                        messages.append(crossover_decision(claim, decision))
                schedule(file, messages, after)
        return file

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        outbox = await make_outbox()
        outboxes.append(outbox)
        if check_run > 0 and isinstance(outbox, X12Outbox):
            runs.append(CheckRuns(outbox, check_run))
        if exchange is not None:
            spawn(folder.watch(exchange))
        yield
        for run in runs:
            run.close()
        for task in tasks:
            task.cancel()

    app = FastAPI(title="claimflow payer simulator", lifespan=lifespan)
    app.include_router(eligibility.router)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/claims", status_code=202)
    async def submit_claim(claim: Claim) -> SubmissionReceipt:
        if claim.claim_id is None:
            raise HTTPException(422, "claim_id (CLM01) is required")
        ccn = control_number(claim.claim_id)
        file = take(claim)
        return SubmissionReceipt(
            payer_claim_control_number=ccn, submission_id=f"{ccn}-S{file.submissions}"
        )

    @app.post("/x12/837", status_code=202)
    async def submit_837(request: Request) -> dict[str, object]:
        """An 837P file: a 999 for it, then each claim's 277CA and 835."""
        text = (await request.body()).decode("utf-8", "replace")
        try:
            claims = parse_837p(text)
        except X12Error as exc:
            raise HTTPException(400, f"unreadable 837P: {exc}") from exc
        acknowledged = spawn(_retrying("999", lambda: outboxes[0].acknowledge(text)))
        for claim in claims:
            take(claim, after=acknowledged)
        return {"claims": [c.claim_id for c in claims]}

    @app.post("/v1/appeals", status_code=202)
    async def submit_appeal(request: Request) -> SubmissionReceipt:
        """An appeal: the packet as JSON, or a multipart form of the packet and its files."""
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            packet = AppealPacket.model_validate_json(str(form.get("packet") or ""))
            received = [
                await _received(part)
                for part in form.getlist("attachments")
                if not isinstance(part, str)
            ]
        else:
            packet = AppealPacket.model_validate_json(await request.body())
            received = []
        if len(received) != len(packet.attachments):
            raise HTTPException(
                422, f"the packet names {len(packet.attachments)} attachments; {len(received)} came"
            )
        file = files.get(packet.claim_id)
        if file is None or control_number(packet.claim_id) != packet.payer_claim_control_number:
            raise HTTPException(
                404,
                f"no claim {packet.claim_id} with control number "
                f"{packet.payer_claim_control_number} on file",
            )
        appeals.setdefault(packet.claim_id, []).append(
            AppealReceived(level=packet.level, reason=packet.reason, attachments=received)
        )
        remittance = adjudicate(file.claim, level=packet.level, submission=file.submissions)
        if remittance.remittance_id not in file.seen:  # a retried appeal is not decided twice
            file.seen.add(remittance.remittance_id)
            earlier = file.last
            if isinstance(earlier, Remittance) and earlier.paid_amount > 0:
                # Paid in part before: like a real payer, reverse that payment, then pay anew.
                spawn(deliver_together(file, [reversal_of(earlier), remittance]))
            else:
                schedule(file, [remittance])
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number,
            submission_id=f"{packet.payer_claim_control_number}-A{packet.level}",
        )

    @app.get("/v1/appeals/{claim_id}")
    async def appeals_received(claim_id: str) -> list[AppealReceived]:
        """What the payer received for a claim's appeals (the files' names, sizes, digests)."""
        return appeals.get(claim_id, [])

    @app.post("/v1/inquiries", status_code=202)
    async def inquire(inquiry: StatusInquiry) -> dict[str, str]:
        file = files.get(inquiry.claim_id)
        if file is None:
            raise HTTPException(404, f"no claim {inquiry.claim_id} on file")
        if file.last is not None:
            schedule(file, [file.last])
        return {"status": "answered" if file.last else "pending"}

    return app
