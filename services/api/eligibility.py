"""Eligibility on demand: is this patient covered, and what will they owe?

Two ways to ask (billers, coders, ops and supervisors; the route table in
``services.auth.policy``): with a claim file (``POST /eligibility``, before a claim exists:
the API process asks the payer gateway itself, bounded by ``eligibility_timeout_seconds``)
or for a claim claimflow has (``POST /claims/{id}/eligibility``: the claim's workflow asks,
for the claim as it stands, since only the workflow holds the member's identity). Both
answer with the payer's result (no PHI: no member id, name or birth date), the cost-sharing
summary and the expected patient share of the claim's charge. Checking changes nothing on
the claim; the check before submission is the one the claim's course depends on.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from ulid import ULID

from activities.eligibility import EligibilityActivities, EligibilityInput
from claims.eligibility import (
    BenefitSummary,
    EligibilityResult,
    EligibilityStatus,
    PatientShare,
)
from claims.model import Claim
from services.api.claims import ClaimIdPath
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED, Authorized
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimView, EligibilityCheckRequest, workflow_id

router = APIRouter(tags=["eligibility"], dependencies=AUTHORIZED)


class EligibilityAnswer(BaseModel):
    claim_id: str | None = None
    result: EligibilityResult
    # In-network, individual figures (absent unless coverage is active).
    summary: BenefitSummary | None = None
    # Of the claim's total charge: an upper estimate (the payer applies it to its allowed).
    expected_patient_share: PatientShare | None = None


def _answer(result: EligibilityResult, amount: Decimal, claim_id: str | None) -> EligibilityAnswer:
    if result.status is not EligibilityStatus.ACTIVE:
        return EligibilityAnswer(claim_id=claim_id, result=result)
    return EligibilityAnswer(
        claim_id=claim_id,
        result=result,
        summary=result.summary(),
        expected_patient_share=result.expected_patient_share(amount),
    )


@router.post("/eligibility")
async def check_claim_file(
    claim: Claim, settings: SettingsDep, engine: EngineDep, principal: Authorized
) -> EligibilityAnswer:
    """Ask the payer about the patient of a claim that is not submitted (yet)."""
    from services.worker import make_gateway

    claim_id = claim.claim_id
    asked = claim if claim_id else claim.with_id(str(ULID()))
    gateway = make_gateway(settings, engine)
    try:
        checker = EligibilityActivities(gateway, timeout_s=settings.eligibility_timeout_seconds)
        result = await checker.check_eligibility(EligibilityInput(claim=asked))
    finally:
        await gateway.aclose()
    return _answer(result, claim.total_charge, claim_id)


@router.post("/claims/{claim_id}/eligibility")
async def check_claim(
    claim_id: ClaimIdPath, client: TemporalDep, principal: Authorized
) -> EligibilityAnswer:
    """Ask the payer now about a claim claimflow has (a claim that has finished: 409)."""
    handle = client.get_workflow_handle(workflow_id(claim_id))
    request = EligibilityCheckRequest(actor=principal.actor())
    try:
        result: EligibilityResult = await handle.execute_update(
            ClaimWorkflow.check_eligibility, request
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise error(409, f"eligibility check refused: {message}") from exc
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
        try:
            view: ClaimView = await handle.query(ClaimWorkflow.state)
        except RPCError:
            raise error(404, f"no claim {claim_id}", field="claim_id") from exc
        raise error(
            409,
            f"claim {claim_id} is {view.status} (finished): ask with the claim file instead",
            rule="closed",
        ) from exc
    view = await handle.query(ClaimWorkflow.state)
    return _answer(result, view.total_charge, claim_id)
