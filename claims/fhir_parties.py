"""The parties of a FHIR Claim: providers, the patient and subscriber, the coverage and payer.

Providers come as EHRs send them: an Organization or Practitioner, or a PractitionerRole
(a practitioner acting for an organisation; its specialty may carry the NUCC taxonomy).
A person is mapped as a person (last and first name), an organisation by its name, so
the 837P's NM1 says which it is. As the claim's provider, a PractitionerRole bills as its
organisation, and its practitioner renders the care unless the care team names another.

Who the subscriber is comes from ``Coverage.relationship`` and ``Coverage.subscriber``,
and is never guessed: the patient is the subscriber when the relationship says ``self``,
or when the relationship is absent and ``Coverage.subscriber`` is the claim's patient.
A relationship that contradicts the subscriber, or none at all with nobody named, is
refused. The member id is ``Coverage.subscriberId``, else a ``Coverage.identifier`` of
type MB. Birth dates may be partial in FHIR (``1970``, ``1970-05``); the 837P needs a full
date for the patient, and none for a subscriber who is not the patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from claims.fhir_support import (
    EIN_SYSTEMS,
    NPI_SYSTEM,
    NUCC_TAXONOMY_SYSTEM,
    Contained,
    FhirMappingError,
    build,
    codes,
    identifier,
    identifier_typed,
)
from claims.model import Address, Patient, Payer, Person, Provider

# Coverage.relationship (subscriber-relationship) -> 837P individual relationship code.
RELATIONSHIP = {"spouse": "01", "child": "19", "other": "G8", "parent": "G8", "common": "G8"}
_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}


def address(resource: Any, path: str, *, phi: bool) -> Address | None:
    addresses = resource.address or []
    if not addresses:
        return None
    a = addresses[0]
    lines = list(a.line or [])
    if not lines:
        raise FhirMappingError(f"{path}.address[0].line", "a street line is needed")
    postal = (a.postalCode or "").replace("-", "")
    return build(
        Address,
        f"{path}.address[0]",
        phi=phi,
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


# ------------------------------------------------------------------------------- providers


def _taxonomy(role: Any) -> str | None:
    for concept in role.specialty or []:
        for system, code in codes(concept):
            if system == NUCC_TAXONOMY_SYSTEM:
                return code
    return None


def _organization(res: Any, path: str) -> Provider:
    npi = identifier(res, frozenset({NPI_SYSTEM}))
    if npi is None:
        raise FhirMappingError(f"{path}.identifier", f"an NPI identifier ({NPI_SYSTEM}) is needed")
    if not res.name:
        raise FhirMappingError(f"{path}.name", "the organization's name is needed")
    return build(
        Provider,
        path,
        npi=npi,
        name=str(res.name),
        tax_id=identifier(res, EIN_SYSTEMS),
        address=address(res, path, phi=False),
    )


def _practitioner(
    res: Any, path: str, *, npi: str | None = None, taxonomy: str | None = None
) -> Provider:
    npi = npi or identifier(res, frozenset({NPI_SYSTEM}))
    if npi is None:
        raise FhirMappingError(f"{path}.identifier", f"an NPI identifier ({NPI_SYSTEM}) is needed")
    first, last = _name(res, path)
    return build(
        Provider,
        path,
        npi=npi,
        last_name=last,
        first_name=first,
        taxonomy=taxonomy,
        tax_id=identifier(res, EIN_SYSTEMS),
        address=address(res, path, phi=False),
    )


@dataclass(frozen=True)
class _Role:
    practitioner: Provider
    organization: Provider | None


def _role(contained: Contained, role: Any) -> _Role:
    path = contained.path(role)
    res = contained.get(role.practitioner, f"{path}.practitioner", "Practitioner")
    practitioner = _practitioner(
        res,
        contained.path(res),
        npi=identifier(role, frozenset({NPI_SYSTEM})),
        taxonomy=_taxonomy(role),
    )
    organization = None
    if role.organization is not None:
        org = contained.get(role.organization, f"{path}.organization", "Organization")
        organization = _organization(org, contained.path(org))
    return _Role(practitioner, organization)


def billing_provider(contained: Contained, ref: Any) -> tuple[Provider, Provider | None]:
    """``Claim.provider``: the billing provider, and the rendering provider a
    PractitionerRole implies (its practitioner, when its organisation bills)."""
    res = contained.get(ref, "Claim.provider", "Organization", "Practitioner", "PractitionerRole")
    kind = res.get_resource_type()
    if kind == "Organization":
        return _organization(res, contained.path(res)), None
    if kind == "Practitioner":
        return _practitioner(res, contained.path(res)), None
    role = _role(contained, res)
    if role.organization is not None:
        return role.organization, role.practitioner
    return role.practitioner, None


def care_team_provider(contained: Contained, ref: Any, path: str) -> Provider:
    """A ``Claim.careTeam.provider``: a practitioner (directly or by role) or an
    organisation (a lab, a group) rendering the care."""
    res = contained.get(ref, path, "Practitioner", "PractitionerRole", "Organization")
    kind = res.get_resource_type()
    if kind == "Organization":
        return _organization(res, contained.path(res))
    if kind == "Practitioner":
        return _practitioner(res, contained.path(res))
    return _role(contained, res).practitioner


# -------------------------------------------------------------------------------- persons


def _birth_date(resource: Any, path: str, *, needed: bool) -> dt.date | None:
    born = resource.birthDate
    if isinstance(born, dt.date):
        return born
    if born is None:
        if needed:
            raise FhirMappingError(f"{path}.birthDate", "the date of birth is needed on an 837P")
        return None
    # fhir.resources keeps a partial date ("1970", "1970-05") as its string.
    if needed:
        part = "a year" if len(str(born)) == 4 else "a year and month"
        raise FhirMappingError(
            f"{path}.birthDate",
            f"gives only {part}; the 837P needs the patient's full date of birth (DMG02)",
        )
    return None


def _person(resource: Any, path: str, member_id: str, *, born_needed: bool) -> dict[str, Any]:
    first, last = _name(resource, path)
    return {
        "member_id": member_id,
        "first_name": first,
        "last_name": last,
        "date_of_birth": _birth_date(resource, path, needed=born_needed),
        "sex": _SEX.get(resource.gender or "unknown", "U"),
        "address": address(resource, path, phi=True),
    }


@dataclass(frozen=True)
class CoverageParts:
    subscriber: Person
    patient: Patient | None
    payer: Payer
    prior_authorization: str | None
    medical_record_number: str | None


def _member_id(cov: Any, cpath: str) -> str:
    if cov.subscriberId:
        return str(cov.subscriberId)
    found = identifier_typed(cov, "MB")
    if found is None:
        raise FhirMappingError(
            f"{cpath}.subscriberId",
            "the subscriber's member id is needed (subscriberId, or an identifier of type MB)",
        )
    return found


def _payer(contained: Contained, cov: Any, cpath: str) -> Payer:
    payors = list(cov.payor or [])
    if not payors:
        raise FhirMappingError(f"{cpath}.payor", "the paying organization is needed")
    org = contained.get(payors[0], f"{cpath}.payor[0]", "Organization")
    payer_id = next((i.value for i in org.identifier or [] if i.value), None)
    if payer_id is None or not org.name:
        raise FhirMappingError(
            f"{cpath}.payor[0]",
            "the payer Organization needs an identifier (payer id) and a name",
        )
    return build(Payer, f"{cpath}.payor[0]", payer_id=payer_id, name=org.name)


def _relationship(cov: Any, cpath: str, patient_ref: str | None) -> str:
    """``self`` or an 837P relationship code, only where the Coverage makes it certain."""
    rel_codes = [c for _, c in codes(cov.relationship)]
    subscriber_ref = getattr(cov.subscriber, "reference", None) if cov.subscriber else None
    names_patient = subscriber_ref is not None and subscriber_ref == patient_ref
    if not rel_codes:
        if names_patient:
            return "self"
        who = (
            f"Coverage.subscriber ({subscriber_ref}) names someone other than Claim.patient"
            if subscriber_ref
            else "Coverage.subscriber does not say who holds the policy"
        )
        raise FhirMappingError(
            f"{cpath}.relationship",
            f"Coverage.relationship is absent and {who}; send the patient's relationship to "
            "the subscriber "
            "(self, spouse, child, other): claimflow does not guess who the subscriber is",
        )
    relationship = rel_codes[0]
    if relationship == "self":
        if subscriber_ref is not None and not names_patient:
            raise FhirMappingError(
                f"{cpath}.subscriber",
                f"is {subscriber_ref}, not Claim.patient, while Coverage.relationship is "
                "'self'; one of them is wrong",
            )
        return "self"
    if relationship not in RELATIONSHIP:
        raise FhirMappingError(
            f"{cpath}.relationship", f"{relationship!r} has no 837P relationship code"
        )
    if names_patient:
        raise FhirMappingError(
            f"{cpath}.subscriber",
            f"is Claim.patient, while Coverage.relationship is {relationship!r}; one of "
            "them is wrong",
        )
    return RELATIONSHIP[relationship]


def coverage(contained: Contained, fc: Any) -> CoverageParts:
    """The focal ``Claim.insurance`` (else the first): subscriber, patient, payer."""
    insurances = list(fc.insurance or [])
    if not insurances:
        raise FhirMappingError("Claim.insurance", "the coverage being billed is needed")
    k, ins = next(((k, i) for k, i in enumerate(insurances) if i.focal), (0, insurances[0]))
    cov = contained.get(ins.coverage, f"Claim.insurance[{k}].coverage", "Coverage")
    cpath = contained.path(cov)
    member_id = _member_id(cov, cpath)
    payer = _payer(contained, cov, cpath)
    patient_res = contained.get(fc.patient, "Claim.patient", "Patient")
    ppath = contained.path(patient_res)
    relationship = _relationship(cov, cpath, getattr(fc.patient, "reference", None))
    prior_auth = ins.preAuthRef[0] if ins.preAuthRef else None
    mrn = identifier_typed(patient_res, "MR")
    if relationship == "self":
        person = _person(patient_res, ppath, member_id, born_needed=True)
        subscriber = build(Person, ppath, phi=True, **person)
        return CoverageParts(subscriber, None, payer, prior_auth, mrn)
    sub_res = contained.get(cov.subscriber, f"{cpath}.subscriber", "Patient", "RelatedPerson")
    spath = contained.path(sub_res)
    # A dependent's claim carries no subscriber birth date or address (2010BA).
    subscriber = build(
        Person, spath, phi=True, **_person(sub_res, spath, member_id, born_needed=False)
    )
    patient_member = identifier_typed(patient_res, "MB") or member_id
    patient = build(
        Patient,
        ppath,
        phi=True,
        **_person(patient_res, ppath, patient_member, born_needed=True),
        relationship=relationship,
    )
    return CoverageParts(subscriber, patient, payer, prior_auth, mrn)
