"""What the FHIR mapping modules share: code systems, the mapping error, contained look-ups.

Every refusal is a ``FhirMappingError`` naming the FHIR element path, and quotes the value
it refused when that value is not PHI (codes, provider data), so the sender sees what they
wrote (``M54.5``, ``992130``), not what claimflow made of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from claims.model import is_phi_field

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
EIN_SYSTEMS = frozenset({"urn:oid:2.16.840.1.113883.4.4", "http://hl7.org/fhir/sid/us-ein"})
ICD10CM_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/icd-10-cm", "urn:oid:2.16.840.1.113883.6.90"})
CPT_SYSTEMS = frozenset({"http://www.ama-assn.org/go/cpt", "urn:oid:2.16.840.1.113883.6.12"})
HCPCS_SYSTEMS = frozenset(
    {
        "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
        "urn:oid:2.16.840.1.113883.6.285",
    }
)
PROCEDURE_SYSTEMS = CPT_SYSTEMS | HCPCS_SYSTEMS
# The CMS place of service code set, and the R4 core code system that carries its codes.
POS_SYSTEMS = frozenset(
    {
        "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
        "urn:oid:2.16.840.1.113883.6.50",
        "http://terminology.hl7.org/CodeSystem/ex-serviceplace",
    }
)
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
CARE_TEAM_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"
NUCC_TAXONOMY_SYSTEM = "http://nucc.org/provider-taxonomy"

M = TypeVar("M", bound=BaseModel)


class FhirMappingError(ValueError):
    """A FHIR Claim that cannot become a claimflow claim: ``path`` is the FHIR element."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def loc_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def build(model: type[M], path: str, *, phi: bool = False, **values: Any) -> M:
    """Build one claimflow model, turning its validation error into a mapping error at
    ``path`` (the FHIR element the values came from). The refused value is quoted unless
    it is PHI (``phi``: the whole model is about a person)."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        got = ""
        if not phi and not is_phi_field(first["loc"]) and isinstance(first.get("input"), str):
            got = f" (got {first['input']!r})"
        raise FhirMappingError(
            path, f"maps to {model.__name__}{loc_path(first['loc'])}, where: {first['msg']}{got}"
        ) from None


class Contained:
    """Resolves ``#id`` references against ``Claim.contained``."""

    def __init__(self, claim: Any) -> None:
        contained = list(claim.contained or [])
        self._by_id: dict[str, Any] = {r.id: r for r in contained if r.id}
        self._paths: dict[int, str] = {
            id(r): f"Claim.contained[{i}]" for i, r in enumerate(contained)
        }

    def path(self, resource: Any) -> str:
        """The FHIR path of a contained resource, for errors about its elements."""
        return self._paths[id(resource)]

    def get(self, ref: Any, path: str, *types: str) -> Any:
        reference = getattr(ref, "reference", None) if ref is not None else None
        if not reference:
            raise FhirMappingError(path, "a reference to a contained resource ('#id') is needed")
        if not reference.startswith("#"):
            raise FhirMappingError(
                path,
                f"{reference!r} is not a contained resource; claimflow maps self-contained "
                "Claims only (it does no FHIR server look-ups): put the resource in "
                "Claim.contained and reference it as '#id'",
            )
        res = self._by_id.get(reference[1:])
        if res is None:
            raise FhirMappingError(path, f"no contained resource has id {reference[1:]!r}")
        kind = res.get_resource_type()
        if kind not in types:
            raise FhirMappingError(path, f"refers to a {kind}; expected {' or '.join(types)}")
        return res


def codes(concept: Any) -> list[tuple[str | None, str]]:
    if concept is None:
        return []
    return [(c.system, c.code) for c in (concept.coding or []) if c.code]


def code_in(concept: Any, systems: frozenset[str], path: str, what: str) -> str:
    found_codes = codes(concept)
    for system, code in found_codes:
        if system in systems:
            return code
    found = ", ".join(f"{s}|{c}" for s, c in found_codes) or "no coding"
    raise FhirMappingError(path, f"needs a {what} coding; found {found}")


def has_code(concept: Any, system: str, code: str) -> bool:
    return any(s == system and c == code for s, c in codes(concept))


def identifier(resource: Any, systems: frozenset[str]) -> str | None:
    for ident in resource.identifier or []:
        if ident.system in systems and ident.value:
            return str(ident.value)
    return None


def identifier_typed(resource: Any, type_code: str) -> str | None:
    """The value of the first identifier of v2-0203 type ``type_code`` (MB, MR, ...)."""
    for ident in resource.identifier or []:
        if ident.value and any(c == type_code for _, c in codes(ident.type)):
            return str(ident.value)
    return None
