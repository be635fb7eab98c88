"""Human actions on a claim: each route sends one workflow update and translates its answer.

The workflow's validator is the authority (it refuses before anything is recorded); these
routes only turn its refusals into 409s that say why.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException
from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from claims.status import ACTIONS, Action, TransitionError, check_transition
from services.api.claims import ClaimIdPath
from services.api.deps import TemporalDep
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    ActionResult,
    AppealAccepted,
    AppealRequest,
    ClaimView,
    CorrectionAccepted,
    CorrectionRequest,
    VoidRequest,
    WriteOffRequest,
    workflow_id,
)

# The request's Idempotency-Key, for run_update (set by the router's dependency).
_idempotency_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)


async def _capture_idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Repeat a request with the same key to have it applied once: a "
            "retry after a timeout gets the first answer instead of a second action.",
        ),
    ] = None,
) -> None:
    _idempotency_key.set(key)


router = APIRouter(tags=["actions"], dependencies=[Depends(_capture_idempotency_key)])


async def run_update(
    client: Client, claim_id: str, update: Any, request: BaseModel, action: Action
) -> Any:
    """Send a human action to the claim's workflow; turn refusals into 409s.

    Updates reach running workflows only: a finished claim still answers queries, so the
    transition table says why it was refused. An Idempotency-Key becomes the update's id,
    which Temporal de-duplicates: the same key again returns the first outcome.
    """
    handle = client.get_workflow_handle(workflow_id(claim_id))
    key = _idempotency_key.get()
    try:
        return await handle.execute_update(update, request, id=f"{action}:{key}" if key else None)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise HTTPException(409, message) from exc
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        try:
            view: ClaimView = await handle.query(ClaimWorkflow.state)
        except RPCError:
            raise HTTPException(404, f"no claim {claim_id}") from exc
        try:
            check_transition(view.status, ACTIONS[action][0])
        except TransitionError as refusal:
            raise HTTPException(409, f"{action} refused: {refusal}") from exc
        raise HTTPException(409, f"claim {claim_id} is closed") from exc


@router.post("/claims/{claim_id}/appeal")
async def appeal(
    claim_id: ClaimIdPath, request: AppealRequest, client: TemporalDep
) -> AppealAccepted:
    """Appeal a DENIED or PARTIALLY_PAID claim (billers)."""
    result: AppealAccepted = await run_update(
        client, claim_id, ClaimWorkflow.appeal, request, Action.APPEAL
    )
    return result


@router.post("/claims/{claim_id}/recode")
async def recode(
    claim_id: ClaimIdPath, request: CorrectionRequest, client: TemporalDep
) -> CorrectionAccepted:
    """Send a claim in CODING_REVIEW back through coding with corrected codes (coders)."""
    result: CorrectionAccepted = await run_update(
        client, claim_id, ClaimWorkflow.recode, request, Action.RECODE
    )
    return result


@router.post("/claims/{claim_id}/correct")
async def correct(
    claim_id: ClaimIdPath, request: CorrectionRequest, client: TemporalDep
) -> CorrectionAccepted:
    """Send a claim in SCRUB_FAILED or REJECTED back through coding and scrubbing (billers)."""
    result: CorrectionAccepted = await run_update(
        client, claim_id, ClaimWorkflow.correct, request, Action.CORRECT
    )
    return result


@router.post("/claims/{claim_id}/void")
async def void(claim_id: ClaimIdPath, request: VoidRequest, client: TemporalDep) -> ActionResult:
    """Void a claim the payer has (frequency 8 with REF*F8) (billers)."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.void, request, Action.VOID
    )
    return result


@router.post("/claims/{claim_id}/replace")
async def replace(
    claim_id: ClaimIdPath, request: CorrectionRequest, client: TemporalDep
) -> ActionResult:
    """Replace a claim the payer has (frequency 7 with REF*F8); 409 lists its errors."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.replace, request, Action.REPLACE
    )
    return result


@router.post("/claims/{claim_id}/write-off")
async def write_off(
    claim_id: ClaimIdPath, request: WriteOffRequest, client: TemporalDep
) -> ActionResult:
    """Write off what the claim still owes, with a reason (billers)."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.write_off, request, Action.WRITE_OFF
    )
    return result
