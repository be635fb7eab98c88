"""Payer gateways that speak X12: 837P over HTTP, or 837P files in an outbound folder.

Eligibility is the exception to "answers come later": over HTTP the 270 is the request
and the 271 the response (a clearinghouse's real-time API). In the file exchange the 270
goes to the outbound folder (its trace number recorded against the claim first) and the
check is ``pending``; its 271 comes back through the inbox like every other payer file and
is delivered to the claim, which waits for it within the eligibility bound.

Both render the 837P with persisted control numbers and record which claims went in which
transaction set before anything leaves (so the 999 can always be read back). The answers
do not come back on this call: they arrive later as files (999, 277CA, 835) through the
inbound API or the inbound folder, like a clearinghouse's. Appeals and status inquiries
have no X12 here: they go as JSON (HTTP) or as JSON files (folder), naming the claim as the
payer knows it: by the patient control number it was sent (CLM01), not claimflow's id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine

from activities.payer import AppealPacket, PayerRefused, StatusInquiry, SubmissionReceipt
from claims.eligibility import EligibilityRequest, EligibilityResult, EligibilityStatus
from claims.model import Claim
from claims.x12.read_271 import answer_for
from services import x12_store
from services.attachments import AttachmentStore
from services.crypto.secret_files import write_private
from services.gateway import HttpPayerGateway, appeal_files
from services.settings import Settings
from services.x12_files import build_270, build_837p, exchange_dir, keep_copy


async def _as_sent(engine: Engine, claim_id: str) -> str:
    """How the payer knows the claim: its CLM01 (the claim id itself for a claim sent
    before patient control numbers existed)."""
    pcn = await asyncio.to_thread(x12_store.patient_control_number_of, engine, claim_id)
    return pcn or claim_id


async def _render(settings: Settings, engine: Engine, claim: Claim) -> tuple[str, str]:
    """(837P text, file name). A claim the guide cannot carry is refused, not retried.

    Every ValueError of the renderer is about the claim's content (``RenderError`` for a
    missing part, plain ValueError for a value the syntax cannot hold): retrying the same
    claim gives the same answer, so it is a refusal; database errors are not ValueErrors
    and stay retryable.
    """
    try:
        text, icn = await asyncio.to_thread(build_837p, settings, engine, [claim])
    except ValueError as exc:
        raise PayerRefused(f"the claim cannot be sent as an 837P: {exc}") from exc
    return text, f"837P-{icn:09d}.x12"


async def _render_270(
    settings: Settings, engine: Engine, request: EligibilityRequest
) -> tuple[str, int]:
    """(270 text, interchange number). A request with a delimiter in an id is refused."""
    try:
        return await asyncio.to_thread(build_270, settings, engine, [request])
    except ValueError as exc:
        raise PayerRefused(f"the request cannot be sent as a 270: {exc}") from exc


class X12HttpGateway(HttpPayerGateway):
    """837P POSTed to the payer's ``/x12/837``; appeals and inquiries as JSON."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        super().__init__(settings.payer_url, attachments=AttachmentStore(settings, engine))
        self._settings = settings
        self._engine = engine

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        text, name = await _render(self._settings, self._engine, claim)
        keep_copy(self._settings, "sent", name, text)
        await self._send("/x12/837", text, content_type="application/edi-x12")
        # The payer's claim control number comes back later, in the 277CA (REF*1K).
        return SubmissionReceipt(payer_claim_control_number=None, submission_id=name)

    async def check_eligibility(self, request: EligibilityRequest) -> EligibilityResult:
        """270 POSTed to the payer's ``/x12/270``; the response body is the 271."""
        text, icn = await _render_270(self._settings, self._engine, request)
        sent = f"270-{icn:09d}.x12"
        keep_copy(self._settings, "sent", sent, text)
        answer = await self._send("/x12/270", text, content_type="application/edi-x12")
        keep_copy(self._settings, "received", f"271-{icn:09d}.x12", answer)
        result = answer_for(request.trace_number, answer, claim_id=request.claim_id)
        return result.model_copy(update={"reference": sent})

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        ref = await _as_sent(self._engine, packet.claim_id)
        return await super().submit_appeal(packet.model_copy(update={"claim_id": ref}))

    async def inquire(self, inquiry: StatusInquiry) -> None:
        ref = await _as_sent(self._engine, inquiry.claim_id)
        await super().inquire(inquiry.model_copy(update={"claim_id": ref}))


class FileExchangeGateway:
    """Batch exchange with a clearinghouse: plain files in ``<x12_exchange_dir>/outbound``
    (outside the state dir; see ``services.x12_files.exchange_dir``), mode 0600."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._outbound = exchange_dir(settings) / "outbound"

    def _write(self, name: str, data: str | bytes) -> Path:
        # Written aside and renamed into place (write_private), so a clearinghouse's pickup
        # never reads half a file.
        return write_private(self._outbound / name, data)

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        text, name = await _render(self._settings, self._engine, claim)
        self._write(name, text)
        keep_copy(self._settings, "sent", name, text)
        return SubmissionReceipt(payer_claim_control_number=None, submission_id=name)

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        """The packet as JSON, its attachments beside it (``appeal-<claim>-L<n>-<id><ext>``).

        The attachments leave claimflow here, for the clearinghouse's pickup, in clear like
        the 837P files beside them; they are named by id, since a file's name may be PHI.
        """
        ref = await _as_sent(self._engine, packet.claim_id)
        stem = f"appeal-{ref}-L{packet.level}"
        files = appeal_files(AttachmentStore(self._settings, self._engine), packet)
        for attachment_id, (_, (name, data, _type)) in zip(packet.attachments, files, strict=True):
            suffix = "".join(c for c in Path(name).suffix[:10] if c.isalnum() or c == ".")
            self._write(f"{stem}-{attachment_id}{suffix}", data)
        name = f"{stem}.json"
        self._write(name, packet.model_copy(update={"claim_id": ref}).model_dump_json(indent=2))
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number, submission_id=name
        )

    async def check_eligibility(self, request: EligibilityRequest) -> EligibilityResult:
        """The 270 goes out as a file; its 271 arrives later through the inbox. A question
        no claim asked (a claim file checked on demand) is not recorded: its answer goes to
        the unmatched queue."""
        text, icn = await _render_270(self._settings, self._engine, request)
        name = f"270-{icn:09d}.x12"
        if request.claim_id is not None:
            # Before the file leaves: the 271 that comes back finds its claim by this.
            await asyncio.to_thread(
                x12_store.record_eligibility_inquiry,
                self._engine, request.trace_number, request.claim_id, name,
            )  # fmt: skip
        self._write(name, text)
        keep_copy(self._settings, "sent", name, text)
        return EligibilityResult(
            status=EligibilityStatus.PENDING,
            trace_number=request.trace_number,
            claim_id=request.claim_id,
            payer_id=request.payer.payer_id,
            message=f"270 {name} is in the outbound folder; the 271 comes back as a file",
            reference=name,
        )

    async def inquire(self, inquiry: StatusInquiry) -> None:
        ref = await _as_sent(self._engine, inquiry.claim_id)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        body = inquiry.model_copy(update={"claim_id": ref}).model_dump()
        self._write(f"inquiry-{ref}-{stamp}.json", json.dumps(body))

    async def aclose(self) -> None:
        return None
