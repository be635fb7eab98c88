"""Payer files: X12 in (835, 277CA, 999) and what became of a file.

Messages that matched no claim are worked through ``services.api.payer_messages``.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request, Response

from claims.x12.errors import X12Error
from services import inbound_store
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.inbound import UnitResult, ingest
from services.x12_files import keep_copy

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

    202: every unit is being posted. 409: every unit was taken before. 422: a unit did
    not balance and was quarantined whole, or the file could not be read (the detail
    names the segment and offset).
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
        )
    except X12Error as exc:
        where = f"segment {exc.position.index}" if exc.position else "file"
        raise HTTPException(
            422,
            [{"field": f"{where} ({exc.segment_id or '?'})", "rule": "x12", "msg": str(exc)}],
        ) from exc
    outcomes = {r.outcome for r in results}
    if "quarantined" in outcomes:
        response.status_code = 422
    elif outcomes == {"duplicate"}:
        response.status_code = 409
    return results


@router.get("/inbound-files/{file_id}")
async def inbound_file(file_id: str, engine: EngineDep) -> inbound_store.InboundFile:
    found = inbound_store.get_file(engine, file_id)
    if found is None:
        raise HTTPException(404, f"no inbound file {file_id}")
    return found
