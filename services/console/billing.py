"""The claim page's billing forms: correct the coverage of a claim held for eligibility,
book a patient payment, and make the patient's statement.

Each form is the API route it calls (``services.console.roles.ROUTES``), goes through the
same function, and is refused exactly as the API refuses; a refusal re-renders the claim
page with the reason, a success redirects back to it. Like every write, each is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from claims.model import Claim
from claims.status import Action
from services.api import actions as actions_api
from services.api import coding
from services.api.deps import AttachmentsDep, EngineDep, KeyRingDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.api.statements import (
    PatientPaymentIn,
    StatementRequest,
    book_payment,
    make_statement,
)
from services.console.claim_page import act
from services.console.render import console_router
from services.console.roles import Task, require, viewer
from workflows.claim import ClaimWorkflow
from workflows.messages import CorrectionBody

router = console_router("/console/claims")


def covered_by(claim: Claim, member_id: str, payer_id: str, payer_name: str) -> Claim:
    """The claim with the member id and/or payer a biller typed (blank: keep). A new payer
    takes its terms from the registry, as a new claim does, not the old payer's."""
    body: dict[str, Any] = claim.model_dump(mode="json")
    if member_id:
        body["subscriber"]["member_id"] = member_id
    if payer_id and payer_id != claim.payer.payer_id:
        body["payer"] = {"payer_id": payer_id, "name": payer_name or payer_id}
    elif payer_name:
        body["payer"]["name"] = payer_name
    return Claim.model_validate(body)


@router.post("/{claim_id}/coverage")
async def correct_coverage(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    member_id: Annotated[str, Form()] = "",
    payer_id: Annotated[str, Form()] = "",
    payer_name: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """POST /claims/{id}/correct with the claim's member id or payer changed."""
    principal = viewer(request)
    require(principal, Action.CORRECT)
    member_id, payer_id, payer_name = member_id.strip(), payer_id.strip(), payer_name.strip()

    async def send() -> None:
        if not (member_id or payer_id or payer_name):
            raise error(422, "give the corrected member id or payer", field="member_id")
        claim, _ = await coding.current_claim(client, claim_id)
        corrected = covered_by(claim, member_id, payer_id, payer_name)
        body = CorrectionBody(claim=corrected, note=note.strip() or None)
        update = actions_api.correction(body, principal.actor(), engine)
        await actions_api.run_update(
            client, claim_id, ClaimWorkflow.correct, update, Action.CORRECT
        )

    return await act(
        request, claim_id, "coverage", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


@router.post("/{claim_id}/patient-payments")
async def record_payment(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    amount: Annotated[str, Form()] = "",
    method: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
) -> Response:
    """POST /claims/{id}/patient-payments."""
    principal = viewer(request)
    require(principal, Task.RECORD_PATIENT_PAYMENT)

    async def send() -> None:
        body = PatientPaymentIn.model_validate(
            {"amount": amount.strip(), "method": method, "reference": reference.strip() or None}
        )
        await book_payment(engine, claim_id, body, principal.name)

    return await act(
        request, claim_id, "payment", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


@router.post("/{claim_id}/statements")
async def create_statement(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    ring: KeyRingDep,
) -> Response:
    """POST /statements for this claim (the document opens at GET /statements/{id})."""
    principal = viewer(request)
    require(principal, Task.CREATE_STATEMENT)

    async def send() -> None:
        try:
            body = StatementRequest(claim_id=claim_id)
        except ValidationError as exc:
            raise error(404, f"no claim {claim_id}", field="claim_id") from exc
        await make_statement(engine, ring, settings, body, principal)

    return await act(
        request, claim_id, "statement", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip
