"""Attachments: upload a file for a claim (stored encrypted), list a claim's, download one.

An appeal names its attachments by the ids these uploads return; the payer gateway sends
their bytes with the appeal packet.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, UploadFile
from fastapi.responses import Response
from sqlalchemy import Engine
from temporalio.client import Client

from services import readmodel
from services.api.claims import ClaimIdPath, workflow_exists
from services.api.deps import AttachmentsDep, EngineDep, TemporalDep
from services.api.errors import error
from services.attachments import AttachmentError, AttachmentInfo, AttachmentStore
from services.auth.policy import AUTHORIZED, Authorized

router = APIRouter(tags=["attachments"], dependencies=AUTHORIZED)


async def claim_known(engine: Engine, client: Client, claim_id: str) -> bool:
    return readmodel.get_claim(engine, claim_id) is not None or await workflow_exists(
        client, claim_id
    )


async def upload(
    store: AttachmentStore, claim_id: str, file: UploadFile, data: bytes, by: str
) -> AttachmentInfo:
    try:
        return store.save(
            claim_id=claim_id,
            name=file.filename or "",
            content_type=file.content_type or "application/octet-stream",
            data=data,
            uploaded_by=by,
        )
    except AttachmentError as exc:
        raise error(422, str(exc), field=exc.field, rule=exc.rule) from exc


@router.post("/claims/{claim_id}/attachments", status_code=201)
async def upload_attachment(
    claim_id: ClaimIdPath,
    file: UploadFile,
    store: AttachmentsDep,
    engine: EngineDep,
    client: TemporalDep,
    principal: Authorized,
) -> AttachmentInfo:
    """Upload one file (multipart field ``file``); the answer's ``attachment_id`` goes in an
    appeal's ``attachments``. 404 for an unknown claim, 422 for an empty or too large file."""
    if not await claim_known(engine, client, claim_id):
        raise error(404, f"no claim {claim_id}", field="claim_id")
    data = await file.read(store.max_bytes + 1)
    return await upload(store, claim_id, file, data, principal.name)


@router.get("/claims/{claim_id}/attachments")
async def claim_attachments(
    claim_id: ClaimIdPath, store: AttachmentsDep, engine: EngineDep, client: TemporalDep
) -> list[AttachmentInfo]:
    found = store.for_claim(claim_id)
    if not found and not await claim_known(engine, client, claim_id):
        raise error(404, f"no claim {claim_id}", field="claim_id")
    return found


@router.get("/attachments/{attachment_id}")
async def download(
    attachment_id: Annotated[str, Path(pattern=r"^att_[0-9A-HJKMNP-TV-Z]{26}$")],
    store: AttachmentsDep,
) -> Response:
    """The file's bytes, decrypted, as uploaded."""
    try:
        info, data = store.read(attachment_id)
    except KeyError as exc:
        raise error(404, f"no attachment {attachment_id}", field="attachment_id") from exc
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in info.name)
    return Response(
        data,
        media_type=info.content_type,
        headers={"content-disposition": f'attachment; filename="{safe}"'},
    )
