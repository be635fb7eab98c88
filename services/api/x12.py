"""Payer files: X12 in (835, 277CA, 999), what became of a file, payments, and reading an
encrypted copy.

Messages that matched no claim are worked through ``services.api.payer_messages``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from services import inbound_store, payments
from services.api.deps import EngineDep, KeyRingDep, SettingsDep, TemporalDep
from services.api.errors import ErrorBody, error
from services.auth.policy import AUTHORIZED, Authorized
from services.crypto.aead import DecryptionError
from services.crypto.files import decrypt_bytes
from services.crypto.keyring import UnknownKeyError
from services.inbound import Refused, UnitResult, ingest

router = APIRouter(tags=["payer files"], dependencies=AUTHORIZED)


UNITS_OR_ERROR: dict[int | str, dict[str, Any]] = {
    409: {"model": list[UnitResult], "description": "Every unit was taken before"},
    422: {
        "model": list[UnitResult] | ErrorBody,
        "description": "A unit was quarantined (the units), or the file is unreadable (why)",
    },
}


@router.post("/x12/inbound", status_code=202, responses=UNITS_OR_ERROR)
async def x12_inbound(
    request: Request,
    response: Response,
    settings: SettingsDep,
    engine: EngineDep,
    client: TemporalDep,
    principal: Authorized,
) -> list[UnitResult]:
    """Take a payer's 835, 277CA or 999 (the raw X12 as the request body).

    Every file is stored first. 202: every unit is being posted. 409: every unit was taken
    before. 422: a unit did not balance and was quarantined whole (its report is in the
    answer), or the file could not be read (the detail names the segment and offset, and
    the stored file's id). 413: larger than
    ``max_upload_bytes``; nothing kept.
    """
    body = await request.body()
    try:
        results = await ingest(
            body,
            source=request.headers.get("x-filename", "api"),
            settings=settings,
            engine=engine,
            client=client,
            actor=principal.actor(),
        )
    except Refused as exc:
        refusal = exc.error
        where = f"segment {refusal.position.index}" if refusal.position else "file"
        raise error(
            422,
            f"{refusal} (the file is kept as {exc.file_id})",
            rule="x12",
            field=f"{where} ({refusal.segment_id or '?'})",
        ) from exc
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


@router.get("/inbound-files")
async def inbound_files(
    engine: EngineDep,
    status: Literal["received", "taken", "refused"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[inbound_store.InboundFile]:
    """Received payer files, newest first: ``received`` ones are still being posted."""
    return inbound_store.list_files(engine, status=status, limit=limit)


class InboundFileView(BaseModel):
    file: inbound_store.InboundFile
    units: list[inbound_store.InboundUnitRecord]


@router.get("/inbound-files/{file_id}")
async def inbound_file(file_id: str, engine: EngineDep) -> InboundFileView:
    """A received file: received, taken or refused; its units and what became of each."""
    found = inbound_store.get_file(engine, file_id)
    if found is None:
        raise error(404, f"no inbound file {file_id}", field="file_id")
    return InboundFileView(file=found, units=inbound_store.units_of(engine, file_id))


@router.get("/payments")
async def find_payments(
    engine: EngineDep, trace_number: str | None = None, payer: str | None = None
) -> list[payments.PaymentRecord]:
    """Payments (checks, EFTs) by TRN trace number and/or payer id."""
    return payments.find_payments(engine, trace_number=trace_number, payer=payer)


@router.get("/payments/{payment_id}")
async def payment(payment_id: str, engine: EngineDep) -> payments.PaymentView:
    """One payment reconciled: its claim payments, its PLB adjustments, and whether
    sum(CLP04) - sum(PLB) = BPR02 once every claim payment is posted."""
    found = payments.get_payment(engine, payment_id)
    if found is None:
        raise error(404, f"no payment {payment_id}", field="payment_id")
    return found
