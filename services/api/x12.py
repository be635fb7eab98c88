"""Payer files: X12 in (835, 277CA, 999), what became of a file, payments, unmatched."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel

from services import inbound_store, payments
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.inbound import Refused, UnitResult, ingest

router = APIRouter(tags=["payer files"])


@router.post("/x12/inbound", status_code=202)
async def x12_inbound(
    request: Request,
    response: Response,
    settings: SettingsDep,
    engine: EngineDep,
    client: TemporalDep,
) -> list[UnitResult]:
    """Take a payer's 835, 277CA or 999 (the raw X12 as the request body).

    Every file is stored first. 202: every unit is being posted. 409: every unit was taken
    before. 422: a unit did not balance and was quarantined whole (its report is in the
    answer), or the file could not be read (the detail names the segment and offset, and
    the stored file's id).
    """
    body = await request.body()
    try:
        results = await ingest(
            body,
            source=request.headers.get("x-filename", "api"),
            settings=settings,
            engine=engine,
            client=client,
        )
    except Refused as exc:
        error = exc.error
        where = f"segment {error.position.index}" if error.position else "file"
        raise HTTPException(
            422,
            [
                {
                    "field": f"{where} ({error.segment_id or '?'})",
                    "rule": "x12",
                    "msg": str(error),
                    "file_id": exc.file_id,
                }
            ],
        ) from exc
    outcomes = {r.outcome for r in results}
    if "quarantined" in outcomes:
        response.status_code = 422
    elif outcomes == {"duplicate"}:
        response.status_code = 409
    return results


@router.get("/payer-messages/unmatched")
async def unmatched(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[inbound_store.UnmatchedPayerMessage]:
    """Payments and statuses that name no open claim: the queue a person works."""
    return inbound_store.unmatched(engine, limit=limit)


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
        raise HTTPException(404, f"no inbound file {file_id}")
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
        raise HTTPException(404, f"no payment {payment_id}")
    return found
