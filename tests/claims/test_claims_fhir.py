"""FHIR R4 Claim -> claimflow Claim (claims.fhir): the happy path and each refusal."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from claims_testkit import BILLING_NPI, OTHER_NPI, RENDERING_NPI, TODAY

from claims.coding import check_coding
from claims.fhir import CPT_SYSTEMS, FhirMappingError, claim_from_fhir
from claims.scrub import scrub

NPI = "http://hl7.org/fhir/sid/us-npi"
EIN = "urn:oid:2.16.840.1.113883.4.4"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = next(iter(sorted(CPT_SYSTEMS)))
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"


def street(line: str = "100 Main Street", postal: str = "62701-1234") -> dict[str, Any]:
    return {"line": [line], "city": "Springfield", "state": "IL", "postalCode": postal}


def fhir_claim() -> dict[str, Any]:
    return {
        "resourceType": "Claim",
        "id": "example",
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "claim",
        "created": "2026-03-05",
        "identifier": [{"system": "urn:example:acct", "value": "ACCT-77"}],
        "patient": {"reference": "#pat"},
        "provider": {"reference": "#org"},
        "priority": {"coding": [{"code": "normal"}]},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "pat",
                "name": [{"family": "Jones", "given": ["Pat"]}],
                "birthDate": "1970-05-06",
                "gender": "female",
                "address": [street("5 Elm Street", "62702")],
            },
            {
                "resourceType": "Organization",
                "id": "org",
                "name": "Springfield Family Practice",
                "identifier": [
                    {"system": NPI, "value": BILLING_NPI},
                    {"system": EIN, "value": "123456789"},
                ],
                "address": [street()],
            },
            {
                "resourceType": "Practitioner",
                "id": "dr",
                "name": [{"family": "Smith", "given": ["Alex"]}],
                "identifier": [{"system": NPI, "value": RENDERING_NPI}],
            },
            {
                "resourceType": "Practitioner",
                "id": "dr2",
                "name": [{"family": "Lee", "given": ["Kim"]}],
                "identifier": [{"system": NPI, "value": OTHER_NPI}],
            },
            {
                "resourceType": "Coverage",
                "id": "cov",
                "status": "active",
                "subscriberId": "MEM123",
                "beneficiary": {"reference": "#pat"},
                "relationship": {"coding": [{"code": "self"}]},
                "payor": [{"reference": "#payer"}],
            },
            {
                "resourceType": "Organization",
                "id": "payer",
                "name": "Acme Health",
                "identifier": [{"value": "PAYER1"}],
            },
        ],
        "careTeam": [
            {
                "sequence": 1,
                "provider": {"reference": "#dr"},
                "role": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                            "code": "primary",
                        }
                    ]
                },
            },
            {"sequence": 2, "provider": {"reference": "#dr2"}},
        ],
        "insurance": [
            {
                "sequence": 1,
                "focal": True,
                "coverage": {"reference": "#cov"},
                "preAuthRef": ["AUTH42"],
            }
        ],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD, "code": "I10"}]},
            },
            {
                "sequence": 2,
                "diagnosisCodeableConcept": {"coding": [{"system": ICD, "code": "E11.9"}]},
                "type": [{"coding": [{"code": "principal"}]}],
            },
        ],
        "item": [
            {
                "sequence": 1,
                "careTeamSequence": [1],
                "diagnosisSequence": [2, 1],
                "productOrService": {"coding": [{"system": CPT, "code": "99213"}]},
                "modifier": [{"coding": [{"code": "25"}]}],
                "servicedDate": "2026-03-02",
                "locationCodeableConcept": {"coding": [{"system": POS, "code": "11"}]},
                "quantity": {"value": 1},
                "net": {"value": 120.00, "currency": "USD"},
            },
            {
                "sequence": 2,
                "careTeamSequence": [2],
                "diagnosisSequence": [2],
                "productOrService": {"coding": [{"system": HCPCS, "code": "J3420"}]},
                "servicedPeriod": {"start": "2026-03-02", "end": "2026-03-02"},
                "quantity": {"value": 1},
                "unitPrice": {"value": 15.5, "currency": "USD"},
            },
        ],
        "total": {"value": 135.50, "currency": "USD"},
    }


def test_happy_path_maps_every_element() -> None:
    claim = claim_from_fhir(fhir_claim())
    assert claim.account_number == "ACCT-77"
    assert claim.billing_provider.npi == BILLING_NPI
    assert claim.billing_provider.tax_id == "123456789"
    assert claim.billing_provider.address is not None
    assert claim.billing_provider.address.postal_code == "627011234"
    assert claim.rendering_provider is not None
    assert claim.rendering_provider.npi == RENDERING_NPI
    assert claim.rendering_provider.is_person
    assert (claim.rendering_provider.last_name, claim.rendering_provider.first_name) == (
        "Smith",
        "Alex",
    )
    assert claim.subscriber.member_id == "MEM123"
    assert (claim.subscriber.last_name, claim.subscriber.sex) == ("Jones", "F")
    assert claim.patient is None
    assert (claim.payer.payer_id, claim.payer.name) == ("PAYER1", "Acme Health")
    assert claim.prior_authorization == "AUTH42"
    assert claim.frequency_code == "1"
    # The principal diagnosis goes first; pointers follow it.
    assert claim.diagnoses == ["E119", "I10"]
    first, second = claim.lines
    assert first.diagnosis_pointers == [1, 2]
    assert second.diagnosis_pointers == [1]
    assert (first.procedure_code, first.modifiers, first.charge) == (
        "99213",
        ["25"],
        Decimal("120"),
    )
    assert first.rendering_npi is None  # same as the claim's rendering provider
    assert second.rendering_npi == OTHER_NPI
    assert second.charge == Decimal("15.50")
    assert second.service_date_from == dt.date(2026, 3, 2)
    assert second.service_date_to is None
    assert claim.place_of_service == "11"
    assert claim.total_charge == Decimal("135.50")


def test_mapped_claim_codes_and_scrubs_clean() -> None:
    claim = claim_from_fhir(fhir_claim())
    assert check_coding(claim).findings == ()
    assert scrub(claim, today=TODAY).findings == ()


def test_dependent_patient_with_related_person_subscriber() -> None:
    r = fhir_claim()
    cov = r["contained"][4]
    cov["relationship"] = {"coding": [{"code": "child"}]}
    cov["subscriber"] = {"reference": "#parent"}
    r["contained"].append(
        {
            "resourceType": "RelatedPerson",
            "id": "parent",
            "patient": {"reference": "#pat"},
            "name": [{"family": "Jones", "given": ["Robin"]}],
            "birthDate": "1965-01-02",
            "gender": "male",
            "address": [street("5 Elm Street", "62702")],
        }
    )
    claim = claim_from_fhir(r)
    assert claim.subscriber.first_name == "Robin"
    assert claim.patient is not None
    assert (claim.patient.first_name, claim.patient.relationship) == ("Pat", "19")
    assert claim.patient.member_id == "MEM123"


def test_replacement_claim_carries_the_prior_claim_number() -> None:
    r = fhir_claim()
    r["related"] = [
        {
            "claim": {"identifier": {"value": "PCN-1"}},
            "relationship": {"coding": [{"code": "prior"}]},
        }
    ]
    claim = claim_from_fhir(r)
    assert (claim.frequency_code, claim.payer_claim_control_number) == ("7", "PCN-1")


def test_total_defaults_to_the_sum_of_lines() -> None:
    r = fhir_claim()
    del r["total"]
    assert claim_from_fhir(r).total_charge == Decimal("135.50")


def test_unit_price_times_quantity() -> None:
    r = fhir_claim()
    r["item"][1]["quantity"] = {"value": 3}
    r["total"]["value"] = 166.5
    line = claim_from_fhir(r).lines[1]
    assert (line.units, line.charge) == (Decimal(3), Decimal("46.50"))


def test_service_period_spanning_days() -> None:
    r = fhir_claim()
    r["item"][1]["servicedPeriod"] = {"start": "2026-03-02", "end": "2026-03-04T10:00:00Z"}
    assert claim_from_fhir(r).lines[1].service_date_to == dt.date(2026, 3, 4)


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(r: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node: Any = r
        for part in head:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()


REFUSALS: list[tuple[str, Mutation, str]] = [
    ("not a claim", _set("resourceType", "Patient"), "resourceType"),
    ("invalid FHIR", _set("bogus", 1), "Claim.bogus"),
    ("draft", _set("status", "draft"), "Claim.status"),
    ("preauthorization", _set("use", "preauthorization"), "Claim.use"),
    ("institutional", _set("type.coding.0.code", "institutional"), "Claim.type"),
    ("external patient", _set("patient.reference", "Patient/123"), "Claim.patient"),
    ("absent contained", _set("provider.reference", "#nope"), "Claim.provider"),
    ("wrong contained type", _set("provider.reference", "#cov"), "Claim.provider"),
    (
        "provider without NPI",
        _set("contained.1.identifier", [{"system": EIN, "value": "1"}]),
        "Claim.contained[1].identifier",
    ),
    (
        "care team not contained",
        _set("careTeam.0.provider.reference", "Practitioner/9"),
        "Claim.careTeam[0].provider",
    ),
    ("no insurance", _set("insurance", _DELETE), "Claim.insurance"),
    ("no member id", _set("contained.4.subscriberId", _DELETE), "Claim.contained[4].subscriberId"),
    ("no payor", _set("contained.4.payor", []), "Claim.contained[4].payor"),
    ("payor without id", _set("contained.5.identifier", _DELETE), "Claim.contained[4].payor[0]"),
    (
        "unmapped relationship",
        _set("contained.4.relationship.coding.0.code", "injured"),
        "Claim.contained[4].relationship",
    ),
    (
        "dependent without subscriber",
        _set("contained.4.relationship.coding.0.code", "spouse"),
        "Claim.contained[4].subscriber",
    ),
    (
        "patient without birth date",
        _set("contained.0.birthDate", _DELETE),
        "Claim.contained[0].birthDate",
    ),
    ("patient without name", _set("contained.0.name", _DELETE), "Claim.contained[0].name"),
    (
        "address without street",
        _set("contained.0.address.0.line", _DELETE),
        "Claim.contained[0].address[0].line",
    ),
    (
        "address with a bad state",
        _set("contained.0.address.0.state", "Illinois"),
        "Claim.contained[0].address[0]",
    ),
    ("no diagnosis", _set("diagnosis", _DELETE), "Claim.diagnosis"),
    (
        "diagnosis by reference",
        _set("diagnosis.0", {"sequence": 1, "diagnosisReference": {"reference": "#c"}}),
        "Claim.diagnosis[0].diagnosisReference",
    ),
    (
        "not ICD-10-CM",
        _set("diagnosis.0.diagnosisCodeableConcept.coding.0.system", "http://snomed.info/sct"),
        "Claim.diagnosis[0].diagnosisCodeableConcept",
    ),
    (
        "too many diagnoses",
        _set(
            "diagnosis",
            [
                {
                    "sequence": n,
                    "diagnosisCodeableConcept": {"coding": [{"system": ICD, "code": "I10"}]},
                }
                for n in range(1, 14)
            ],
        ),
        "Claim.diagnosis",
    ),
    ("no items", _set("item", _DELETE), "Claim.item"),
    (
        "item detail",
        _set("item.0.detail", [{"sequence": 1, "productOrService": {"text": "x"}}]),
        "Claim.item[0].detail",
    ),
    (
        "not CPT or HCPCS",
        _set("item.0.productOrService.coding.0.system", "http://snomed.info/sct"),
        "Claim.item[0].productOrService",
    ),
    (
        "malformed procedure code",
        _set("item.0.productOrService.coding.0.code", "992130"),
        "Claim.item[0].productOrService",
    ),
    (
        "unknown diagnosis sequence",
        _set("item.0.diagnosisSequence", [7]),
        "Claim.item[0].diagnosisSequence[0]",
    ),
    (
        "no diagnosis pointer",
        _set("item.0.diagnosisSequence", _DELETE),
        "Claim.item[0].diagnosisSequence",
    ),
    ("no charge", _set("item.0.net", _DELETE), "Claim.item[0].net"),
    ("euros", _set("item.0.net.currency", "EUR"), "Claim.item[0].net.currency"),
    ("no date", _set("item.0.servicedDate", _DELETE), "Claim.item[0].servicedDate"),
    (
        "no place of service",
        _set("item.0.locationCodeableConcept", _DELETE),
        "Claim.item[0].locationCodeableConcept",
    ),
    (
        "unknown care team sequence",
        _set("item.0.careTeamSequence", [9]),
        "Claim.item[0].careTeamSequence[0]",
    ),
    (
        "replacement without number",
        _set("related", [{"relationship": {"coding": [{"code": "prior"}]}}]),
        "Claim.related[0].claim.identifier",
    ),
    ("total in euros", _set("total.currency", "EUR"), "Claim.total.currency"),
]


@pytest.mark.parametrize(
    ("mutate", "path"), [(m, p) for _, m, p in REFUSALS], ids=[name for name, _, _ in REFUSALS]
)
def test_refusals_name_the_fhir_element(mutate: Mutation, path: str) -> None:
    r = copy.deepcopy(fhir_claim())
    mutate(r)
    with pytest.raises(FhirMappingError) as caught:
        claim_from_fhir(r)
    assert caught.value.path == path, str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    assert caught.value.reason


def test_a_non_dict_is_refused() -> None:
    with pytest.raises(FhirMappingError, match="resourceType"):
        claim_from_fhir([])  # type: ignore[arg-type]
