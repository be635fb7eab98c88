"""A second, independent reader agrees on claimflow's 837Ps: imsweb's x12-parser (Java).

pyx12 is one reader; imsweb (its own 005010X222A1 map, its own required-element checks) is
another. Every 837P claimflow renders from its examples and test claims must read without
an error in both, and imsweb must find what claimflow meant to say: the 20-character CLM01,
the amounts and lines our own reader finds, a dependent's subscriber without N3/N4/DMG,
providers as persons or organisations, REF*EA only as a medical record number.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from imsweb import ClaimSeen, Reading, read_837p, read_837ps
from x12_testkit import EXAMPLES, dependent, envelope, example_claims, ulid, varied_claims

from claims.fhir import claim_from_fhir
from claims.model import Claim, Provider
from claims.x12.control import patient_control_number as pcn
from claims.x12.envelope import money
from claims.x12.read_837p import parse_837p
from claims.x12.render_837p import render_837p
from claims.x12.validate import validate
from tests.claims.claims_testkit import RENDERING_NPI, clean_claim, line

LAB = {"npi": "1555555556", "name": "Springfield Reference Lab"}


def ehr_style_claims() -> list[Claim]:
    """What issue 15 added: dependents without a subscriber birth date, person providers,
    line rendering providers, a medical record number, names to transliterate."""
    fhir = claim_from_fhir(json.loads((EXAMPLES / "fhir-claim.json").read_text()))
    person = {"npi": RENDERING_NPI, "last_name": "Núñez", "first_name": "José"}
    return [
        fhir.with_id(ulid(201)),
        clean_claim(
            patient=dependent(),
            subscriber={
                "member_id": "MEM123",
                "first_name": "Pat",
                "last_name": "Jones",
                "sex": "F",
            },
            medical_record_number="MRN-0042",
        ).with_id(ulid(202)),  # fmt: skip
        clean_claim(
            line(rendering_provider=LAB),
            line("85025", rendering_provider=person),
            rendering_provider=person,
        ).with_id(ulid(203)),  # fmt: skip
        clean_claim(
            billing_provider={
                "npi": "1234567893",
                "last_name": "Rivera",
                "first_name": "Sam",
                "tax_id": "123456789",
                "address": {
                    "line1": "100 Main St",
                    "city": "Springfield",
                    "state": "IL",
                    "postal_code": "627011234",
                },
            },
        ).with_id(ulid(204)),  # fmt: skip
    ]


def corpus() -> dict[str, tuple[list[Claim], str]]:
    every = example_claims() + varied_claims() + ehr_style_claims()
    files = {
        f"{c.claim_id}": ([c], render_837p([c], envelope=envelope())) for c in every
    }  # one claim per file: a finding points at its claim
    files["batched"] = (every, render_837p(every, envelope=envelope(), claims_per_transaction=50))
    return files


@pytest.fixture(scope="module")
def readings() -> dict[str, tuple[list[Claim], str, Reading]]:
    files = corpus()
    seen = read_837ps([text for _, text in files.values()])
    pairs = zip(files.items(), seen, strict=True)
    return {name: (claims, text, r) for (name, (claims, text)), r in pairs}


def names_of(provider: Provider) -> tuple[str, str]:
    return ("1", provider.last_name or "") if provider.is_person else ("2", provider.name or "")


def agree(claim: Claim, seen: ClaimSeen) -> None:
    assert seen.clm[1] == pcn(claim.claim_id or "") and len(seen.clm[1]) <= 20
    assert seen.clm[2] == money(claim.total_charge)
    sub_ids = [s[0] for s in seen.subscriber.segments]
    nm1 = seen.subscriber.segments[0]
    assert nm1[1:3] == ["IL", "1"] and nm1[3] and nm1[9] == claim.subscriber.member_id
    if claim.patient is None:
        assert seen.patient is None and "N3" in sub_ids and "DMG" in sub_ids
    else:
        assert seen.patient is not None and "N3" not in sub_ids and "DMG" not in sub_ids
        assert [s[0] for s in seen.patient.segments][-1] == "DMG"
    assert seen.refs.get("EA") == claim.medical_record_number
    billing = seen.billing.segment("NM1")
    assert billing is not None and billing[2] == names_of(claim.billing_provider)[0]
    rendering = claim.rendering_provider
    if rendering is None or rendering.npi == claim.billing_provider.npi:
        assert seen.rendering is None
    else:
        assert seen.rendering is not None and seen.rendering[2] == names_of(rendering)[0]
    claim_npi = rendering.npi if rendering else claim.billing_provider.npi
    assert len(seen.lines) == len(claim.lines)
    for ours, (sv1, nm1_82) in zip(claim.lines, seen.lines, strict=True):
        assert sv1[1].split(":")[1] == ours.procedure_code
        assert Decimal(sv1[2]) == ours.charge
        differs = ours.rendering_npi is not None and ours.rendering_npi != claim_npi
        assert (nm1_82 is not None) == differs
        if nm1_82 is not None:
            assert nm1_82[3] and nm1_82[9] == ours.rendering_npi


def test_both_readers_read_every_837p_without_an_error(
    readings: dict[str, tuple[list[Claim], str, Reading]],
) -> None:
    for name, (_, text, reading) in readings.items():
        assert reading.errors == [] and reading.fatal == [], name
        assert validate(text) == [], name


def test_imsweb_finds_what_claimflow_meant_and_what_our_reader_reads(
    readings: dict[str, tuple[list[Claim], str, Reading]],
) -> None:
    for name, (claims, text, reading) in readings.items():
        seen = {c.clm[1]: c for c in reading.claims()}
        ours = {c.claim_id: c for c in parse_837p(text)}
        assert set(seen) == set(ours) == {pcn(c.claim_id or "") for c in claims}, name
        for claim in claims:
            key = pcn(claim.claim_id or "")
            agree(claim, seen[key])
            mine = ours[key]
            assert Decimal(seen[key].clm[2]) == mine.total_charge
            assert [Decimal(sv1[2]) for sv1, _ in seen[key].lines] == [
                ln.charge for ln in mine.lines
            ]


def test_imsweb_reports_the_blank_name_issue_15_was_about() -> None:
    """The defect of issue 15 #6 (a name that folded to nothing: an empty NM103) is what
    imsweb and pyx12 both report; claimflow now refuses such a name before it renders."""
    good = render_837p([clean_claim().with_id(ulid(1))], envelope=envelope())
    blank = good.replace("NM1*IL*1*JONES*PAT*", "NM1*IL*1**PAT*")
    assert blank != good
    reading = read_837p(blank)
    assert any("NM1" in e and "2010BA" in e for e in reading.errors), reading.errors
    assert validate(blank) != []
