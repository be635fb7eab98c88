"""The payer registry: admins add and change a payer's terms; staff read them (the route x
role table in ``services.auth.policy``)."""

from __future__ import annotations

from fastapi import APIRouter

from claims.payer_terms import PayerTerms, PayerTermsUpdate
from services import payers
from services.api.deps import EngineDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED

router = APIRouter(prefix="/payers", tags=["payers"], dependencies=AUTHORIZED)


@router.get("")
async def list_payers(engine: EngineDep) -> list[PayerTerms]:
    return payers.list_payers(engine)


@router.get("/{payer_id}")
async def get_payer(payer_id: str, engine: EngineDep) -> PayerTerms:
    found = payers.get(engine, payer_id)
    if found is None:
        raise error(404, f"no payer {payer_id} in the registry", field="payer_id")
    return found


@router.post("", status_code=201)
async def add_payer(terms: PayerTerms, engine: EngineDep) -> PayerTerms:
    """409 if the payer is registered already (change it with PATCH)."""
    try:
        return payers.add(engine, terms)
    except payers.PayerExists as exc:
        raise error(409, str(exc), rule="payer_exists", field="payer_id") from exc


@router.patch("/{payer_id}")
async def set_payer(payer_id: str, change: PayerTermsUpdate, engine: EngineDep) -> PayerTerms:
    """Change the terms given; claims already received keep the terms they inherited."""
    try:
        return payers.update(engine, payer_id, change)
    except LookupError as exc:
        raise error(404, str(exc), field="payer_id") from exc
