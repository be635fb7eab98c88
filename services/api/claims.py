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

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from ulid import ULID

from claims.model import ULID_PATTERN, Claim
from claims.payer_terms import inherit_terms
from claims.status import ClaimStatus
from events.contract import Actor
from services import patient_ledger, payers, readmodel
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.auth import audit_log as audit
from services.auth.policy import AUTHORIZED, Authorized
from services.crypto.keyring import KeyRing
from services.settings import Settings
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimView, ClaimWorkflowInput, workflow_id

ClaimIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="claimflow claim id (ULID)")]

router = APIRouter(tags=["claims"], dependencies=AUTHORIZED)


class Accepted(BaseModel):
    claim_id: str
    workflow_id: str
    status_url: str
    # What intake filled in that the sender should know (e.g. a FHIR Claim without an
    # identifier: its resource id became the account number).
    notes: list[str] = []


async def start_claim(
    claim: Claim, client: Client, settings: Settings, engine: Engine, actor: Actor | None = None
) -> Accepted:
    """Start the claim's workflow; the same claim_id twice gives the same workflow.

    The claim inherits its payer's terms from the registry (terms it sets itself win, and
    each override is recorded with the claim as an intake finding)."""
    claim_id = claim.claim_id or str(ULID())
    wf_id = workflow_id(claim_id)
    claim, findings = inherit_terms(claim, payers.get(engine, claim.payer.payer_id))
    # The patient key and the sealed statement party, made here where the PHI is in memory.
    patient_ledger.record_claim(engine, settings, KeyRing.for_settings(settings), claim_id, claim)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            ClaimWorkflow.run,
            ClaimWorkflowInput(
                claim=claim.with_id(claim_id),
                intake_findings=findings,
                actor=actor,
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
    """The same fold over the projected events that the workflow's query makes (a moment
    behind the workflow, and without its live state: the follow-up timer and the like)."""
    view = readmodel.view_of(engine, claim_id)
    return None if view is None else view.model_copy(update={"source": "read_model"})


@router.post("/claims", status_code=202)
async def submit(
    claim: Claim,
    client: TemporalDep,
    settings: SettingsDep,
    engine: EngineDep,
    principal: Authorized,
) -> Accepted:
    """Start the claim's workflow; the same claim_id twice gives the same workflow."""
    return await start_claim(claim, client, settings, engine, principal.actor())


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
            raise error(503, f"claim {claim_id} cannot be read right now; retry")
        raise error(404, f"no claim {claim_id}", field="claim_id")
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


@router.get("/claims/{claim_id}/ledger")
async def claim_ledger(claim_id: ClaimIdPath, engine: EngineDep) -> list[readmodel.LedgerRecord]:
    """The claim's ledger as projected: every entry, in booking order."""
    return readmodel.ledger_of(engine, claim_id)


@router.get("/claims/{claim_id}/events")
async def claim_events(claim_id: ClaimIdPath, engine: EngineDep) -> list[dict[str, Any]]:
    return [json.loads(e.payload) for e in readmodel.claim_events(engine, claim_id)]


@router.get("/claims/{claim_id}/audit")
async def claim_audit(claim_id: ClaimIdPath, engine: EngineDep) -> list[audit.AuditEntry]:
    """Every write request made on this claim, oldest first: who, when, what, outcome."""
    return audit.for_claim(engine, claim_id)
