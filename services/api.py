"""The HTTP API: intake, status, listing and appeals.

Reads of one claim ask its workflow (always current) and fall back to the read model once
the workflow is gone; lists come from the read model, which the projector keeps a moment
behind the workflows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from ulid import ULID

from claims.fhir import FhirMappingError, claim_from_fhir
from claims.model import ULID_PATTERN, Claim
from claims.status import ClaimStatus, TransitionError, check_transition
from claims.x12.errors import X12Error
from services import inbound_store, readmodel
from services.api_webhooks import webhooks_router
from services.db import init_db, make_engine
from services.inbound import UnitResult, ingest
from services.settings import Settings
from services.temporal import connect
from services.x12_files import keep_copy
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    ActionResult,
    AppealAccepted,
    AppealRequest,
    ClaimView,
    ClaimWorkflowInput,
    CorrectionAccepted,
    CorrectionRequest,
    StageEntry,
    VoidRequest,
    WriteOffRequest,
    workflow_id,
)

ClaimIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="claimflow claim id (ULID)")]


class Accepted(BaseModel):
    claim_id: str
    workflow_id: str
    status_url: str


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's errors, minus the echoed input (it may hold PHI), plus a dotted field path."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        out.append({"field": ".".join(loc) or "body", "rule": err.get("type"), "msg": err["msg"]})
    return out


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
    )


def create_app(settings: Settings, *, client: Client | None = None) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["client"] = client or await connect(settings)
        engine = make_engine(settings.resolved_database_url)
        init_db(engine)
        state["engine"] = engine
        yield
        engine.dispose()

    app = FastAPI(title="claimflow", version="0.1.0", lifespan=lifespan)
    app.include_router(webhooks_router(settings))

    def temporal() -> Client:
        result: Client = state["client"]
        return result

    def engine() -> Engine:
        result: Engine = state["engine"]
        return result

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc)})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/claims", status_code=202)
    async def submit(claim: Claim) -> Accepted:
        """Start the claim's workflow; the same claim_id twice gives the same workflow."""
        claim_id = claim.claim_id or str(ULID())
        wf_id = workflow_id(claim_id)
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await temporal().start_workflow(
                ClaimWorkflow.run,
                ClaimWorkflowInput(claim=claim.with_id(claim_id)),
                id=wf_id,
                task_queue=settings.task_queue,
                # A running duplicate joins the existing run; a finished one is not redone.
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        return Accepted(claim_id=claim_id, workflow_id=wf_id, status_url=f"/claims/{claim_id}")

    @app.get("/claims/{claim_id}")
    async def get_claim(claim_id: ClaimIdPath) -> ClaimView:
        """Ask the workflow; if it is gone or cannot answer (no worker), the read model."""
        try:
            handle = temporal().get_workflow_handle(workflow_id(claim_id))
            view: ClaimView = await handle.query(ClaimWorkflow.state)
            return view
        except RPCError as exc:
            unavailable = exc.status is not RPCStatusCode.NOT_FOUND
        found = view_from_read_model(engine(), claim_id)
        if found is None:
            if unavailable:
                raise HTTPException(503, f"claim {claim_id} cannot be read right now; retry")
            raise HTTPException(404, f"no claim {claim_id}")
        return found

    @app.get("/claims")
    async def list_claims(
        status: ClaimStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[readmodel.ClaimRecord]:
        return readmodel.list_claims(engine(), status=status, limit=limit, offset=offset)

    @app.get("/claims/{claim_id}/events")
    async def claim_events(claim_id: ClaimIdPath) -> list[dict[str, Any]]:
        return [json.loads(e.payload) for e in readmodel.claim_events(engine(), claim_id)]

    async def run_update(
        claim_id: str, update: Any, request: BaseModel, target: ClaimStatus, verb: str
    ) -> Any:
        """Send a human action to the claim's workflow; turn refusals into 409s.

        The workflow's validator is the authority (it refuses before anything is recorded);
        this only translates its answer. Updates reach running workflows only: a finished
        claim still answers queries, so the transition table says why it was refused.
        """
        handle = temporal().get_workflow_handle(workflow_id(claim_id))
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
                check_transition(view.status, target)
            except TransitionError as refusal:
                raise HTTPException(409, f"{verb} refused: {refusal}") from exc
            raise HTTPException(409, f"claim {claim_id} is closed") from exc

    @app.post("/claims/{claim_id}/appeal")
    async def appeal(claim_id: ClaimIdPath, request: AppealRequest) -> AppealAccepted:
        """Appeal a DENIED claim (billers)."""
        result: AppealAccepted = await run_update(
            claim_id, ClaimWorkflow.appeal, request, ClaimStatus.APPEALED, "appeal"
        )
        return result

    @app.post("/claims/{claim_id}/recode")
    async def recode(claim_id: ClaimIdPath, request: CorrectionRequest) -> CorrectionAccepted:
        """Send a claim in CODING_REVIEW back through coding with corrected codes (coders)."""
        result: CorrectionAccepted = await run_update(
            claim_id, ClaimWorkflow.recode, request, ClaimStatus.CODED, "recode"
        )
        return result

    @app.post("/claims/{claim_id}/correct")
    async def correct(claim_id: ClaimIdPath, request: CorrectionRequest) -> CorrectionAccepted:
        """Send a claim in SCRUB_FAILED back through coding and scrubbing (billers)."""
        result: CorrectionAccepted = await run_update(
            claim_id, ClaimWorkflow.correct, request, ClaimStatus.CODED, "correct"
        )
        return result

    @app.post("/claims/{claim_id}/void")
    async def void(claim_id: ClaimIdPath, request: VoidRequest) -> ActionResult:
        """Void a claim the payer has (frequency 8 with REF*F8) (billers)."""
        result: ActionResult = await run_update(
            claim_id, ClaimWorkflow.void, request, ClaimStatus.VOIDED, "void"
        )
        return result

    @app.post("/claims/{claim_id}/replace")
    async def replace(claim_id: ClaimIdPath, request: CorrectionRequest) -> ActionResult:
        """Replace a claim the payer has (frequency 7 with REF*F8); 409 lists its errors."""
        result: ActionResult = await run_update(
            claim_id, ClaimWorkflow.replace, request, ClaimStatus.SCRUBBED, "replace"
        )
        return result

    @app.post("/claims/{claim_id}/write-off")
    async def write_off(claim_id: ClaimIdPath, request: WriteOffRequest) -> ActionResult:
        """Write off what the claim still owes, with a reason (billers)."""
        result: ActionResult = await run_update(
            claim_id, ClaimWorkflow.write_off, request, ClaimStatus.WRITTEN_OFF, "write_off"
        )
        return result

    @app.post("/x12/inbound", status_code=202)
    async def x12_inbound(request: Request, response: Response) -> list[UnitResult]:
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
                engine=engine(),
                client=temporal(),
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

    @app.get("/payer-messages/unmatched")
    async def unmatched(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[inbound_store.UnmatchedPayerMessage]:
        """Payments and statuses that name no open claim: the queue a person works."""
        return inbound_store.unmatched(engine(), limit=limit)

    @app.get("/inbound-files/{file_id}")
    async def inbound_file(file_id: str) -> inbound_store.InboundFile:
        found = inbound_store.get_file(engine(), file_id)
        if found is None:
            raise HTTPException(404, f"no inbound file {file_id}")
        return found

    @app.post("/fhir/Claim", status_code=202)
    async def submit_fhir(resource: dict[str, Any]) -> Accepted:
        """Submit a FHIR R4 Claim resource (with its Patient, Coverage and parties contained)."""
        try:
            claim = claim_from_fhir(resource)
        except FhirMappingError as exc:
            raise HTTPException(
                422, [{"field": exc.path, "rule": "fhir_mapping", "msg": exc.reason}]
            ) from exc
        return await submit(claim)

    return app
