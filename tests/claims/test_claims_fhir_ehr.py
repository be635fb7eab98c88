"""FHIR Claims as EHRs send them (issue 15), and what the mapping must still refuse.

Each test starts from the mapped happy path of ``test_claims_fhir.fhir_claim`` and changes
what an EHR would send differently: a PractitionerRole, an Organization in the care team,
R4's own place-of-service system, a member id only as a Coverage identifier, partial birth
dates, a dependent, no Claim.identifier, and the official non-professional examples.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from claims_testkit import BILLING_NPI, OTHER_NPI, RENDERING_NPI, TODAY
from test_claims_fhir import ICD, NPI, fhir_claim, street

from claims.coding import check_coding
from claims.fhir import FhirMappingError, claim_from_fhir, map_fhir_claim
from claims.scrub import scrub
from claims.x12.render_837p import render_837p
from claims.x12.validate import validate
from tests.claims.x12.x12_testkit import envelope, ulid

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def resource(**contained: dict[str, Any]) -> dict[str, Any]:
    """The happy-path Claim with contained resources replaced or added by id."""
    r = copy.deepcopy(fhir_claim())
    by_id = {c["id"]: i for i, c in enumerate(r["contained"])}
    for rid, res in contained.items():
        res = {**res, "id": rid}
        if rid in by_id:
            r["contained"][by_id[rid]] = res
        else:
            r["contained"].append(res)
    return r


def contained(r: dict[str, Any], rid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in r["contained"] if c["id"] == rid)
    return found


def refusal(r: dict[str, Any]) -> FhirMappingError:
    with pytest.raises(FhirMappingError) as caught:
        claim_from_fhir(r)
    return caught.value


# ---------------------------------------------------------------------------- providers


def test_provider_as_a_practitioner_role_bills_as_its_organization() -> None:
    r = resource(
        role={
            "resourceType": "PractitionerRole",
            "practitioner": {"reference": "#dr"},
            "organization": {"reference": "#org"},
            "specialty": [{"coding": [{"system": "http://nucc.org/provider-taxonomy",
                                       "code": "207Q00000X"}]}],
        }
    )  # fmt: skip
    r["provider"] = {"reference": "#role"}
    del r["careTeam"]
    for item in r["item"]:
        del item["careTeamSequence"]
    mapped = map_fhir_claim(r)
    claim = mapped.claim
    assert claim.billing_provider.npi == BILLING_NPI and not claim.billing_provider.is_person
    assert claim.rendering_provider is not None
    assert (claim.rendering_provider.npi, claim.rendering_provider.last_name) == (
        RENDERING_NPI,
        "Smith",
    )
    assert claim.rendering_provider.taxonomy == "207Q00000X"
    assert any("PractitionerRole" in note for note in mapped.notes)
    text = render_837p([claim.with_id(ulid(1))], envelope=envelope())
    assert f"~NM1*82*1*SMITH*ALEX****XX*{RENDERING_NPI}~PRV*PE*PXC*207Q00000X~" in text
    assert validate(text) == []


def test_a_practitioner_role_without_organization_bills_as_the_practitioner() -> None:
    dr = {**contained(fhir_claim(), "dr"), "address": [street()]}
    dr["identifier"] = [*dr["identifier"], {"system": "urn:oid:2.16.840.1.113883.4.4",
                                            "value": "987654321"}]  # fmt: skip
    r = resource(dr=dr, role={"resourceType": "PractitionerRole",
                              "practitioner": {"reference": "#dr"}})  # fmt: skip
    r["provider"] = {"reference": "#role"}
    claim = claim_from_fhir(r)
    assert claim.billing_provider.is_person and claim.billing_provider.npi == RENDERING_NPI


def test_care_team_may_be_a_practitioner_role_or_an_organization() -> None:
    r = resource(
        role={"resourceType": "PractitionerRole", "practitioner": {"reference": "#dr"},
              "identifier": [{"system": NPI, "value": RENDERING_NPI}]},
        lab={"resourceType": "Organization", "name": "Springfield Lab",
             "identifier": [{"system": NPI, "value": OTHER_NPI}]},
    )  # fmt: skip
    r["careTeam"][0]["provider"] = {"reference": "#role"}
    r["careTeam"][1]["provider"] = {"reference": "#lab"}
    claim = claim_from_fhir(r)
    assert claim.rendering_provider is not None and claim.rendering_provider.is_person
    lab = claim.lines[1].rendering_provider
    assert lab is not None and (lab.name, lab.npi) == ("Springfield Lab", OTHER_NPI)
    text = render_837p([claim.with_id(ulid(2))], envelope=envelope())
    assert f"~NM1*82*2*SPRINGFIELD LAB*****XX*{OTHER_NPI}~" in text
    assert validate(text) == []


# ------------------------------------------------------------------- codes and the member id


def test_place_of_service_in_the_r4_core_system() -> None:
    r = fhir_claim()
    r["item"][0]["locationCodeableConcept"] = {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/ex-serviceplace",
                    "code": "11"}]
    }  # fmt: skip
    assert claim_from_fhir(r).place_of_service == "11"


def test_member_id_from_a_coverage_identifier_of_type_mb() -> None:
    r = fhir_claim()
    cov = contained(r, "cov")
    del cov["subscriberId"]
    cov["identifier"] = [
        {"type": {"coding": [{"system": V2_0203, "code": "SN"}]}, "value": "SUB-1"},
        {"type": {"coding": [{"system": V2_0203, "code": "MB"}]}, "value": "MB-778"},
    ]
    assert claim_from_fhir(r).subscriber.member_id == "MB-778"
    cov["identifier"] = cov["identifier"][:1]
    assert refusal(r).path.endswith(".subscriberId")


def test_medical_record_number_from_a_patient_identifier_of_type_mr() -> None:
    r = fhir_claim()
    contained(r, "pat")["identifier"] = [
        {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "value": "MRN-1"}
    ]
    claim = claim_from_fhir(r)
    assert claim.medical_record_number == "MRN-1"
    assert "~REF*EA*MRN-1~" in render_837p([claim.with_id(ulid(3))], envelope=envelope())


def test_refusals_name_the_value_as_written() -> None:
    r = fhir_claim()
    r["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "M54.5.1"
    err = refusal(r)
    assert err.path == "Claim.diagnosis[0].diagnosisCodeableConcept" and "'M54.5.1'" in err.reason
    r = fhir_claim()
    r["item"][0]["productOrService"]["coding"][0]["code"] = "992130"
    assert "'992130'" in refusal(r).reason
    r = fhir_claim()
    r["item"][0]["modifier"] = [{"coding": [{"code": "2X5"}]}]
    assert "'2X5'" in refusal(r).reason


def test_coding_findings_name_the_diagnosis_as_the_ehr_wrote_it() -> None:
    """Issue 10: M54.5 (retired in FY2022) is reported as M54.5, not only as M545."""
    r = fhir_claim()
    r["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["code"] = "M54.5"
    (finding,) = check_coding(claim_from_fhir(r)).errors
    assert "M54.5" in finding.message


# -------------------------------------------------------------------------- who is who


def dependent_of(subscriber: dict[str, Any], relationship: str | None = "child") -> dict[str, Any]:
    parent = {"resourceType": "RelatedPerson", "patient": {"reference": "#pat"},
              "name": [{"family": "Jones", "given": ["Robin"]}], **subscriber}  # fmt: skip
    r = resource(parent=parent)
    cov = contained(r, "cov")
    cov["subscriber"] = {"reference": "#parent"}
    if relationship is None:
        del cov["relationship"]
    else:
        cov["relationship"] = {"coding": [{"code": relationship}]}
    return r


def test_a_dependent_whose_subscriber_has_no_birth_date_maps() -> None:
    """Issue 15 #2: the guide needs no subscriber birth date for a dependent's claim."""
    claim = claim_from_fhir(dependent_of({}))
    assert claim.subscriber.date_of_birth is None and claim.patient is not None
    assert scrub(claim, today=TODAY).ok
    text = render_837p([claim.with_id(ulid(4))], envelope=envelope())
    assert text.count("~DMG*") == 1 and validate(text) == []
    partial = claim_from_fhir(dependent_of({"birthDate": "1965-02"}))
    assert partial.subscriber.date_of_birth is None


