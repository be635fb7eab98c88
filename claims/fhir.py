"""A FHIR R4 Claim resource mapped onto claimflow's 837P-aligned ``Claim``.

Input is parsed with ``fhir.resources`` (its R4B models, which read R4 Claims: the Claim
resource did not change between R4 and R4B), then mapped element by element. Anything that
cannot be mapped raises ``FhirMappingError`` naming the FHIR element path and why, so the
sender can fix the resource; nothing is guessed or dropped silently. What was filled in
from elsewhere (the resource id as account number, a rendering provider from a
PractitionerRole) is said in ``FhirMapping.notes``.

**Self-contained claims only.** An 837P needs the patient's, subscriber's, payer's and
providers' names, dates of birth, addresses and identifiers, which a FHIR Claim holds only by
reference. ``claims`` is pure (no network), so the referenced Patient, Coverage, payer
Organization, providers and care team must be in ``Claim.contained`` and referenced as
``#id``. A reference to anything else (``Patient/123``, an absolute URL) is refused: resolve
it and send it contained.

**Professional claims only.** An 837P is the professional claim; an institutional, oral,
vision or pharmacy Claim (every official HL7 R4 example that is not professional) is
refused at ``Claim.type``, naming the transaction it needs instead.

What maps where (the parties: ``claims.fhir_parties``):

=====================================  ===============================================
FHIR                                   claimflow
=====================================  ===============================================
status = active, use = claim,          only these are mapped (a void is the void
type = claim-type#professional         action, not a FHIR Claim)
identifier[0].value                    account_number; absent: the resource id (noted)
provider -> Organization,              billing_provider: us-npi identifier, EIN
Practitioner or PractitionerRole       (urn:oid:2.16.840.1.113883.4.4), name, address;
                                       a role bills as its organisation
careTeam with role ``primary``         rendering_provider (Practitioner, PractitionerRole
                                       or Organization, with us-npi); else the
                                       practitioner of a PractitionerRole provider
insurance (focal) -> Coverage          subscriberId (or identifier type MB) -> member
                                       id; relationship self / spouse (01) / child (19)
                                       / other (G8); subscriber -> Patient or
                                       RelatedPerson when not self; payor[0] ->
                                       Organization: identifier -> payer id
Patient.identifier type MR             medical_record_number (REF*EA)
insurance.preAuthRef[0]                prior_authorization
related with relationship ``prior``    frequency 7 with related.claim.identifier as
                                       the payer claim control number (REF*F8)
diagnosis (by sequence, ``principal``  diagnoses, ICD-10-CM (hl7.org/fhir/sid/icd-10-cm)
type first)                            without the dot
item                                   lines: productOrService (CPT or HCPCS system),
                                       modifier, quantity -> units, net (or unitPrice x
                                       quantity x factor) -> charge, diagnosisSequence ->
                                       pointers, servicedDate/servicedPeriod, location
                                       CodeableConcept (CMS POS, or R4 ex-serviceplace)
                                       -> place of service, careTeamSequence -> the
                                       line's rendering provider
total                                  total_charge (else the sum of the lines)
=====================================  ===============================================

The claim-level place of service is the first item's. Payer contract terms
(``filing_limit_days``, ``appeal_window_days``) are not in a FHIR Claim: the payer gets
claimflow's defaults, and intake should overlay the payer's configured terms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.claim import Claim as FhirClaim
from pydantic import ValidationError

from claims.fhir_parties import billing_provider, care_team_provider, coverage
from claims.fhir_support import (
    CARE_TEAM_ROLE_SYSTEM,
    CLAIM_TYPE_SYSTEM,
    CPT_SYSTEMS,
    HCPCS_SYSTEMS,
    ICD10CM_SYSTEMS,
    POS_SYSTEMS,
    PROCEDURE_SYSTEMS,
    Contained,
    FhirMappingError,
    build,
    code_in,
    codes,
    has_code,
    loc_path,
)
from claims.model import Claim, Provider, ServiceLine

__all__ = [
    "CPT_SYSTEMS",
    "HCPCS_SYSTEMS",
    "FhirMapping",
    "FhirMappingError",
    "claim_from_fhir",
    "map_fhir_claim",
]

_ICD10CM = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
_PROCEDURE = re.compile(r"[A-Z0-9]{5}")
# Claim.type -> what that claim needs instead of an 837P.
_OTHER_TYPES = {
    "institutional": "an 837I (institutional)",
    "oral": "an 837D (dental)",
    "pharmacy": "an NCPDP pharmacy claim",
    "vision": "the vision plan's own claim (or an 837P from a professional provider)",
}


@dataclass(frozen=True)
class FhirMapping:
    """The mapped claim, and what the mapping filled in that the sender should know."""

    claim: Claim
    notes: tuple[str, ...] = ()


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def map_fhir_claim(resource: dict[str, Any]) -> FhirMapping:
    """Map a FHIR R4 Claim (a JSON object as a dict) onto ``Claim``, with notes.

    Raises ``FhirMappingError`` for anything that is not valid FHIR or cannot be mapped.
    """
    if not isinstance(resource, dict) or resource.get("resourceType") != "Claim":
        got = resource.get("resourceType") if isinstance(resource, dict) else type(resource)
        raise FhirMappingError("resourceType", f"expected 'Claim', got {got!r}")
    try:
        fc: Any = FhirClaim.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FhirMappingError(
            f"Claim{loc_path(first['loc'])}", f"invalid FHIR: {first['msg']}"
        ) from None
    mapper = _Mapper(fc)
    return FhirMapping(mapper.claim(), tuple(mapper.notes))


def claim_from_fhir(resource: dict[str, Any]) -> Claim:
    """``map_fhir_claim`` without the notes."""
    return map_fhir_claim(resource).claim


class _Mapper:
    def __init__(self, fc: Any) -> None:
        self.fc = fc
        self.contained = Contained(fc)
        self.notes: list[str] = []

    def claim(self) -> Claim:
        fc = self.fc
        self._check_kind()
        account = self._account_number()
        billing, role_rendering = billing_provider(self.contained, fc.provider)
        rendering, team = self._care_team()
        if rendering is None and role_rendering is not None:
            rendering = role_rendering
            self.notes.append(
                "Claim.provider is a PractitionerRole: its organization is the billing "
                "provider and its practitioner the rendering provider"
            )
        parts = coverage(self.contained, fc)
        diagnoses, positions = self._diagnoses()
        lines = [
            self._line(i, item, positions, team, rendering) for i, item in enumerate(fc.item or [])
        ]
        if not lines:
            raise FhirMappingError("Claim.item", "at least one item (service line) is needed")
        frequency, f8 = self._related()
        total = (
            fc.total.value
            if fc.total is not None
            else sum((line.charge for line in lines), Decimal(0))
        )
        if fc.total is not None and fc.total.currency not in (None, "USD"):
            raise FhirMappingError("Claim.total.currency", "only USD claims can be mapped")
        pos = lines[0].place_of_service
        if pos is None:
            raise FhirMappingError(
                "Claim.item[0].locationCodeableConcept",
                "a CMS place of service code is needed (the 837P's CLM05-1)",
            )
        return build(
            Claim,
            "Claim",
            account_number=account,
            medical_record_number=parts.medical_record_number,
            billing_provider=billing,
            rendering_provider=rendering,
            subscriber=parts.subscriber,
            patient=parts.patient,
            payer=parts.payer,
            frequency_code=frequency,
            payer_claim_control_number=f8,
            place_of_service=pos,
            prior_authorization=parts.prior_authorization,
            diagnoses=diagnoses,
            lines=lines,
            total_charge=total,
        )

    def _account_number(self) -> str:
        """``Claim.identifier`` (optional in FHIR); else the resource id, said in a note."""
        account = next((i.value for i in self.fc.identifier or [] if i.value), None)
        if account is not None:
            return str(account)
        if self.fc.id:
            self.notes.append(
                "Claim.identifier is absent: the resource id is the claim's account number"
            )
            return str(self.fc.id)
        raise FhirMappingError(
            "Claim.identifier",
            "the submitter's claim or account number is needed (Claim.identifier, or at "
            "least the resource's id)",
        )

    def _check_kind(self) -> None:
        fc = self.fc
        if fc.status != "active":
            raise FhirMappingError(
                "Claim.status", f"{fc.status!r} cannot be submitted; only 'active' claims map"
            )
        if fc.use != "claim":
            raise FhirMappingError(
                "Claim.use", f"{fc.use!r} is not a claim for payment; only 'claim' maps"
            )
        if not has_code(fc.type, CLAIM_TYPE_SYSTEM, "professional"):
            kind = next((c for s, c in codes(fc.type) if s == CLAIM_TYPE_SYSTEM), None)
            instead = (
                f"; a {kind!r} claim needs {_OTHER_TYPES[kind]}" if kind in _OTHER_TYPES else ""
            )
            found = ", ".join(f"{s}|{c}" for s, c in codes(fc.type)) or "no coding"
            raise FhirMappingError(
                "Claim.type",
                f"is {found}: only professional claims (claim-type#professional) map to an "
                f"837P{instead}",
            )

    def _care_team(self) -> tuple[Provider | None, dict[int, Provider]]:
        rendering: Provider | None = None
        team: dict[int, Provider] = {}
        for k, member in enumerate(self.fc.careTeam or []):
            path = f"Claim.careTeam[{k}]"
            provider = care_team_provider(self.contained, member.provider, f"{path}.provider")
            team[member.sequence] = provider
            if rendering is None and has_code(member.role, CARE_TEAM_ROLE_SYSTEM, "primary"):
                rendering = provider
        return rendering, team

    def _diagnoses(self) -> tuple[list[str], dict[int, int]]:
        entries = sorted(
            enumerate(self.fc.diagnosis or []),
            key=lambda e: (not _is_principal(e[1]), e[1].sequence),
        )
        if not entries:
            raise FhirMappingError("Claim.diagnosis", "at least one diagnosis is needed")
        found: list[str] = []
        positions: dict[int, int] = {}
        for k, diag in entries:
            path = f"Claim.diagnosis[{k}]"
            if diag.diagnosisCodeableConcept is None:
                raise FhirMappingError(
                    f"{path}.diagnosisReference",
                    "a diagnosis by reference (Condition) cannot be mapped; send "
                    "diagnosisCodeableConcept with an ICD-10-CM coding",
                )
            code = code_in(
                diag.diagnosisCodeableConcept,
                ICD10CM_SYSTEMS,
                f"{path}.diagnosisCodeableConcept",
                "ICD-10-CM",
            )
            if not _ICD10CM.fullmatch(code.upper()):
                raise FhirMappingError(
                    f"{path}.diagnosisCodeableConcept",
                    f"{code!r} is not an ICD-10-CM code (a letter, a digit, a letter or "
                    "digit, then up to four more after an optional dot)",
                )
            found.append(code.replace(".", "").upper())
            positions[diag.sequence] = len(found)
        if len(found) > 12:
            raise FhirMappingError("Claim.diagnosis", f"{len(found)} diagnoses; an 837P holds 12")
        return found, positions

    def _line(
        self,
        i: int,
        item: Any,
        positions: dict[int, int],
        team: dict[int, Provider],
        rendering: Provider | None,
    ) -> ServiceLine:
        path = f"Claim.item[{i}]"
        if item.detail:
            raise FhirMappingError(f"{path}.detail", "item details (packages) cannot be mapped")
        code = code_in(
            item.productOrService, PROCEDURE_SYSTEMS, f"{path}.productOrService", "CPT or HCPCS"
        )
        if not _PROCEDURE.fullmatch(code):
            raise FhirMappingError(
                f"{path}.productOrService",
                f"{code!r} is not a CPT or HCPCS code (five letters or digits)",
            )
        modifiers = []
        for j, mod in enumerate(item.modifier or []):
            mod_codes = codes(mod)
            if not mod_codes:
                raise FhirMappingError(f"{path}.modifier[{j}]", "a modifier code is needed")
            modifiers.append(mod_codes[0][1])
        units = item.quantity.value if item.quantity is not None else None
        units = Decimal(1) if units is None else units
        charge = self._charge(item, units, path)
        pointers = []
        for j, seq in enumerate(item.diagnosisSequence or []):
            if seq not in positions:
                raise FhirMappingError(
                    f"{path}.diagnosisSequence[{j}]", f"no Claim.diagnosis has sequence {seq}"
                )
            pointers.append(positions[seq])
        if not pointers:
            raise FhirMappingError(
                f"{path}.diagnosisSequence", "the line must point at least at one diagnosis"
            )
        start, end = self._dates(item, path)
        pos = None
        if item.locationCodeableConcept is not None:
            pos = code_in(
                item.locationCodeableConcept,
                POS_SYSTEMS,
                f"{path}.locationCodeableConcept",
                "CMS place of service",
            )
        line_rendering = None
        if item.careTeamSequence:
            seq = item.careTeamSequence[0]
            if seq not in team:
                raise FhirMappingError(
                    f"{path}.careTeamSequence[0]", f"no Claim.careTeam has sequence {seq}"
                )
            if rendering is None or team[seq].npi != rendering.npi:
                line_rendering = team[seq]
        return build(
            ServiceLine,
            path,
            procedure_code=code,
            modifiers=modifiers,
            units=units,
            charge=charge,
            diagnosis_pointers=pointers,
            service_date_from=start,
            service_date_to=end,
            place_of_service=pos,
            rendering_provider=line_rendering,
        )

    @staticmethod
    def _charge(item: Any, units: Decimal, path: str) -> Decimal:
        money = item.net if item.net is not None else item.unitPrice
        if money is None or money.value is None:
            raise FhirMappingError(f"{path}.net", "the line's charge (net or unitPrice) is needed")
        if money.currency not in (None, "USD"):
            raise FhirMappingError(f"{path}.net.currency", "only USD claims can be mapped")
        if item.net is not None:
            return money.value  # type: ignore[no-any-return]
        factor = item.factor if item.factor is not None else Decimal(1)
        return (money.value * units * factor).quantize(Decimal("0.01"))  # type: ignore[no-any-return]

    @staticmethod
    def _dates(item: Any, path: str) -> tuple[dt.date, dt.date | None]:
        if item.servicedDate is not None:
            return _day(item.servicedDate), None
        period = item.servicedPeriod
        if period is None or period.start is None:
            raise FhirMappingError(
                f"{path}.servicedDate",
                "a date of service (servicedDate or servicedPeriod.start) is needed",
            )
        start = _day(period.start)
        end = _day(period.end) if period.end is not None else None
        return start, (end if end != start else None)

    def _related(self) -> tuple[str, str | None]:
        for k, rel in enumerate(self.fc.related or []):
            if any(c == "prior" for _, c in codes(rel.relationship)):
                ident = rel.claim.identifier if rel.claim is not None else None
                if ident is None or not ident.value:
                    raise FhirMappingError(
                        f"Claim.related[{k}].claim.identifier",
                        "a replacement needs the payer's claim control number of the prior claim",
                    )
                return "7", str(ident.value)
        return "1", None


def _is_principal(diag: Any) -> bool:
    return any(c == "principal" for t in diag.type or [] for _, c in codes(t))
