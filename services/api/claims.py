"""Claims: intake, one claim's view, the list and a claim's events.

Reads of one claim ask its workflow (always current) and fall back to the read model once
the workflow is gone, or when it has not answered within ``api_query_timeout_seconds`` (no
worker polling, Temporal down): a biller then gets the last projected state at once rather
than a spinner. The answer says which source it came from (``source`` and the
``X-Claimflow-Source`` header). Lists come from the read model, which the projector keeps a
moment behind the workflows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from ulid import ULID

from claims.model import ULID_PATTERN, Claim
from claims.status import ClaimStatus
from services import readmodel
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.settings import Settings
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimView, ClaimWorkflowInput, StageEntry, workflow_id

ClaimIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="claimflow claim id (ULID)")]

router = APIRouter(tags=["claims"])


class Accepted(BaseModel):
    claim_id: str
    workflow_id: str
    status_url: str


async def start_claim(claim: Claim, client: Client, settings: Settings) -> Accepted:
    """Start the claim's workflow; the same claim_id twice gives the same workflow."""
    claim_id = claim.claim_id or str(ULID())
    wf_id = workflow_id(claim_id)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            ClaimWorkflow.run,
            ClaimWorkflowInput(
                claim=claim.with_id(claim_id),
                stall_alert_after_seconds=settings.stall_alert_after_seconds,
            ),
            id=wf_id,
            task_queue=settings.task_queue,
            # A running duplicate joins the existing run; a finished one is not redone.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    return Accepted(claim_id=claim_id, workflow_id=wf_id, status_url=f"/claims/{claim_id}")


def view_from_read_model(engine: Engine, claim_id: str) -> ClaimView | None:
    row = readmodel.get_claim(engine, claim_id)
    if row is None:
        return None
    history = [
        StageEntry(seq=e.seq, status=ClaimStatus(e.status), at=e.time)
        for e in readmodel.claim_events(engine, claim_id)
    ]
    return ClaimView(
        claim_id=row.claim_id,
        status=ClaimStatus(row.status),
        seq=row.last_seq,
        payer_id=row.payer_id,
        total_charge=row.total_charge,
        paid_amount=row.paid_amount,
        patient_responsibility=row.patient_responsibility,
        outstanding_amount=(
            row.outstanding_amount if row.outstanding_amount is not None else row.total_charge
        ),
        payer_claim_control_number=row.payer_claim_control_number,
        appeal_level=row.appeal_level,
        denial_reasons=tuple(r for r in row.denial_reasons.split(",") if r),
        history=history,
        source="read_model",
    )


@router.post("/claims", status_code=202)
async def submit(claim: Claim, client: TemporalDep, settings: SettingsDep) -> Accepted:
    """Start the claim's workflow; the same claim_id twice gives the same workflow."""
    return await start_claim(claim, client, settings)


SOURCE_HEADER = "X-Claimflow-Source"


@router.get("/claims/{claim_id}")
async def get_claim(
    claim_id: ClaimIdPath,
    response: Response,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> ClaimView:
    """Ask the workflow; if it is gone or does not answer in time, the read model."""
    try:
        handle = client.get_workflow_handle(workflow_id(claim_id))
        view: ClaimView = await handle.query(
            ClaimWorkflow.state,
            rpc_timeout=dt.timedelta(seconds=settings.api_query_timeout_seconds),
        )
        response.headers[SOURCE_HEADER] = view.source
        return view
    except RPCError as exc:
        unavailable = exc.status is not RPCStatusCode.NOT_FOUND
    except WorkflowQueryFailedError:  # e.g. a workflow task that keeps failing
        unavailable = True
    found = await asyncio.to_thread(view_from_read_model, engine, claim_id)
    if found is None:
        if unavailable:
            raise HTTPException(503, f"claim {claim_id} cannot be read right now; retry")
        raise HTTPException(404, f"no claim {claim_id}")
    response.headers[SOURCE_HEADER] = found.source
    return found


@router.get("/claims")
async def list_claims(
    engine: EngineDep,
    status: ClaimStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[readmodel.ClaimRecord]:
    return readmodel.list_claims(engine, status=status, limit=limit, offset=offset)


@router.get("/claims/{claim_id}/events")
async def claim_events(claim_id: ClaimIdPath, engine: EngineDep) -> list[dict[str, Any]]:
    return [json.loads(e.payload) for e in readmodel.claim_events(engine, claim_id)]