def test_relationship_absent_while_the_subscriber_is_someone_else_is_refused() -> None:
    """Issue 15 #3: never billed as if the patient were the subscriber."""
    err = refusal(dependent_of({"birthDate": "1965-01-02"}, relationship=None))
    assert err.path.endswith(".relationship") and "Coverage.relationship is absent" in err.reason
    assert "#parent" in err.reason and "does not guess" in err.reason


def test_relationship_is_derived_only_where_fhir_makes_it_certain() -> None:
    r = fhir_claim()
    cov = contained(r, "cov")
    del cov["relationship"]
    assert "does not say who holds the policy" in refusal(r).reason
    cov["subscriber"] = {"reference": "#pat"}  # the patient holds the policy: certain
    assert claim_from_fhir(r).patient is None


def test_a_relationship_that_contradicts_the_subscriber_is_refused() -> None:
    r = dependent_of({"birthDate": "1965-01-02"}, relationship="self")
    assert refusal(r).path.endswith(".subscriber")
    r = fhir_claim()
    contained(r, "cov").update(
        relationship={"coding": [{"code": "child"}]}, subscriber={"reference": "#pat"}
    )
    assert refusal(r).path.endswith(".subscriber")


@pytest.mark.parametrize(("born", "part"), [("1970", "a year;"), ("1970-05", "a year and month")])
def test_a_partial_patient_birth_date_is_refused_saying_the_837p_needs_a_full_one(
    born: str, part: str
) -> None:
    r = fhir_claim()
    contained(r, "pat")["birthDate"] = born
    err = refusal(r)
    assert err.path == "Claim.contained[0].birthDate"
    assert f"only {part}" in err.reason and "full date of birth" in err.reason
    assert "zero time" not in err.reason


