"""837P rendering: pyx12-clean for every branch, read back to the same claims, and what the
implementation guide asks beyond syntax (issue 15: CLM01, dependents, provider names,
REF*EA)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from x12_testkit import dependent, envelope, example_claims, ulid, varied_claims

from claims.model import Claim
from claims.x12.control import patient_control_number as pcn
from claims.x12.parse import Delimiters, tokenize
from claims.x12.read_837p import SubmittedClaim, parse_837p
from claims.x12.render_837p import RenderError, render_837p, transaction_claim_ids
from claims.x12.validate import validate
from tests.claims.claims_testkit import clean_claim, line


def assert_round_trip(claims: list[Claim], submitted: list[SubmittedClaim]) -> None:
    """Same claims (batched claims are regrouped by subscriber, so order may change)."""
    assert sorted(s.claim_id for s in submitted) == sorted(pcn(c.claim_id or "") for c in claims)
    by_id = {s.claim_id: s for s in submitted}
    for claim in claims:
        sent = by_id[pcn(claim.claim_id or "")]
        assert len(sent.claim_id) <= 20
        assert sent.total_charge == claim.total_charge
        assert sent.line_total == claim.line_total
        assert sent.frequency_code == claim.frequency_code
        assert sent.payer_claim_control_number == (
            claim.payer_claim_control_number if claim.frequency_code != "1" else None
        )
        assert sent.prior_authorization == claim.prior_authorization
        # REF*EA is the medical record number; the account number is not sent.
        assert sent.account_number == claim.medical_record_number
        assert sent.diagnoses == tuple(claim.diagnoses)
        assert sent.patient_is_subscriber == (claim.patient is None)
        assert sent.member_id == claim.subscriber.member_id
        assert sent.payer_id == claim.payer.payer_id
        for ours, theirs in zip(claim.lines, sent.lines, strict=True):
            assert theirs.procedure_code == ours.procedure_code
            assert theirs.modifiers == tuple(ours.modifiers)
            assert theirs.charge == ours.charge
            assert theirs.units == ours.units
            assert theirs.diagnosis_pointers == tuple(ours.diagnosis_pointers)
            assert theirs.service_date_from == ours.service_date_from
            assert theirs.service_date_to == ours.service_date_to


@pytest.mark.parametrize("per_transaction", [1, 2, 50])
def test_example_claims_validate_and_read_back(per_transaction: int) -> None:
    claims = example_claims()
    text = render_837p(claims, envelope=envelope(), claims_per_transaction=per_transaction)
    assert validate(text) == []
    assert_round_trip(claims, parse_837p(text))


def test_batch_of_varied_claims_in_one_interchange() -> None:
    """Patient != subscriber, frequency 7 and 8 with REF*F8, modifiers, ranges, POS."""
    claims = varied_claims() + example_claims()
    text = render_837p(claims, envelope=envelope(), claims_per_transaction=4)
    assert validate(text) == []
    submitted = parse_837p(text)
    assert_round_trip(claims, submitted)
    assert text.count("ST*837*") == -(-len(claims) // 4)
    # REF*F8 only for replacement and void claims.
    assert text.count("REF*F8*") == 2
    assert f"CLM*{pcn(ulid(103))}*100***11:B:7*Y*A*Y*Y~REF*F8*PCN-2026-0001~" in text
    assert f"CLM*{pcn(ulid(105))}*100***11:B:8*Y*A*Y*Y~REF*F8*PCN-2026-0002~" in text


def test_each_varied_claim_alone_is_valid() -> None:
    for claim in varied_claims():
        text = render_837p([claim], envelope=envelope())
        assert validate(text) == [], claim.claim_id


def test_patient_loop_only_when_patient_differs() -> None:
    self_claim, dependent_claim = varied_claims()[:2]
    text = render_837p([self_claim, dependent_claim], envelope=envelope())
    first, second = text.split("ST*837*")[1:]
    assert "HL*2*1*22*0~SBR*P*18*" in first and "*23*0~" not in first
    assert "HL*2*1*22*1~SBR*P********CI~" in second
    assert "HL*3*2*23*0~PAT*19~NM1*QC*1*JONES*SAM~" in second


def test_a_dependents_subscriber_loop_has_no_address_or_birth_date() -> None:
    """Issue 15 #2: 2010BA N3/N4 and DMG only when the subscriber is the patient."""
    self_claim, dependent_claim = varied_claims()[:2]
    assert self_claim.subscriber.address is not None
    text = render_837p([dependent_claim], envelope=envelope())
    assert "~NM1*IL*1*JONES*PAT****MI*MEM123~NM1*PR*2*" in text
    assert "DMG*D8*19700506" not in text and "N3*5 ELM STREET~" in text  # the patient's
    assert text.count("~DMG*") == 1 and "~PAT*19~NM1*QC*1*JONES*SAM~N3*" in text
    assert validate(text) == []
    # A dependent's subscriber needs no birth date at all.
    unborn = dependent_claim.model_copy(
        update={"subscriber": dependent_claim.subscriber.model_copy(update={"date_of_birth": None})}
    )
    assert validate(render_837p([unborn], envelope=envelope())) == []
    self_text = render_837p([self_claim], envelope=envelope())
    assert "~NM1*IL*1*JONES*PAT****MI*MEM123~N3*5 ELM STREET~N4*" in self_text
    assert "~DMG*D8*19700506*F~" in self_text


