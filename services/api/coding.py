"""The code editor behind recode, correct and replace: edit a claim's codes, not its file.

A coder fixing a diagnosis should not need the whole claim JSON (nor see the patient's
details): ``GET /claims/{id}/codes`` gives the claim's codes and lines, ``POST`` takes the
edited codes, applies them to the claim as the workflow has it, and sends the whole corrected
claim as the chosen action. The claim itself (with PHI) is read from the workflow and only
held in this process's memory.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from claims.model import Claim
from claims.status import Action, ClaimStatus
from services.api.actions import Settled, WaitQuery, answer, correction, run_update
from services.api.claims import ClaimIdPath
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.auth.policy import AUTHORIZED, Authorized, require
from services.auth.principal import Principal
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimView, CorrectionBody, Note, workflow_id

router = APIRouter(tags=["actions"], dependencies=AUTHORIZED)

UPDATES = {
    Action.RECODE: ClaimWorkflow.recode,
    Action.CORRECT: ClaimWorkflow.correct,
    Action.REPLACE: ClaimWorkflow.replace,
}


class LineCodes(BaseModel):
    """One service line's codes and amounts (what a coder may change)."""

    model_config = ConfigDict(extra="forbid")

    procedure_code: str
    modifiers: list[str] = Field(default_factory=list)
    units: Decimal = Decimal(1)
    diagnosis_pointers: list[int]
    charge: Decimal
    service_date_from: dt.date | None = None


class CodingSheet(BaseModel):
    claim_id: str
    status: ClaimStatus
    diagnoses: list[str]
    lines: list[LineCodes]
    total_charge: Decimal
    prior_authorization: str | None = None


class CodeEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["recode", "correct", "replace"]
    diagnoses: list[str]
    lines: Annotated[list[LineCodes], Field(min_length=1)]
    prior_authorization: str | None = None
    note: Note | None = None


async def current_claim(client: Client, claim_id: str) -> tuple[Claim, ClaimView]:
    handle = client.get_workflow_handle(workflow_id(claim_id))
    try:
        claim: Claim = await handle.query(ClaimWorkflow.current_claim)
        view: ClaimView = await handle.query(ClaimWorkflow.state)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise HTTPException(404, f"no claim {claim_id}") from exc
        raise HTTPException(503, f"claim {claim_id} cannot be read right now; retry") from exc
    return claim, view


def sheet(claim: Claim, view: ClaimView) -> CodingSheet:
    return CodingSheet(
        claim_id=view.claim_id,
        status=view.status,
        diagnoses=list(claim.diagnoses),
        lines=[
            LineCodes(
                procedure_code=ln.procedure_code,
                modifiers=list(ln.modifiers),
                units=ln.units,
                diagnosis_pointers=list(ln.diagnosis_pointers),
                charge=ln.charge,
                service_date_from=ln.service_date_from,
            )
            for ln in claim.lines
        ],
        total_charge=claim.total_charge,
        prior_authorization=claim.prior_authorization,
    )


def edited(claim: Claim, edit: CodeEdit) -> Claim:
    """The claim with the edit applied; 422 naming the field if the result is not a claim."""
    if len(edit.lines) != len(claim.lines):
        raise HTTPException(
            422,
            [
                {
                    "field": "lines",
                    "rule": "line_count",
                    "msg": f"the claim has {len(claim.lines)} lines; edit each of them",
                }
            ],
        )
    body: dict[str, Any] = claim.model_dump(mode="json")
    body["diagnoses"] = edit.diagnoses
    body["prior_authorization"] = edit.prior_authorization or None
    for line, codes in zip(body["lines"], edit.lines, strict=True):
        line.update(codes.model_dump(mode="json", exclude={"service_date_from"}))
    body["total_charge"] = str(sum((ln.charge for ln in edit.lines), Decimal(0)))
    try:
        return Claim.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(
            422,
            [
                {
                    "field": ".".join(str(p) for p in e["loc"]) or "claim",
                    "rule": e["type"],
                    "msg": e["msg"],
                }
                for e in exc.errors(include_input=False)
            ],
        ) from exc


@router.get("/claims/{claim_id}/codes")
async def get_codes(claim_id: ClaimIdPath, client: TemporalDep) -> CodingSheet:
    """The claim's diagnoses and lines as the workflow has them now (no patient details)."""
    return sheet(*await current_claim(client, claim_id))


@router.post("/claims/{claim_id}/codes")
async def edit_codes(
    claim_id: ClaimIdPath,
    edit: CodeEdit,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Authorized,
    wait: WaitQuery = False,
) -> Any:
    """Apply edited codes and send the corrected claim as ``action`` (recode, correct or
    replace); the answer is that action's (409 when the claim's status does not allow it,
    403 when the caller may not take that action)."""
    return await send_edit(
        client, engine, claim_id, edit, principal, wait=wait, timeout_s=settings.action_wait_seconds
    )


async def send_edit(
    client: Client,
    engine: Engine,
    claim_id: str,
    edit: CodeEdit,
    principal: Principal,
    *,
    wait: bool,
    timeout_s: float,
) -> BaseModel | Settled:
    action = Action(edit.action)
    require(principal, "POST", f"/claims/{{claim_id}}/{action.value}")
    claim, _ = await current_claim(client, claim_id)
    request = correction(
        CorrectionBody(claim=edited(claim, edit), note=edit.note), principal.actor(), engine
    )
    result = await run_update(client, claim_id, UPDATES[action], request, action)
    settled: BaseModel | Settled = await answer(
        client, claim_id, result, wait=wait, timeout_s=timeout_s
    )
    return settled
