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
from decimal import Decimal
from typing import Annotated, Any, Literal, overload

from fastapi import APIRouter, Depends, Path, Query, Response
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
from services import claim_queries, patient_ledger, payers, readmodel
from services.api.deps import EngineDep, Offset, SettingsDep, TemporalDep
from services.api.errors import error
from services.auth import audit_log as audit
from services.auth.policy import AUTHORIZED, Authorized
from services.claim_queries import ClaimFilter, Sort
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
                eligibility_recheck_after_days=settings.eligibility_recheck_after_days,
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
    view = await load_view(client, engine, claim_id, settings.api_query_timeout_seconds)
    response.headers[SOURCE_HEADER] = view.source
    return view


async def load_view(client: Client, engine: Engine, claim_id: str, timeout_s: float) -> ClaimView:
    """The claim's current view (``source`` says whose): 404 if nobody knows it, 503 if it
    cannot be read now."""
    try:
        handle = client.get_workflow_handle(workflow_id(claim_id))
        view: ClaimView = await handle.query(
            ClaimWorkflow.state,
            rpc_timeout=dt.timedelta(seconds=timeout_s),
        )
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
    return found


@overload
def utc(value: dt.datetime) -> dt.datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class ClaimSummary(BaseModel):
    """One row of ``GET /claims`` and of the work queues (from the read model)."""

    claim_id: str
    status: ClaimStatus
    seq: int
    payer_id: str
    total_charge: Decimal
    paid_amount: Decimal | None = None
    patient_responsibility: Decimal | None = None
    outstanding_amount: Decimal | None = None
    patient_balance: Decimal | None = None
    recoupment_expected: Decimal | None = None
    payer_claim_control_number: str | None = None
    appeal_level: int = 0
    # The same type as in ``GET /claims/{id}``: a list of group-CARC reasons.
    denial_reasons: list[str] = []
    appeal_deadline: dt.datetime | None = None
    # Whole days until the appeal deadline (negative once it has passed).
    appeal_days_left: int | None = None
    billed_on: dt.date | None = None
    # Days since the claim was first billed (its A/R age).
    age_days: int | None = None
    follow_up_overdue_at: dt.datetime | None = None
    written_off_amount: Decimal | None = None
    # In the eligibility-hold queue: why the payer says there is no coverage (the 271's
    # reasons, in words).
    eligibility_reasons: str | None = None
    received_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: readmodel.ClaimRecord, now: dt.datetime) -> ClaimSummary:
        deadline = utc(row.appeal_deadline)
        return cls(
            claim_id=row.claim_id,
            status=ClaimStatus(row.status),
            seq=row.last_seq,
            payer_id=row.payer_id,
            total_charge=row.total_charge,
            paid_amount=row.paid_amount,
            patient_responsibility=row.patient_responsibility,
            outstanding_amount=row.outstanding_amount,
            patient_balance=row.patient_balance,
            recoupment_expected=row.recoupment_expected,
            payer_claim_control_number=row.payer_claim_control_number,
            appeal_level=row.appeal_level,
            denial_reasons=[r for r in row.denial_reasons.split(",") if r],
            appeal_deadline=deadline,
            appeal_days_left=None if deadline is None else (deadline - now).days,
            billed_on=row.billed_on,
            age_days=None if row.billed_on is None else (now.date() - row.billed_on).days,
            follow_up_overdue_at=utc(row.follow_up_overdue_at),
            written_off_amount=row.written_off_amount,
            received_at=utc(row.received_at),
            updated_at=utc(row.updated_at),
        )


def summaries(rows: list[readmodel.ClaimRecord]) -> list[ClaimSummary]:
    now = dt.datetime.now(dt.UTC)
    return [ClaimSummary.of(r, now) for r in rows]


AgingBucket = Literal["0-30", "31-60", "61-90", "91-120", "120+"]


def claim_filter(
    status: Annotated[list[ClaimStatus] | None, Query(description="One or more statuses.")] = None,
    payer_id: Annotated[str | None, Query(max_length=80)] = None,
    carc: Annotated[
        str | None,
        Query(
            pattern=r"^([A-Z]{2}-)?[A-Z0-9]{1,5}$", description="A CARC (197) or reason (CO-197)."
        ),
    ] = None,
    aging_bucket: Annotated[AgingBucket | None, Query(description="Days since billed.")] = None,
    appeal_deadline_before: dt.datetime | None = None,
    outstanding_above: Annotated[Decimal | None, Query(ge=0)] = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=3650, description="Untouched for.")] = None,
    sort: Annotated[
        Sort | None, Query(description="Default: newest change first; by age with aging_bucket.")
    ] = None,
) -> ClaimFilter:
    """The list's filters, as query parameters (also the work queues' narrowing filters)."""
    return ClaimFilter(
        statuses=tuple(status or ()),
        payer_id=payer_id or None,
        carc=carc,
        aging_bucket=aging_bucket,
        appeal_deadline_before=appeal_deadline_before,
        outstanding_above=outstanding_above,
        min_age_days=min_age_days,
        sort=sort or (Sort.AGE if aging_bucket else Sort.UPDATED),
    )


FilterDep = Annotated[ClaimFilter, Depends(claim_filter)]


@router.get("/claims")
async def list_claims(
    engine: EngineDep,
    response: Response,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    # Bounded: SQLite refuses an OFFSET past a 64-bit integer (a fuzzer found it).
    offset: Offset = 0,
) -> list[ClaimSummary]:
    """The read model, filtered; newest change first unless ``sort`` says otherwise.

    ``X-Total-Count`` says how many match (``10000+`` past ten thousand).
    """
    rows = await asyncio.to_thread(claim_queries.find, engine, f, limit=limit, offset=offset)
    total = await asyncio.to_thread(claim_queries.count, engine, f)
    response.headers["X-Total-Count"] = str(total).replace(",", "")
    return summaries(rows)


@router.get("/claims/{claim_id}/ledger")
async def claim_ledger(claim_id: ClaimIdPath, engine: EngineDep) -> list[readmodel.LedgerRecord]:
    """The claim's ledger as projected: every entry, in booking order."""
    return readmodel.ledger_of(engine, claim_id)


@router.get("/claims/{claim_id}/events")
async def claim_events(
    claim_id: ClaimIdPath, engine: EngineDep, client: TemporalDep
) -> list[dict[str, Any]]:
    """The claim's events as projected (404 for a claim nobody knows)."""
    events = readmodel.claim_events(engine, claim_id)
    if not events and not await workflow_exists(client, claim_id):
        raise error(404, f"no claim {claim_id}", field="claim_id")
    return [json.loads(e.payload) for e in events]


async def workflow_exists(client: Client, claim_id: str) -> bool:
    """Whether Temporal knows the claim (its events may not be projected yet)."""
    try:
        await client.get_workflow_handle(workflow_id(claim_id)).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


@router.get("/claims/{claim_id}/audit")
async def claim_audit(claim_id: ClaimIdPath, engine: EngineDep) -> list[audit.AuditEntry]:
    """Every write request made on this claim, oldest first: who, when, what, outcome."""
    return audit.for_claim(engine, claim_id)