def test_clm01_is_the_20_character_control_number_and_ref_ea_the_record_number() -> None:
    """Issue 15 #1 and #5: CLM01 is the patient control number, at most 20 characters;
    REF*EA carries only a medical record number, never the account number."""
    claim = clean_claim(account_number="ACCT-SECRET-1").with_id(ulid(31))
    text = render_837p([claim], envelope=envelope())
    assert f"~CLM*{pcn(ulid(31))}*" in text and len(pcn(ulid(31))) == 20
    assert ulid(31) not in text and "ACCT-SECRET-1" not in text and "REF*EA" not in text
    with_mrn = clean_claim(medical_record_number="MRN-0042").with_id(ulid(31))
    assert "~REF*EA*MRN-0042~" in render_837p([with_mrn], envelope=envelope())
    recorded = render_837p([claim], envelope=envelope(), control_numbers=lambda _: "CF00000001")
    assert "~CLM*CF00000001*" in recorded
    with pytest.raises(RenderError, match="patient control number"):
        render_837p([claim], envelope=envelope(), control_numbers=lambda _: "X" * 21)


def test_lines_and_hierarchy_details() -> None:
    claim = varied_claims()[3]
    text = render_837p([claim], envelope=envelope())
    assert "HI*ABK:M25561*ABF:M1711*ABF:E119*ABF:I10~" in text
    assert "SV1*HC:20610:RT:XS:59:76*262.5*UN*1*22**1:2~" in text  # POS differs: SV105
    assert "SV1*HC:99214:25*175*UN*1***1~" in text
    assert "SV1*HC:J3301*50*UN*4***1~DTP*472*RD8*20260302-20260303~" in text
    assert "REF*G1*AUTH-1~" in text


def test_claims_share_provider_and_subscriber_loops_when_batched() -> None:
    a = clean_claim().with_id(ulid(1))
    b = clean_claim(line("99214", charge="175.00")).with_id(ulid(2))
    text = render_837p([a, b], envelope=envelope(), claims_per_transaction=10)
    assert text.count("HL*") == 2 and text.count("CLM*") == 2
    assert validate(text) == []


def test_rendering_providers() -> None:
    """Issue 15 #4: a person is NM102 1 with last and first name, an organisation NM102 2;
    2420A only when the line's provider differs, with its real name."""
    claim = example_claims()[0]
    assert claim.rendering_provider is not None
    text = render_837p([claim], envelope=envelope())
    assert f"NM1*82*1*WHITFIELD*DANA****XX*{claim.rendering_provider.npi}~" in text
    other = "1555555556"
    lab = {"npi": other, "name": "Springfield Reference Lab"}
    lined = clean_claim(
        line(rendering_provider={"npi": other, "last_name": "Lee", "first_name": "Kim"}),
        line("85025", rendering_provider=lab),
        line("80053", rendering_npi=claim.rendering_provider.npi),
        rendering_provider=claim.rendering_provider.model_dump(),
    ).with_id(ulid(7))
    text = render_837p([lined], envelope=envelope())
    assert f"~NM1*82*1*LEE*KIM****XX*{other}~" in text
    assert f"~NM1*82*2*SPRINGFIELD REFERENCE LAB*****XX*{other}~" in text
    assert "RENDERING PROVIDER" not in text
    assert text.count("~NM1*82*") == 3  # claim level, and the two lines that differ
    assert validate(text) == []
    billing_person = clean_claim(
        billing_provider={**claim.billing_provider.model_dump(), "name": None,
                          "last_name": "Rivera", "first_name": "Sam"}
    ).with_id(ulid(8))  # fmt: skip
    text = render_837p([billing_person], envelope=envelope())
    assert f"~NM1*85*1*RIVERA*SAM****XX*{claim.billing_provider.npi}~" in text
    assert validate(text) == []
    unnamed = clean_claim(line(rendering_npi=other)).with_id(ulid(9))
    with pytest.raises(RenderError, match="no name"):
        render_837p([unnamed], envelope=envelope())


def test_control_numbers_come_from_the_envelope() -> None:
    claims = varied_claims()[:3]
    env = envelope(
        interchange_control_number=4711, group_control_number=88,
        transaction_set_control_number=120, usage="P",
    )  # fmt: skip
    text = render_837p(claims, envelope=env)
    segments = tokenize(text).segments
    isa = segments[0]
    assert isa.get(13) == "000004711" and isa.get(15) == "P"
    assert segments[1].get(6) == "88"
    assert [s.get(2) for s in segments if s.id == "ST"] == ["0120", "0121", "0122"]
    assert transaction_claim_ids(claims, envelope=env) == {
        "0120": (ulid(101),), "0121": (ulid(102),), "0122": (ulid(103),),
    }  # fmt: skip
    assert segments[-1].elements == ("IEA", "1", "000004711")


