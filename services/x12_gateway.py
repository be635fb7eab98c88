"""Payer gateways that speak X12: 837P over HTTP, or 837P files in an outbound folder.

Both render the 837P with persisted control numbers and record which claims went in which
transaction set before anything leaves (so the 999 can always be read back). The answers
do not come back on this call: they arrive later as files (999, 277CA, 835) through the
inbound API or the inbound folder, like a clearinghouse's. Appeals and status inquiries
have no X12 here: they go as JSON (HTTP) or as JSON files (folder).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine

from activities.payer import AppealPacket, PayerRefused, StatusInquiry, SubmissionReceipt
from claims.model import Claim
from services.gateway import HttpPayerGateway
from services.settings import Settings
from services.x12_files import build_837p, keep_copy


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


class X12HttpGateway(HttpPayerGateway):
    """837P POSTed to the payer's ``/x12/837``; appeals and inquiries as JSON."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        super().__init__(settings.payer_url)
        self._settings = settings
        self._engine = engine

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        text, name = await _render(self._settings, self._engine, claim)
        keep_copy(self._settings, "sent", name, text)
        await self._send("/x12/837", text, content_type="application/edi-x12")
        # The payer's claim control number comes back later, in the 277CA (REF*1K).
        return SubmissionReceipt(payer_claim_control_number=None, submission_id=name)


class FileExchangeGateway:
    """Batch exchange with a clearinghouse: files in ``<state>/x12/outbound``."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._outbound = settings.x12_dir / "outbound"

    def _write(self, name: str, data: str) -> Path:
        self._outbound.mkdir(parents=True, exist_ok=True)
        tmp = self._outbound / f".{name}.tmp"
        tmp.write_text(data)
        # Renamed into place so a clearinghouse's pickup never reads half a file.
        return tmp.replace(self._outbound / name)

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        text, name = await _render(self._settings, self._engine, claim)
        self._write(name, text)
        keep_copy(self._settings, "sent", name, text)
        return SubmissionReceipt(payer_claim_control_number=None, submission_id=name)

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        name = f"appeal-{packet.claim_id}-L{packet.level}.json"
        self._write(name, packet.model_dump_json(indent=2))
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number, submission_id=name
        )

    async def inquire(self, inquiry: StatusInquiry) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        self._write(f"inquiry-{inquiry.claim_id}-{stamp}.json", json.dumps(inquiry.model_dump()))

    async def aclose(self) -> None:
        return None
