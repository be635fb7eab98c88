"""Human actions on a claim: each route sends one workflow update and translates its answer.

The workflow's validator is the authority (it refuses before anything is recorded); these
routes only turn its refusals into 409s that say why. Each route builds the update's input
from the client's body plus what only the server knows: the actor (from the credential, so
nobody can act in another's name) and, for write-offs, the approval threshold (a setting).
With ``?wait=true`` a route answers once the claim has come to rest after the action (a
status where it waits for someone: ``claims.status.RESTING``), e.g. a correction answers
SUBMITTED, or SCRUB_FAILED again. The console's forms call the same functions.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from claims.payer_terms import inherit_terms
from claims.status import ACTIONS, RESTING, Action, ClaimStatus, TransitionError, check_transition
from events.contract import Actor
from services import payers
from services.api.claims import ClaimIdPath
from services.api.deps import AttachmentsDep, EngineDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.attachments import AttachmentStore
from services.auth.policy import AUTHORIZED, Authorized
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    ActionResult,
    AppealAccepted,
    AppealBody,
    AppealRequest,
    ClaimView,
    CorrectionAccepted,
    CorrectionBody,
    CorrectionRequest,
    VoidBody,
    VoidRequest,
    WriteOffBody,
    WriteOffDecision,
    WriteOffDecisionBody,
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


router = APIRouter(tags=["actions"], dependencies=[*AUTHORIZED, Depends(_capture_idempotency_key)])

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
    transition table says why it was refused. An Idempotency-Key becomes the update's id,
    which Temporal de-duplicates: the same key again returns the first outcome.
    """
    handle = client.get_workflow_handle(workflow_id(claim_id))
    key = _idempotency_key.get()
    try:
        return await handle.execute_update(update, request, id=f"{action}:{key}" if key else None)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            raise error(409, cause.message, rule=cause.type or "refused") from exc
        raise error(409, str(cause)) from exc
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        try:
            view: ClaimView = await handle.query(ClaimWorkflow.state)
        except RPCError:
            raise error(404, f"no claim {claim_id}", field="claim_id") from exc
        try:
            check_transition(view.status, ACTIONS[action][0])
        except TransitionError as refusal:
            raise error(409, f"{action} refused: {refusal}", rule="transition") from exc
        raise error(409, f"claim {claim_id} is closed", rule="closed") from exc


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


def correction(body: CorrectionBody, actor: Actor, engine: Engine) -> CorrectionRequest:
    """The update's input: who asked, and the corrected claim with its payer's registry
    terms, as a new claim gets them (terms it sets itself still win), so a correction
    cannot reset its deadlines to the defaults."""
    claim, _ = inherit_terms(body.claim, payers.get(engine, body.claim.payer.payer_id))
    return CorrectionRequest(claim=claim, note=body.note, actor=actor)


@router.post("/claims/{claim_id}/appeal")
async def appeal(
    claim_id: ClaimIdPath,
    body: AppealBody,
    client: TemporalDep,
    store: AttachmentsDep,
    settings: SettingsDep,
    principal: Authorized,
    wait: WaitQuery = False,
) -> AppealAccepted | Settled:
    """Appeal a DENIED or PARTIALLY_PAID claim (billers). ``attachments`` are attachment ids
    (``POST /claims/{claim_id}/attachments``)."""
    request = AppealRequest(**body.model_dump(), actor=principal.actor())
    result = await send_appeal(client, store, claim_id, request)
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/recode")
async def recode(
    claim_id: ClaimIdPath,
    body: CorrectionBody,
    client: TemporalDep,
    settings: SettingsDep,
    principal: Authorized,
    engine: EngineDep,
    wait: WaitQuery = False,
) -> CorrectionAccepted | Settled:
    """Send a claim in CODING_REVIEW back through coding with corrected codes (coders)."""
    result: CorrectionAccepted = await run_update(
        client,
        claim_id,
        ClaimWorkflow.recode,
        correction(body, principal.actor(), engine),
        Action.RECODE,
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/correct")
async def correct(
    claim_id: ClaimIdPath,
    body: CorrectionBody,
    client: TemporalDep,
    settings: SettingsDep,
    principal: Authorized,
    engine: EngineDep,
    wait: WaitQuery = False,
) -> CorrectionAccepted | Settled:
    """Send a claim in SCRUB_FAILED, REJECTED or ELIGIBILITY_HOLD back through coding and
    scrubbing (billers); a held claim's coverage is checked again before it goes out."""
    result: CorrectionAccepted = await run_update(
        client,
        claim_id,
        ClaimWorkflow.correct,
        correction(body, principal.actor(), engine),
        Action.CORRECT,
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/void")
async def void(
    claim_id: ClaimIdPath,
    body: VoidBody,
    client: TemporalDep,
    settings: SettingsDep,
    principal: Authorized,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Void a claim the payer has (frequency 8 with REF*F8) (billers)."""
    request = VoidRequest(reason=body.reason, actor=principal.actor())
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.void, request, Action.VOID
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/replace")
async def replace(
    claim_id: ClaimIdPath,
    body: CorrectionBody,
    client: TemporalDep,
    settings: SettingsDep,
    principal: Authorized,
    engine: EngineDep,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Replace a claim the payer has (frequency 7 with REF*F8); 409 lists its errors."""
    result: ActionResult = await run_update(
        client,
        claim_id,
        ClaimWorkflow.replace,
        correction(body, principal.actor(), engine),
        Action.REPLACE,
    )
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post(
    "/claims/{claim_id}/write-off",
    responses={202: {"model": ActionResult, "description": "Waits for a supervisor"}},
)
async def write_off(
    claim_id: ClaimIdPath,
    body: WriteOffBody,
    response: Response,
    client: TemporalDep,
    settings: SettingsDep,
    principal: Authorized,
    wait: WaitQuery = False,
) -> ActionResult | Settled:
    """Write off what the claim still owes, with a reason (billers, supervisors).

    200: written off. 202: above the threshold (setting ``write_off_threshold``) and not
    asked by a supervisor, so it waits for one; the claim's view shows the request (and
    ``wait`` does not wait for the supervisor).
    """
    request = WriteOffRequest(
        reason=body.reason,
        note=body.note,
        actor=principal.actor(),
        approval_threshold=settings.write_off_threshold,
    )
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.write_off, request, Action.WRITE_OFF
    )
    if result.pending_write_off is not None:
        response.status_code = 202
        return result
    return await answer(client, claim_id, result, wait=wait, timeout_s=settings.action_wait_seconds)


@router.post("/claims/{claim_id}/write-off/approve")
async def approve_write_off(
    claim_id: ClaimIdPath, body: WriteOffDecisionBody, client: TemporalDep, principal: Authorized
) -> ActionResult:
    """Approve the write-off waiting on this claim: it is WRITTEN_OFF now (supervisors)."""
    decision = WriteOffDecision(note=body.note, actor=principal.actor())
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.approve_write_off, decision, Action.WRITE_OFF
    )
    return result


@router.post("/claims/{claim_id}/write-off/reject")
async def reject_write_off(
    claim_id: ClaimIdPath, body: WriteOffDecisionBody, client: TemporalDep, principal: Authorized
) -> ActionResult:
    """Reject the write-off waiting on this claim; the claim stays as it is (supervisors)."""
    decision = WriteOffDecision(note=body.note, actor=principal.actor())
    result: ActionResult = await run_update(
        client, claim_id, ClaimWorkflow.reject_write_off, decision, Action.WRITE_OFF
    )
    return result