def test_other_delimiters_from_the_envelope() -> None:
    env = envelope(delimiters=Delimiters("|", ">", "{", "~"))
    claims = varied_claims()
    text = render_837p(claims, envelope=env, claims_per_transaction=3)
    assert text.startswith("ISA|00|") and "HC>99213" in text
    assert validate(text) == []
    assert_round_trip(claims, parse_837p(text))


def test_names_are_transliterated_and_delimiters_refused() -> None:
    subscriber = {
        "member_id": "MEM123", "first_name": "Zoë", "last_name": "O'Brien-Smith Jr.",
        "date_of_birth": "1970-05-06", "sex": "F",
        "address": {"line1": "5 Elm St Rear", "city": "Springfield", "state": "IL",
                    "postal_code": "62702"},
    }  # fmt: skip
    text = render_837p([clean_claim(subscriber=subscriber).with_id(ulid(9))], envelope=envelope())
    assert "NM1*IL*1*O'BRIEN-SMITH JR.*ZOE****MI*MEM123~" in text
    assert validate(text) == []
    # A delimiter would shift every later element: refused (scrub reports it first).
    bad = clean_claim(subscriber={**subscriber, "last_name": "O'Brien*Smith"}).with_id(ulid(9))
    with pytest.raises(RenderError, match="delimiter"):
        render_837p([bad], envelope=envelope())


def test_identifier_with_a_delimiter_is_refused() -> None:
    claim = clean_claim(prior_authorization="PA*1").with_id(ulid(9))
    with pytest.raises(RenderError, match="prior authorization"):
        render_837p([claim], envelope=envelope())


@pytest.mark.parametrize(
    ("claim", "fragment"),
    [
        (clean_claim(), "without claim_id"),
        (clean_claim(frequency_code="7").with_id(ulid(1)), "REF\\*F8"),
        (clean_claim(frequency_code="8").with_id(ulid(1)), "REF\\*F8"),
        (
            clean_claim(billing_provider={"npi": "1234567893", "name": "X", "tax_id": "123456789"})
            .with_id(ulid(1)),
            "billing provider's address",
        ),
        (
            clean_claim(billing_provider={"npi": "1234567893", "name": "X", "address": {
                "line1": "1 A St", "city": "B", "state": "IL", "postal_code": "627011234"}})
            .with_id(ulid(1)),
            "tax id",
        ),
        (clean_claim(patient=dependent(address=None)).with_id(ulid(1)), "patient's address"),
    ],
)  # fmt: skip
def test_claims_the_guide_cannot_carry(claim: Claim, fragment: str) -> None:
    with pytest.raises(RenderError, match=fragment):
        render_837p([claim], envelope=envelope())


def test_subscriber_address_optional_when_patient_differs() -> None:
    claim = clean_claim(
        patient=dependent(),
        subscriber={"member_id": "MEM123", "first_name": "Pat", "last_name": "Jones",
                    "date_of_birth": "1970-05-06", "sex": "F"},
    ).with_id(ulid(3))  # fmt: skip
    assert validate(render_837p([claim], envelope=envelope())) == []


def test_envelope_refuses_bad_identities() -> None:
    with pytest.raises(ValueError, match="sender_id"):
        envelope(sender_id="A" * 16)
    with pytest.raises(ValueError, match="interchange_control_number"):
        envelope(interchange_control_number=0)
    with pytest.raises(ValueError, match="receiver_id"):
        envelope(receiver_id="A*B")


def test_no_claims() -> None:
    with pytest.raises(ValueError, match="at least one claim"):
        render_837p([], envelope=envelope())


def test_money_is_rendered_without_trailing_zeros() -> None:
    claim = clean_claim(line(charge="100.10"), line("85025", charge="0.05")).with_id(ulid(5))
    text = render_837p([claim], envelope=envelope())
    assert f"CLM*{pcn(ulid(5))}*100.15*" in text and "*100.1*UN*" in text and "*0.05*UN*" in text
    assert parse_837p(text)[0].total_charge == Decimal("100.15")


def test_a_name_with_nothing_x12_can_carry_is_refused() -> None:
    claim = clean_claim(
        subscriber={"member_id": "MEM123", "first_name": "Pat", "last_name": "**",
                    "date_of_birth": "1970-05-06", "sex": "F", "address": None},
        patient=dependent(),
    ).with_id(ulid(9))  # fmt: skip
    with pytest.raises(RenderError, match="delimiter"):
        render_837p([claim], envelope=envelope())


def test_more_than_100_claims_of_one_subscriber_split_the_subscriber_loop() -> None:
    claims = [clean_claim().with_id(ulid(n)) for n in range(1, 106)]
    text = render_837p(claims, envelope=envelope(), claims_per_transaction=200)
    assert text.count("*22*0~SBR*") == 2 and text.count("~CLM*") == 105
    assert validate(text) == []
