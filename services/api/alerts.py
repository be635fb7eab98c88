"""Alerts (follow-ups due, appeal deadlines near, unexpected payer messages): list, acknowledge.

Read from the projector's table of ``claims.alerts.v1``; acknowledging marks one seen (the
first acknowledgment stands).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from claims.model import ULID_PATTERN
from events.contract import AlertKind
from services import alerts_store
from services.api.deps import EngineDep, Offset
from services.auth.audit import AUDIT_CLAIM_KEY
from services.auth.policy import AUTHORIZED, Authorized

router = APIRouter(tags=["alerts"], dependencies=AUTHORIZED)


class AlertOut(BaseModel):
    alert_id: str
    claim_id: str
    kind: AlertKind
    status: str
    payer_id: str
    due: dt.datetime | None
    days_left: int | None
    message: str
    amount: Decimal | None
    actor: str | None
    time: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    acknowledge_note: str | None

    @classmethod
    def of(cls, row: alerts_store.AlertRecord) -> AlertOut:
        return cls.model_validate(row.model_dump())


class Acknowledgment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


@router.get("/alerts")
async def list_alerts(
    engine: EngineDep,
    response: Response,
    kind: AlertKind | None = None,
    claim_id: Annotated[str | None, Query(pattern=ULID_PATTERN)] = None,
    include_acknowledged: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[AlertOut]:
    """Alerts newest first; acknowledged ones only with ``include_acknowledged``
    (``X-Total-Count`` says how many)."""
    rows, total = alerts_store.list_alerts(
        engine,
        kind=kind,
        claim_id=claim_id,
        include_acknowledged=include_acknowledged,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return [AlertOut.of(r) for r in rows]


def acknowledge(engine: EngineDep, alert_id: str, note: str | None, by: str) -> AlertOut:
    row = alerts_store.acknowledge(engine, alert_id, by=by, note=note)
    if row is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return AlertOut.of(row)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_alert(
    alert_id: Annotated[str, Path(max_length=80)],
    engine: EngineDep,
    principal: Authorized,
    request: Request,
    body: Acknowledgment | None = None,
) -> AlertOut:
    """Mark the alert seen (who and when are kept); acknowledging it again changes nothing."""
    found = await asyncio.to_thread(alerts_store.get_alert, engine, alert_id)
    if found is not None:
        request.scope[AUDIT_CLAIM_KEY] = found.claim_id
    return acknowledge(engine, alert_id, body.note if body else None, principal.name)
