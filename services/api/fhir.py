"""FHIR R4 intake: a Claim resource is mapped to claimflow's claim, then started like one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from claims.fhir import FhirMappingError, map_fhir_claim
from services.api.claims import Accepted, start_claim
from services.api.deps import SettingsDep, TemporalDep

router = APIRouter(tags=["fhir"])


@router.post("/fhir/Claim", status_code=202)
async def submit_fhir(
    resource: dict[str, Any], client: TemporalDep, settings: SettingsDep
) -> Accepted:
    """Submit a FHIR R4 Claim resource (with its Patient, Coverage and parties contained)."""
    try:
        mapped = map_fhir_claim(resource)
    except FhirMappingError as exc:
        raise HTTPException(
            422, [{"field": exc.path, "rule": "fhir_mapping", "msg": exc.reason}]
        ) from exc
    accepted = await start_claim(mapped.claim, client, settings)
    return accepted.model_copy(update={"notes": list(mapped.notes)})
