"""The payer registry for admins: list, add, change a payer's terms.

Authentication and the admin role are attached where this router is included (a
dependency on the include), not here.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from claims.payer_terms import PayerTerms, PayerTermsUpdate
from services import payers
from services.api.deps import EngineDep

router = APIRouter(prefix="/payers", tags=["payers (admin)"])


@router.get("")
async def list_payers(engine: EngineDep) -> list[PayerTerms]:
    return payers.list_payers(engine)


@router.get("/{payer_id}")
async def get_payer(payer_id: str, engine: EngineDep) -> PayerTerms:
    found = payers.get(engine, payer_id)
    if found is None:
        raise HTTPException(404, f"no payer {payer_id} in the registry")
    return found


@router.post("", status_code=201)
async def add_payer(terms: PayerTerms, engine: EngineDep) -> PayerTerms:
    """409 if the payer is registered already (change it with PATCH)."""
    try:
        return payers.add(engine, terms)
    except payers.PayerExists as exc:
        raise HTTPException(409, str(exc)) from exc


@router.patch("/{payer_id}")
async def set_payer(payer_id: str, change: PayerTermsUpdate, engine: EngineDep) -> PayerTerms:
    """Change the terms given; claims already received keep the terms they inherited."""
    try:
        return payers.update(engine, payer_id, change)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
