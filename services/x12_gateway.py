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
from claims.x12.render_837p import RenderError
from services.attachments import AttachmentStore
from services.gateway import HttpPayerGateway, appeal_files
from services.settings import Settings
from services.x12_files import build_837p, keep_copy


async def _render(settings: Settings, engine: Engine, claim: Claim) -> tuple[str, str]:
    """(837P text, file name). A claim the guide cannot carry is refused, not retried."""
    try:
        text, icn = await asyncio.to_thread(build_837p, settings, engine, [claim])
    except RenderError as exc:
        raise PayerRefused(f"the claim cannot be sent as an 837P: {exc}") from exc
    return text, f"837P-{icn:09d}.x12"


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


class FileExchangeGateway:
    """Batch exchange with a clearinghouse: files in ``<state>/x12/outbound``."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._outbound = settings.x12_dir / "outbound"

    def _write(self, name: str, data: str) -> Path:
        return self._write_bytes(name, data.encode())

    def _write_bytes(self, name: str, data: bytes) -> Path:
        self._outbound.mkdir(parents=True, exist_ok=True)
        tmp = self._outbound / f".{name}.tmp"
        tmp.write_bytes(data)
        # Renamed into place so a clearinghouse's pickup never reads half a file.
        return tmp.replace(self._outbound / name)

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
        stem = f"appeal-{packet.claim_id}-L{packet.level}"
        files = appeal_files(AttachmentStore(self._settings, self._engine), packet)
        for attachment_id, (_, (name, data, _type)) in zip(packet.attachments, files, strict=True):
            suffix = "".join(c for c in Path(name).suffix[:10] if c.isalnum() or c == ".")
            self._write_bytes(f"{stem}-{attachment_id}{suffix}", data)
        name = f"{stem}.json"
        self._write(name, packet.model_dump_json(indent=2))
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number, submission_id=name
        )

    async def inquire(self, inquiry: StatusInquiry) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        self._write(f"inquiry-{inquiry.claim_id}-{stamp}.json", json.dumps(inquiry.model_dump()))

    async def aclose(self) -> None:
        return None
