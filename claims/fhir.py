"""A FHIR R4 Claim resource mapped onto claimflow's 837P-aligned ``Claim``.

Input is parsed with ``fhir.resources`` (its R4B models, which read R4 Claims: the Claim
resource did not change between R4 and R4B), then mapped element by element. Anything that
cannot be mapped raises ``FhirMappingError`` naming the FHIR element path and why, so the
sender can fix the resource; nothing is guessed or dropped silently.

**Self-contained claims only.** An 837P needs the patient's, subscriber's, payer's and
providers' names, dates of birth, addresses and identifiers, which a FHIR Claim holds only by
reference. ``claims`` is pure (no network), so the referenced Patient, Coverage, payer
Organization, billing Organization/Practitioner and care-team Practitioners must be in
``Claim.contained`` and referenced as ``#id``. A reference to anything else
(``Patient/123``, an absolute URL) is refused: resolve it and send it contained.

What maps where:

=====================================  ===============================================
FHIR                                   claimflow
=====================================  ===============================================
status = active, use = claim,          only these are mapped (a void is the void
type = claim-type#professional         action, not a FHIR Claim)
identifier[0].value                    account_number (CLM01 is claimflow's own id)
provider -> Organization/Practitioner  billing_provider: us-npi identifier, EIN
                                       (urn:oid:2.16.840.1.113883.4.4), name, address
careTeam with role ``primary``         rendering_provider (Practitioner with us-npi)
insurance (focal) -> Coverage          subscriberId -> member id; relationship self /
                                       spouse (01) / child (19) / other (G8); subscriber
                                       -> Patient or RelatedPerson when not self;
                                       payor[0] -> Organization: identifier -> payer id
insurance.preAuthRef[0]                prior_authorization
related with relationship ``prior``    frequency 7 with related.claim.identifier as
                                       the payer claim control number (REF*F8)
diagnosis (by sequence, ``principal``  diagnoses, ICD-10-CM (hl7.org/fhir/sid/icd-10-cm)
type first)                            without the dot
item                                   lines: productOrService (CPT or HCPCS system),
                                       modifier, quantity -> units, net (or unitPrice x
                                       quantity x factor) -> charge, diagnosisSequence ->
                                       pointers, servicedDate/servicedPeriod, location
                                       CodeableConcept (CMS POS) -> place of service,
                                       careTeamSequence -> line rendering NPI
total                                  total_charge (else the sum of the lines)
=====================================  ===============================================

The claim-level place of service is the first item's. Payer contract terms
(``filing_limit_days``, ``appeal_window_days``) are not in a FHIR Claim: the payer gets
claimflow's defaults, and intake should overlay the payer's configured terms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from fhir.resources.R4B.claim import Claim as FhirClaim
from pydantic import BaseModel, ValidationError

from claims.model import Address, Claim, Patient, Payer, Person, Provider, ServiceLine

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
POS_SYSTEMS = frozenset(
    {
        "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
        "urn:oid:2.16.840.1.113883.6.50",
    }
)
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
CARE_TEAM_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claimcareteamrole"

# Coverage.relationship (subscriber-relationship) -> 837P individual relationship code.
_RELATIONSHIP = {"spouse": "01", "child": "19", "other": "G8", "parent": "G8", "common": "G8"}
_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}

M = TypeVar("M", bound=BaseModel)


class FhirMappingError(ValueError):
    """A FHIR Claim that cannot become a claimflow claim: ``path`` is the FHIR element."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _build(model: type[M], path: str, **values: Any) -> M:
    """Build one claimflow model, turning its validation error into a mapping error at
    ``path`` (the FHIR element the values came from)."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FhirMappingError(
            path, f"maps to {model.__name__}{_loc(first['loc'])}, where: {first['msg']}"
        ) from None


class _Contained:
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


def _codes(concept: Any) -> list[tuple[str | None, str]]:
    if concept is None:
        return []
    return [(c.system, c.code) for c in (concept.coding or []) if c.code]


def _code_in(concept: Any, systems: frozenset[str], path: str, what: str) -> str:
    codes = _codes(concept)
    for system, code in codes:
        if system in systems:
            return code
    found = ", ".join(f"{s}|{c}" for s, c in codes) or "no coding"
    raise FhirMappingError(path, f"needs a {what} coding; found {found}")


def _has_code(concept: Any, system: str, code: str) -> bool:
    return any(s == system and c == code for s, c in _codes(concept))


def _identifier(resource: Any, systems: frozenset[str]) -> str | None:
    for ident in resource.identifier or []:
        if ident.system in systems and ident.value:
            return str(ident.value)
    return None


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _address(resource: Any, path: str) -> Address | None:
    addresses = resource.address or []
    if not addresses:
        return None
    a = addresses[0]
    lines = list(a.line or [])
    if not lines:
        raise FhirMappingError(f"{path}.address[0].line", "a street line is needed")
    postal = (a.postalCode or "").replace("-", "")
    return _build(
        Address,
        f"{path}.address[0]",
        line1=lines[0],
        line2=lines[1] if len(lines) > 1 else None,
        city=a.city,
        state=a.state,
        postal_code=postal,
    )


def _name(resource: Any, path: str) -> tuple[str, str]:
    for name in resource.name or []:
        if name.family and name.given:
            return name.given[0], name.family
    raise FhirMappingError(f"{path}.name", "a name with a family and a given part is needed")


def _person(resource: Any, path: str, member_id: str) -> dict[str, Any]:
    first, last = _name(resource, path)
    if resource.birthDate is None:
        raise FhirMappingError(f"{path}.birthDate", "the date of birth is needed on an 837P")
    sex = _SEX.get(resource.gender or "unknown", "U")
    return {
        "member_id": member_id,
        "first_name": first,
        "last_name": last,
        "date_of_birth": resource.birthDate,
        "sex": sex,
        "address": _address(resource, path),
    }


def _provider(resource: Any, path: str) -> Provider:
    npi = _identifier(resource, frozenset({NPI_SYSTEM}))
    if npi is None:
        raise FhirMappingError(f"{path}.identifier", f"an NPI identifier ({NPI_SYSTEM}) is needed")
    if resource.get_resource_type() == "Organization":
        if not resource.name:
            raise FhirMappingError(f"{path}.name", "the organization's name is needed")
        name = str(resource.name)
    else:
        first, last = _name(resource, path)
        name = f"{first} {last}"
    return _build(
        Provider,
        path,
        npi=npi,
        name=name,
        tax_id=_identifier(resource, EIN_SYSTEMS),
        address=_address(resource, path),
    )


def claim_from_fhir(resource: dict[str, Any]) -> Claim:
    """Map a FHIR R4 Claim (a JSON object as a dict) onto ``Claim``.

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
            f"Claim{_loc(first['loc'])}", f"invalid FHIR: {first['msg']}"
        ) from None
    return _Mapper(fc).claim()


