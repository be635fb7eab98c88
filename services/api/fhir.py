"""FHIR R4 intake: a Claim resource is mapped to claimflow's claim, then started like one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from claims.fhir import FhirMappingError, claim_from_fhir
from services.api.claims import Accepted, start_claim
from services.api.deps import EngineDep, SettingsDep, TemporalDep

router = APIRouter(tags=["fhir"])


@router.post("/fhir/Claim", status_code=202)
async def submit_fhir(
    resource: dict[str, Any], client: TemporalDep, settings: SettingsDep, engine: EngineDep
) -> Accepted:
    """Submit a FHIR R4 Claim resource (with its Patient, Coverage and parties contained)."""
    try:
        claim = claim_from_fhir(resource)
    except FhirMappingError as exc:
        raise HTTPException(
            422, [{"field": exc.path, "rule": "fhir_mapping", "msg": exc.reason}]
        ) from exc
    return await start_claim(claim, client, settings, engine)
