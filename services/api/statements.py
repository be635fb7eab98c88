"""What the patient owes: balances by claim and by patient, patient payments, statements.

Balances come from the projected ledger (a moment behind the workflow) plus the patient
payments booked here. The patient is named by an opaque patient key, never by name; the
statement document, which names the patient, is served only to billing roles and only
opened in this process.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from claims.model import ULID_PATTERN
from claims.patient_share import PatientShare, total_share
from services import patient_ledger as pl
from services import statements
from services.api.claims import ClaimIdPath
from services.api.deps import EngineDep, KeyRingDep, SettingsDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED, Authorized
from services.auth.principal import Principal
from services.crypto.keyring import KeyRing
from services.settings import Settings

router = APIRouter(tags=["patient balances"], dependencies=AUTHORIZED)

PatientKeyPath = Annotated[
    str, Path(pattern=r"^[0-9a-f]{64}$", description="opaque patient key (hex HMAC)")
]
StatementIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="statement id (ULID)")]


class ClaimBalance(BaseModel):
    claim_id: str
    patient_key: str
    share: PatientShare


class PatientBalance(BaseModel):
    patient_key: str
    total: PatientShare
    claims: list[ClaimBalance]


class PatientPaymentIn(BaseModel):
    amount: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
    method: Literal["cash", "check", "card", "ach", "other"]
    # A check number or the card processor's transaction id: never a card or account number.
    reference: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")] | None = None


class StatementRequest(BaseModel):
    """One of the two: a claim, or a patient key (every claim of that patient)."""

    claim_id: Annotated[str, Field(pattern=ULID_PATTERN)] | None = None
    patient_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _one(self) -> StatementRequest:
        if (self.claim_id is None) == (self.patient_key is None):
            raise ValueError("give exactly one of claim_id and patient_key")
        return self


def _patient(engine: Engine, claim_id: str) -> pl.ClaimPatient:
    row = pl.patient_of(engine, claim_id)
    if row is None:
        raise error(404, f"no patient on record for claim {claim_id}", field="claim_id")
    return row


@router.get("/claims/{claim_id}/patient-balance")
async def claim_patient_balance(claim_id: ClaimIdPath, engine: EngineDep) -> ClaimBalance:
    """The patient's share of the claim by kind, what the patient paid, and the balance."""
    row = _patient(engine, claim_id)
    share = await asyncio.to_thread(pl.share_of, engine, claim_id)
    return ClaimBalance(claim_id=claim_id, patient_key=row.patient_key, share=share)


@router.get("/patients/{patient_key}/balance")
async def patient_balance(patient_key: PatientKeyPath, engine: EngineDep) -> PatientBalance:
    """Every claim of the patient, and their sum."""
    claim_ids = pl.claims_of(engine, patient_key)
    if not claim_ids:
        raise error(404, "no claims for this patient key", field="patient_key")
    found = await asyncio.to_thread(pl.shares, engine, claim_ids)
    claims = [ClaimBalance(claim_id=c, patient_key=patient_key, share=s) for c, s in found.items()]
    return PatientBalance(patient_key=patient_key, total=total_share(found.values()), claims=claims)


@router.get("/claims/{claim_id}/patient-payments")
async def list_patient_payments(
    claim_id: ClaimIdPath, engine: EngineDep
) -> list[pl.PatientPayment]:
    _patient(engine, claim_id)
    return pl.payments_of(engine, claim_id)


@router.post("/claims/{claim_id}/patient-payments", status_code=201)
async def record_patient_payment(
    claim_id: ClaimIdPath, body: PatientPaymentIn, engine: EngineDep, principal: Authorized
) -> pl.PatientPayment:
    """Book a payment the patient made on this claim (never more than the balance)."""
    return await book_payment(engine, claim_id, body, principal.name)


async def book_payment(
    engine: Engine, claim_id: str, body: PatientPaymentIn, by: str
) -> pl.PatientPayment:
    """The API's and the console's way to book a patient payment (refusals in the one
    error shape, naming the field and the rule)."""
    row = _patient(engine, claim_id)
    try:
        return await asyncio.to_thread(
            pl.add_payment, engine, claim_id, patient=row.patient_key, amount=body.amount,
            method=body.method, reference=body.reference, by=by,
        )  # fmt: skip
    except pl.OverBalance as exc:
        raise error(422, str(exc), field="amount", rule="exceeds_balance") from exc
    except IntegrityError as exc:
        raise error(409, "another payment on this claim was booked at the same moment; retry",
                    rule="concurrent_payment") from exc  # fmt: skip


@router.post("/statements", status_code=201)
async def create_statement(
    body: StatementRequest,
    engine: EngineDep,
    ring: KeyRingDep,
    settings: SettingsDep,
    principal: Authorized,
) -> statements.StatementSummary:
    """Render a statement for a claim or a patient, store it sealed, announce it."""
    return await make_statement(engine, ring, settings, body, principal)


async def make_statement(
    engine: Engine, ring: KeyRing, settings: Settings, body: StatementRequest, principal: Principal
) -> statements.StatementSummary:
    """The API's and the console's way to make (or re-send) a statement."""
    if body.claim_id is not None:
        rows = [_patient(engine, body.claim_id)]
    else:
        assert body.patient_key is not None
        rows = [
            r for c in pl.claims_of(engine, body.patient_key) if (r := pl.patient_of(engine, c))
        ]
        if not rows:
            raise error(404, "no claims for this patient key", field="patient_key")
    record, total = await asyncio.to_thread(statements.create, engine, ring, rows, principal.name)
    event = statements.event_for(record, total, principal.actor())
    try:
        await asyncio.to_thread(statements.publish, settings, engine, event)
    except Exception as exc:  # Kafka did not take it: the statement is kept, unsent
        raise error(
            503,
            f"statement {record.statement_id} is stored but its event was not sent "
            f"({type(exc).__name__}); ask again for the same claims to re-send it",
            rule="event_not_sent",
        ) from exc
    record.published_at = record.published_at or event.time
    return statements.summary(record, total)


HTML_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The statement (HTML)",
        "content": {"text/html": {"schema": {"type": "string"}}},
    }
}


# Errors stay JSON (the one error shape); only the document itself is HTML.
@router.get("/statements/{statement_id}", responses=HTML_DOCUMENT)
async def get_statement(
    statement_id: StatementIdPath, engine: EngineDep, ring: KeyRingDep
) -> HTMLResponse:
    """The statement document (HTML), decrypted for a billing role."""
    record = statements.get(engine, statement_id)
    if record is None:
        raise error(404, f"no statement {statement_id}", field="statement_id")
    return HTMLResponse(statements.document(ring, record), headers={"Cache-Control": "no-store"})