# --------------------------------------------------------------- identifier and claim kind


def test_no_identifier_falls_back_to_the_resource_id_and_says_so() -> None:
    r = fhir_claim()
    del r["identifier"]
    mapped = map_fhir_claim(r)
    assert mapped.claim.account_number == "example"
    assert mapped.notes and "resource id" in mapped.notes[0]
    del r["id"]
    assert refusal(r).path == "Claim.identifier"


@pytest.mark.parametrize(
    ("kind", "needs"),
    [("institutional", "837I"), ("oral", "837D"), ("pharmacy", "NCPDP"), ("vision", "vision")],
)
def test_official_non_professional_examples_are_refused_clearly(kind: str, needs: str) -> None:
    """Shaped like HL7's R4 examples (claim-example-institutional and friends): references
    to a server, an enterer, a facility; refused at Claim.type before anything else."""
    r = {
        "resourceType": "Claim", "id": "960150", "status": "active", "use": "claim",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                             "code": kind}]},
        "patient": {"reference": "Patient/1"}, "created": "2014-08-16",
        "enterer": {"identifier": {"system": "http://jurisdiction.org/users", "value": "U1"}},
        "provider": {"reference": "Organization/1"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/9"}}],
        "diagnosis": [{"sequence": 1,
                       "diagnosisCodeableConcept": {"coding": [{"system": ICD, "code": "I10"}]}}],
        "item": [{"sequence": 1, "productOrService": {"coding": [{"code": "exam"}]},
                  "servicedDate": "2014-08-16", "net": {"value": 125.0, "currency": "USD"}}],
    }  # fmt: skip
    err = refusal(r)
    assert err.path == "Claim.type"
    assert kind in err.reason and needs in err.reason and "professional" in err.reason