class _Mapper:
    def __init__(self, fc: Any) -> None:
        self.fc = fc
        self.contained = _Contained(fc)

    def claim(self) -> Claim:
        fc = self.fc
        self._check_kind()
        account = next((i.value for i in fc.identifier or [] if i.value), None)
        if account is None:
            raise FhirMappingError(
                "Claim.identifier", "the submitter's claim or account number is needed"
            )
        billing_res = self.contained.get(
            fc.provider, "Claim.provider", "Organization", "Practitioner"
        )
        billing = _provider(billing_res, self.contained.path(billing_res))
        rendering, team = self._care_team()
        subscriber, patient, payer, prior_auth = self._coverage()
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
        return _build(
            Claim,
            "Claim",
            account_number=account,
            billing_provider=billing,
            rendering_provider=rendering,
            subscriber=subscriber,
            patient=patient,
            payer=payer,
            frequency_code=frequency,
            payer_claim_control_number=f8,
            place_of_service=pos,
            prior_authorization=prior_auth,
            diagnoses=diagnoses,
            lines=lines,
            total_charge=total,
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
        if not _has_code(fc.type, CLAIM_TYPE_SYSTEM, "professional"):
            raise FhirMappingError(
                "Claim.type", "only professional claims (claim-type#professional) map to an 837P"
            )

    def _care_team(self) -> tuple[Provider | None, dict[int, Provider]]:
        rendering: Provider | None = None
        team: dict[int, Provider] = {}
        for k, member in enumerate(self.fc.careTeam or []):
            path = f"Claim.careTeam[{k}]"
            res = self.contained.get(member.provider, f"{path}.provider", "Practitioner")
            provider = _provider(res, self.contained.path(res))
            team[member.sequence] = provider
            if rendering is None and _has_code(member.role, CARE_TEAM_ROLE_SYSTEM, "primary"):
                rendering = provider
        return rendering, team

    def _coverage(self) -> tuple[Person, Patient | None, Payer, str | None]:
        fc = self.fc
        insurances = list(fc.insurance or [])
        if not insurances:
            raise FhirMappingError("Claim.insurance", "the coverage being billed is needed")
        k, ins = next(((k, i) for k, i in enumerate(insurances) if i.focal), (0, insurances[0]))
        path = f"Claim.insurance[{k}].coverage"
        cov = self.contained.get(ins.coverage, path, "Coverage")
        cpath = self.contained.path(cov)
        if not cov.subscriberId:
            raise FhirMappingError(f"{cpath}.subscriberId", "the subscriber's member id is needed")
        member_id = str(cov.subscriberId)
        payors = list(cov.payor or [])
        if not payors:
            raise FhirMappingError(f"{cpath}.payor", "the paying organization is needed")
        org = self.contained.get(payors[0], f"{cpath}.payor[0]", "Organization")
        payer_id = next((i.value for i in org.identifier or [] if i.value), None)
        if payer_id is None or not org.name:
            raise FhirMappingError(
                f"{cpath}.payor[0]",
                "the payer Organization needs an identifier (payer id) and a name",
            )
        payer = _build(Payer, f"{cpath}.payor[0]", payer_id=payer_id, name=org.name)
        patient_res = self.contained.get(fc.patient, "Claim.patient", "Patient")
        rel_codes = [c for _, c in _codes(cov.relationship)]
        relationship = rel_codes[0] if rel_codes else "self"
        prior_auth = ins.preAuthRef[0] if ins.preAuthRef else None
        if relationship == "self":
            ppath = self.contained.path(patient_res)
            person = _build(Person, ppath, **_person(patient_res, ppath, member_id))
            return person, None, payer, prior_auth
        if relationship not in _RELATIONSHIP:
            raise FhirMappingError(
                f"{cpath}.relationship", f"{relationship!r} has no 837P relationship code"
            )
        sub_res = self.contained.get(
            cov.subscriber, f"{cpath}.subscriber", "Patient", "RelatedPerson"
        )
        spath = self.contained.path(sub_res)
        subscriber = _build(Person, spath, **_person(sub_res, spath, member_id))
        patient_member = _identifier_typed(patient_res, "MB") or member_id
        ppath = self.contained.path(patient_res)
        patient = _build(
            Patient,
            ppath,
            **_person(patient_res, ppath, patient_member),
            relationship=_RELATIONSHIP[relationship],
        )
        return subscriber, patient, payer, prior_auth

    def _diagnoses(self) -> tuple[list[str], dict[int, int]]:
        entries = sorted(
            enumerate(self.fc.diagnosis or []),
            key=lambda e: (not _is_principal(e[1]), e[1].sequence),
        )
        if not entries:
            raise FhirMappingError("Claim.diagnosis", "at least one diagnosis is needed")
        codes: list[str] = []
        positions: dict[int, int] = {}
        for k, diag in entries:
            path = f"Claim.diagnosis[{k}]"
            if diag.diagnosisCodeableConcept is None:
                raise FhirMappingError(
                    f"{path}.diagnosisReference",
                    "a diagnosis by reference (Condition) cannot be mapped; send "
                    "diagnosisCodeableConcept with an ICD-10-CM coding",
                )
            code = _code_in(
                diag.diagnosisCodeableConcept,
                ICD10CM_SYSTEMS,
                f"{path}.diagnosisCodeableConcept",
                "ICD-10-CM",
            )
            codes.append(code.replace(".", "").upper())
            positions[diag.sequence] = len(codes)
        if len(codes) > 12:
            raise FhirMappingError("Claim.diagnosis", f"{len(codes)} diagnoses; an 837P holds 12")
        return codes, positions

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
        code = _code_in(
            item.productOrService, PROCEDURE_SYSTEMS, f"{path}.productOrService", "CPT or HCPCS"
        )
        modifiers = []
        for j, mod in enumerate(item.modifier or []):
            codes = _codes(mod)
            if not codes:
                raise FhirMappingError(f"{path}.modifier[{j}]", "a modifier code is needed")
            modifiers.append(codes[0][1])
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
            pos = _code_in(
                item.locationCodeableConcept,
                POS_SYSTEMS,
                f"{path}.locationCodeableConcept",
                "CMS place of service",
            )
        rendering_npi = None
        if item.careTeamSequence:
            seq = item.careTeamSequence[0]
            if seq not in team:
                raise FhirMappingError(
                    f"{path}.careTeamSequence[0]", f"no Claim.careTeam has sequence {seq}"
                )
            if rendering is None or team[seq].npi != rendering.npi:
                rendering_npi = team[seq].npi
        return _build(
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
            rendering_npi=rendering_npi,
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
            if any(c == "prior" for _, c in _codes(rel.relationship)):
                ident = rel.claim.identifier if rel.claim is not None else None
                if ident is None or not ident.value:
                    raise FhirMappingError(
                        f"Claim.related[{k}].claim.identifier",
                        "a replacement needs the payer's claim control number of the prior claim",
                    )
                return "7", str(ident.value)
        return "1", None


def _is_principal(diag: Any) -> bool:
    return any(c == "principal" for t in diag.type or [] for _, c in _codes(t))


def _identifier_typed(resource: Any, type_code: str) -> str | None:
    for ident in resource.identifier or []:
        if ident.value and any(c == type_code for _, c in _codes(ident.type)):
            return str(ident.value)
    return None
