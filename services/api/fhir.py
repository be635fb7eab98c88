"""FHIR R4 intake: a Claim resource is mapped to claimflow's claim, then started like one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from claims.fhir import FhirMappingError, map_fhir_claim
from services.api.claims import Accepted, start_claim
from services.api.deps import EngineDep, SettingsDep, TemporalDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED, Authorized

router = APIRouter(tags=["fhir"], dependencies=AUTHORIZED)


@router.post("/fhir/Claim", status_code=202)
async def submit_fhir(
    resource: dict[str, Any],
    client: TemporalDep,
    settings: SettingsDep,
    engine: EngineDep,
    principal: Authorized,
) -> Accepted:
    """Submit a FHIR R4 Claim resource (with its Patient, Coverage and parties contained)."""
    try:
        mapped = map_fhir_claim(resource)
    except FhirMappingError as exc:
        raise error(422, exc.reason, rule="fhir_mapping", field=exc.path) from exc
    accepted = await start_claim(mapped.claim, client, settings, engine, principal.actor())
    return accepted.model_copy(update={"notes": list(mapped.notes)})
