"""Payer files: X12 in (835, 277CA, 999), the unmatched queue, what became of a file, and
reading an encrypted copy."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from claims.x12.errors import X12Error
from services import inbound_store
from services.api.deps import EngineDep, KeyRingDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED, Authorized
from services.crypto.aead import DecryptionError
from services.crypto.files import decrypt_bytes
from services.crypto.keyring import UnknownKeyError
from services.inbound import UnitResult, ingest
from services.x12_files import keep_copy

router = APIRouter(tags=["payer files"], dependencies=AUTHORIZED)


@router.post("/x12/inbound", status_code=202)
async def x12_inbound(
    request: Request,
    response: Response,
    settings: SettingsDep,
    engine: EngineDep,
    client: TemporalDep,
    principal: Authorized,
) -> list[UnitResult]:
    """Take a payer's 835, 277CA or 999 (the raw X12 as the request body).

    202: every unit is being posted. 409: every unit was taken before. 422: a unit did
    not balance and was quarantined whole, or the file could not be read (the detail
    names the segment and offset). 413: larger than ``max_upload_bytes``; nothing kept.
    """
    body = await request.body()
    name = request.headers.get("x-filename", "inbound").replace("/", "_")[:120]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    keep_copy(settings, "received", f"{stamp}-{name}.x12", body)
    try:
        results = await ingest(
            body,
            source=request.headers.get("x-filename", "api"),
            settings=settings,
            engine=engine,
            client=client,
            actor=principal.actor(),
        )
    except X12Error as exc:
        where = f"segment {exc.position.index}" if exc.position else "file"
        raise error(422, str(exc), rule="x12", field=f"{where} ({exc.segment_id or '?'})") from exc
    outcomes = {r.outcome for r in results}
    if "quarantined" in outcomes:
        response.status_code = 422
    elif outcomes == {"duplicate"}:
        response.status_code = 409
    return results


@router.post(
    "/x12/decrypt",
    responses={200: {"content": {"text/plain": {}}, "description": "The file in plain text"}},
)
async def x12_decrypt(request: Request, ring: KeyRingDep) -> PlainTextResponse:
    """Decrypt a kept X12 file (sent, received, quarantined) for a person allowed to read it.

    The body is the encrypted file as stored; the answer is its plain text. Each use is
    in the audit log (``claimflow x12 show FILE`` calls this).
    """
    try:
        plain = decrypt_bytes(ring, await request.body())
    except (DecryptionError, UnknownKeyError) as exc:
        raise error(422, str(exc), rule="not_decryptable", field="body") from exc
    return PlainTextResponse(plain.decode(errors="replace"))


@router.get("/payer-messages/unmatched")
async def unmatched(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[inbound_store.UnmatchedPayerMessage]:
    """Payments and statuses that name no open claim: the queue a person works."""
    return inbound_store.unmatched(engine, limit=limit)


@router.get("/inbound-files/{file_id}")
async def inbound_file(file_id: str, engine: EngineDep) -> inbound_store.InboundFile:
    found = inbound_store.get_file(engine, file_id)
    if found is None:
        raise error(404, f"no inbound file {file_id}", field="file_id")
    return found
