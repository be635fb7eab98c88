"""Human actions on a claim: each route sends one workflow update and translates its answer.

The workflow's validator is the authority (it refuses before anything is recorded); these
routes only turn its refusals into 409s that say why. With ``?wait=true`` a route answers
once the claim has come to rest after the action (a status where it waits for someone:
``claims.status.RESTING``), e.g. a correction answers SUBMITTED, or SCRUB_FAILED again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from claims.status import ACTIONS, RESTING, Action, ClaimStatus, TransitionError, check_transition
from services.api.claims import ClaimIdPath
from services.api.deps import AttachmentsDep, SettingsDep, TemporalDep
from services.attachments import AttachmentStore
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

router = APIRouter(tags=["actions"])

R = TypeVar("R", bound=BaseModel)

WaitQuery = Annotated[
    bool, Query(description="Answer once the claim has come to rest after the action.")
]


class Settled(BaseModel):
    """The answer to an action sent with ``?wait=true``."""

    claim_id: str
    status: ClaimStatus
    seq: int
    # False: the claim was still moving when the wait ran out (``status`` is where it was).
    settled: bool
    # The action's own answer, as without ``wait``.
    result: dict[str, Any]


async def run_update(
    client: Client, claim_id: str, update: Any, request: BaseModel, action: Action
) -> Any:
    """Send a human action to the claim's workflow; turn refusals into 409s.

    Updates reach running workflows only: a finished claim still answers queries, so the
    transition table says why it was refused.
    """
    handle = client.get_workflow_handle(workflow_id(claim_id))
    try:
        return await handle.execute_update(update, request)
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


async def settle(client: Client, claim_id: str, after_seq: int, timeout_s: float) -> Settled:
    """Poll the claim until it rests at a seq beyond ``after_seq`` (or the time runs out)."""
    handle = client.get_workflow_handle(workflow_id(claim_id))
    deadline = time.monotonic() + timeout_s
    pause = 0.05
    while True:
        view: ClaimView = await handle.query(ClaimWorkflow.state)
        rested = view.status in RESTING and view.seq > after_seq
        if rested or time.monotonic() >= deadline:
            return Settled(
                claim_id=claim_id, status=view.status, seq=view.seq, settled=rested, result={}
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


async def answer(
    client: Client, claim_id: str, result: R, *, wait: bool, timeout_s: float
) -> R | Settled:
    """The action's answer, or with ``wait``, the claim's next resting status."""
    if not wait:
        return result
    if isinstance(result, CorrectionAccepted):
        after = result.accepted_at_seq
    elif isinstance(result, ActionResult) and result.status not in RESTING:
        after = result.seq
    else:  # the action's own status is a resting one (APPEALED, VOIDED, WRITTEN_OFF)
        after = -1
    settled = await settle(client, claim_id, after, timeout_s)
    return settled.model_copy(update={"result": result.model_dump(mode="json")})


def check_attachments(store: AttachmentStore, claim_id: str, request: AppealRequest) -> None:
    """An appeal may carry only attachments uploaded for this claim (by id)."""
    unknown = store.unknown_for_claim(claim_id, request.attachments)
    if unknown:
        raise HTTPException(
            422,
            [
                {
                    "field": f"attachments.{i}",
                    "rule": "unknown_attachment",
                    "msg": f"{request.attachments[i]!r} is not an attachment of claim "
                    f"{claim_id}; upload it first (POST /claims/{claim_id}/attachments)",
                }
                for i in unknown
            ],
        )


async def send_appeal(
    client: Client, store: AttachmentStore, claim_id: str, request: AppealRequest
) -> AppealAccepted:
    check_attachments(store, claim_id, request)
    result: AppealAccepted = await run_update(
        client, claim_id, ClaimWorkflow.appeal, request, Action.APPEAL
    )
    return result


@router.post("/claims/{claim_id}/appeal")
async def appeal(
    claim_id: ClaimIdPath,
    request: AppealRequest,
    client: TemporalDep,
    store: AttachmentsDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> AppealAccepted | Settled:
    """Appeal a DENIED or PARTIALLY_PAID claim (billers). ``attachments`` are attachment ids."""
    result = await send_appeal(client, store, claim_id, request)
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/recode")
async def recode(
    claim_id: ClaimIdPath,
    request: CorrectionRequest,
    client: TemporalDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> CorrectionAccepted | Settled:
    """Send a claim in CODING_REVIEW back through coding with corrected codes (coders)."""
    result: CorrectionAccepted = await run_update(
        client, claim_id, ClaimWorkflow.recode, request, Action.RECODE
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/correct")
async def correct(
    claim_id: ClaimIdPath,
    request: CorrectionRequest,
    client: TemporalDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> CorrectionAccepted | Settled:
    """Send a claim in SCRUB_FAILED or REJECTED back through coding and scrubbing (billers)."""
    result: CorrectionAccepted = await run_update(
        client, claim_id, ClaimWorkflow.correct, request, Action.CORRECT
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/void")
async def void(
    claim_id: ClaimIdPath,
    request: VoidRequest,
    client: TemporalDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Void a claim the payer has (frequency 8 with REF*F8) (billers)."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.void, request, Action.VOID
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/replace")
async def replace(
    claim_id: ClaimIdPath,
    request: CorrectionRequest,
    client: TemporalDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Replace a claim the payer has (frequency 7 with REF*F8); 409 lists its errors."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.replace, request, Action.REPLACE
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/write-off")
async def write_off(
    claim_id: ClaimIdPath,
    request: WriteOffRequest,
    client: TemporalDep,
    settings: SettingsDep,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Write off what the claim still owes, with a reason (billers)."""
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.write_off, request, Action.WRITE_OFF
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)
