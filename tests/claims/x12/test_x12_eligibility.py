"""270/271 (005010X279A1): what claimflow writes is pyx12-valid and reads back the same;
what other systems write is read liberally; what cannot be read is refused by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from x12_testkit import dependent, envelope, sample, ulid

from claims.eligibility import (
    Benefit,
    BenefitDate,
    EligibilityRequest,
    EligibilityResult,
    EligibilityStatus,
    RejectReason,
    request_for_claim,
)
from claims.x12.eligibility_270 import Inquiry, originator_id, parse_270, render_270
from claims.x12.errors import X12Error
from claims.x12.read_271 import answer_for, parse_271, results_of
from claims.x12.render_271 import Answer, render_271
from claims.x12.validate import validate, x279_map_dir
from tests.claims.claims_testkit import clean_claim


def subscriber_request(**overrides: object) -> EligibilityRequest:
    request = request_for_claim(clean_claim().with_id(ulid(1)), service_types=("30", "98"))
    return request.model_copy(update=overrides)


def dependent_request() -> EligibilityRequest:
    return request_for_claim(clean_claim(patient=dependent()).with_id(ulid(2)))


def same_question(inquiry: Inquiry, request: EligibilityRequest) -> None:
    """What a 270 carries of a request (free text is upper-cased on the way)."""
    back = inquiry.to_request()
    assert back.trace_number == request.trace_number
    assert back.payer == request.payer.model_copy(update={"name": request.payer.name.upper()})
    assert back.provider.identifier == request.provider.identifier
    assert back.subscriber.member_id == request.subscriber.member_id
    assert back.subscriber.date_of_birth == request.subscriber.date_of_birth
    assert back.subscriber.last_name == (request.subscriber.last_name or "").upper()
    assert (back.dependent is None) == (request.dependent is None)
    if request.dependent is not None and back.dependent is not None:
        assert back.dependent.first_name == (request.dependent.first_name or "").upper()
        assert back.dependent.date_of_birth == request.dependent.date_of_birth
    assert back.relationship == request.relationship
    assert (back.date_of_service, back.service_types) == (
        request.date_of_service, request.service_types,
    )  # fmt: skip
    assert inquiry.findings == ()


@pytest.mark.parametrize(
    "request_", [subscriber_request(), dependent_request()], ids=["self", "dependent"]
)
def test_270_is_valid_and_reads_back(request_: EligibilityRequest) -> None:
    text = render_270([request_], envelope=envelope())
    assert validate(text) == []
    (inquiry,) = parse_270(text)
    same_question(inquiry, request_)
    assert inquiry.traces[0].originator == originator_id("CLAIMFLOW") == "9CLAIMFLOW"


def test_a_batch_270_holds_one_transaction_set_per_request() -> None:
    text = render_270([subscriber_request(), dependent_request()], envelope=envelope())
    assert validate(text) == []
    inquiries = parse_270(text)
    assert [q.control_number for q in inquiries] == ["0001", "0002"]
    assert [q.trace_number for q in inquiries] == [ulid(1), ulid(2)]


def test_a_270_written_elsewhere_is_read() -> None:
    text = sample("eligibility_request.270")
    assert validate(text) == []
    (q,) = parse_270(text)
    assert (q.reference, q.payer_id, q.member_id) == ("PM-4312-0001", "87726", "UPW778812")
    assert (q.provider.name, q.provider.first_name) == ("WHITFIELD", "DANA")
    assert q.dependent is not None and q.dependent.first_name == "MATEO"
    assert q.relationship == "19" and q.trace_number == "ELIG-4312-A"
    assert q.traces[0].extra == "DEPT7"
    assert q.date_of_service == dt.date(2026, 3, 2)  # the first day of the RD8 range
    assert q.service_types == ("30", "33")


def test_270_liberal_reading_gives_findings() -> None:
    text = render_270([subscriber_request()], envelope=envelope())
    lenient = text.replace("DTP*291*D8*20260302~", "").replace(
        "DMG*D8*19700506*F", "DMG*D8*19700506*Q"
    )
    lenient = lenient.replace("SE*14*", "SE*13*")
    (q,) = parse_270(lenient)
    assert q.date_of_service is None and q.subscriber.sex is None
    assert any("DTP*291" in f for f in q.findings) and any("DMG03" in f for f in q.findings)


def test_270_without_subscriber_id_is_refused_naming_the_element() -> None:
    text = render_270([subscriber_request()], envelope=envelope())
    with pytest.raises(X12Error, match=r"NM109 \(subscriber member id\) is required") as caught:
        parse_270(text.replace("****MI*MEM123~", "~"))
    assert caught.value.segment_id == "NM1" and caught.value.position is not None
    with pytest.raises(X12Error, match="GS01 'HB' is not 'HS'"):
        parse_270(text.replace("GS*HS*", "GS*HB*"))


def test_a_request_whose_id_carries_a_delimiter_is_not_written() -> None:
    bad = subscriber_request(subscriber=subscriber_request().subscriber.model_copy(
        update={"member_id": "MEM*123"}))  # fmt: skip
    with pytest.raises(
        ValueError, match="member id contains an X12 delimiter or control character: '\\*'"
    ):
        render_270([bad], envelope=envelope())


# -------------------------------------------------------------------------------- 271

ACTIVE = EligibilityResult(
    status=EligibilityStatus.ACTIVE,
    payer_id="PAYER1",
    coverage_begin=dt.date(2026, 1, 1),
    plan_name="GOLD PLAN",
    group_number="GRP7",
    group_name="ACME EMPLOYEES",
    benefits=(
        Benefit(code="1", coverage_level="IND", service_types=("30",), plan="GOLD PLAN"),
        Benefit(code="B", coverage_level="IND", service_types=("98",), time_period="27",
                amount=Decimal("20"), in_network=True, messages=("PER VISIT",)),
        Benefit(code="A", coverage_level="IND", service_types=("30",), time_period="27",
                percent=Decimal("0.3"), in_network=False),
        Benefit(code="C", coverage_level="FAM", service_types=("30",), time_period="29",
                amount=Decimal("1200.5"), in_network=True,
                dates=(BenefitDate(qualifier="292", start=dt.date(2026, 1, 1),
                                   end=dt.date(2026, 12, 31)),)),
        Benefit(code="F", service_types=("33",), quantity_qualifier="VS", quantity=Decimal("20"),
                authorization_required=True,
                rejections=(RejectReason(loop="2110C", valid_request=True, reason="53",
                                         follow_up="C"),)),
    ),
)  # fmt: skip
INACTIVE = EligibilityResult(
    status=EligibilityStatus.INACTIVE,
    payer_id="PAYER1",
    coverage_begin=dt.date(2025, 1, 1),
    coverage_end=dt.date(2026, 2, 28),
    plan_name="GOLD PLAN",
    benefits=(
        Benefit(code="6", service_types=("30",), plan="GOLD PLAN",
                dates=(BenefitDate(qualifier="357", start=dt.date(2026, 2, 28)),)),
    ),
)  # fmt: skip
NOT_FOUND = EligibilityResult(
    status=EligibilityStatus.NOT_FOUND,
    payer_id="PAYER1",
    rejections=(RejectReason(loop="2100C", valid_request=False, reason="75", follow_up="C"),),
)


def answered(request: EligibilityRequest, result: EligibilityResult) -> str:
    (inquiry,) = parse_270(render_270([request], envelope=envelope()))
    return render_271(
        [Answer(inquiry, result, payer_trace="P-1")],
        envelope=envelope(sender_id="PAYER1", receiver_id="CLAIMFLOW"),
    )


@pytest.mark.parametrize(
    "result", [ACTIVE, INACTIVE, NOT_FOUND], ids=["active", "inactive", "not-found"]
)
@pytest.mark.parametrize(
    "request_", [subscriber_request(), dependent_request()], ids=["self", "dependent"]
)
def test_271_is_valid_and_reads_back(
    result: EligibilityResult, request_: EligibilityRequest
) -> None:
    if request_.dependent is not None:  # the member-level AAA then sits in the dependent loop
        result = result.model_copy(update={"rejections": tuple(
            r.model_copy(update={"loop": "2100D"}) for r in result.rejections)})  # fmt: skip
        result = result.model_copy(update={"benefits": tuple(
            b.model_copy(update={"rejections": tuple(r.model_copy(update={"loop": "2110D"})
                                                     for r in b.rejections)})
            for b in result.benefits)})  # fmt: skip
    text = answered(request_, result)
    assert validate(text) == []
    (response,) = parse_271(text)
    assert response.reference == "1-0001"  # the 270's BHT03
    (back,) = response.results
    assert back == result.model_copy(update={"trace_number": request_.trace_number})


@pytest.mark.parametrize("loop", ["2000A", "2100A", "2100B"])
def test_a_payer_level_rejection_ends_the_answer(loop: str) -> None:
    busy = EligibilityResult(
        status=EligibilityStatus.ERROR,
        payer_id="PAYER1",
        rejections=(RejectReason(loop=loop, valid_request=True, reason="42", follow_up="R"),),
    )
    text = answered(subscriber_request(), busy)
    assert validate(text) == [] and "NM1*IL" not in text
    (back,) = results_of(text)
    assert back.rejections == busy.rejections and back.status is EligibilityStatus.ERROR
    # No trace in the answer: in a one-question exchange it answers that question.
    mapped = answer_for(ulid(1), text, claim_id=ulid(1))
    assert (mapped.trace_number, mapped.claim_id, mapped.status) == (ulid(1), ulid(1), "error")


def test_a_rejection_at_a_loop_the_answer_lacks_is_refused() -> None:
    misplaced = NOT_FOUND.model_copy(update={"rejections": (
        RejectReason(loop="2100D", valid_request=False, reason="67", follow_up="C"),)})  # fmt: skip
    with pytest.raises(ValueError, match="2100D"):
        answered(subscriber_request(), misplaced)


def test_several_service_types_on_one_benefit_are_written_one_per_eb() -> None:
    wide = ACTIVE.model_copy(update={"benefits": (
        Benefit(code="1", service_types=("30", "98", "UC")),)})  # fmt: skip
    text = answered(subscriber_request(), wide)
    assert validate(text) == [] and text.count("EB*1**") == 3


# ----------------------------------------------------------- 271s claimflow did not write


def test_tr3_style_active_271_with_benefits() -> None:
    text = sample("eligibility_active.271")
    assert validate(text) == []
    (response,) = parse_271(text)
    (r,) = response.results
    assert response.reference == "10001234"
    assert (r.status, r.trace_number, r.payer_id) == ("active", "93175-012547", "842610001")
    assert (r.plan_name, r.group_number, r.group_name) == (
        "GOLD 123 PLAN", "GRP12345", "ACME WIDGETS EMPLOYEES",
    )  # fmt: skip
    assert r.coverage_begin == dt.date(2026, 1, 1) and r.coverage_end is None
    office = r.summary(service_type="98")
    assert (office.copay, office.coinsurance_percent) == (Decimal("10"), Decimal("20"))
    assert (office.deductible, office.deductible_remaining) == (Decimal("1000"), Decimal("400"))
    assert r.summary(in_network=False).copay == Decimal("30")
    assert r.summary(coverage_level="FAM").out_of_pocket_remaining == Decimal("5120.5")
    copay = next(b for b in r.benefits if b.code == "B" and b.in_network is False)
    assert copay.messages == ("COPAY APPLIES PER OFFICE VISIT",)
    deductible = next(b for b in r.benefits if b.code == "C" and b.time_period == "29")
    assert deductible.dates == (
        BenefitDate(qualifier="292", start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31)),
    )
    # The primary care provider (EB*L with its 2120C loop) is kept as a line; its entity skipped.
    assert [b.code for b in r.benefits].count("L") == 1 and r.findings == ()
    share = r.expected_patient_share(Decimal("150"), service_type="98")
    assert share.total == Decimal("10.00")


def test_inactive_271_with_a_benefit_level_aaa() -> None:
    text = sample("eligibility_inactive.271")
    assert validate(text) == []
    (r,) = results_of(text)
    assert (r.status, r.trace_number) == ("inactive", "ELIG-4312-A")
    assert (r.coverage_begin, r.coverage_end) == (dt.date(2024, 1, 1), dt.date(2026, 1, 31))
    assert (r.group_number, r.group_name) == ("88120", "RIVERSIDE SCHOOL DISTRICT")
    chiro = next(b for b in r.benefits if b.service_types == ("33",))
    assert chiro.rejections == (
        RejectReason(loop="2110D", valid_request=True, reason="53", follow_up="C"),
    )
    assert r.reason_text().startswith("the payer reports the coverage inactive (EB 6), "
                                      "terminated on 2026-01-31; AAA 53 in loop 2110D")  # fmt: skip
    assert "(for chiropractic (33))" in r.reason_text()


def test_subscriber_not_found_271() -> None:
    text = sample("eligibility_not_found.271")
    assert validate(text) == []
    r = answer_for("01JX0000000000000000000042", text, claim_id="01JX0000000000000000000042")
    assert r.status is EligibilityStatus.NOT_FOUND and r.benefits == ()
    assert [(x.reason, x.follow_up, x.loop) for x in r.rejections] == [
        ("75", "C", "2100C"), ("58", "C", "2100C"),
    ]  # fmt: skip
    assert "subscriber/insured not found (75); please correct and resubmit (C)" in r.reason_text()


def without(text: str, segment: str) -> str:
    """``text`` less one segment, its SE01 count kept true."""
    assert f"~{segment}~" in text
    text = text.replace(f"~{segment}~", "~", 1)
    start = text.index("~SE*") + 4
    end = text.index("*", start)
    return text[:start] + str(int(text[start:end]) - 1) + text[end:]


def test_deviations_are_findings_not_refusals() -> None:
    text = without(sample("eligibility_active.271").replace("\n", ""),
                   "TRN*2*93175-012547*9877281234")  # fmt: skip
    odd = (
        text.replace("*27*10*****Y~", "*27*TEN*****Y~")
        .replace("*27**0.2****Y~", "*27**20****Y~")
        .replace("DTP*292*RD8*20260101-20261231", "DTP*292*RD8*20261301-20261231")
        .replace("*29*400*****Y~", "*29*400*****Q~")
    )
    (r,) = results_of(odd)
    findings = " | ".join(r.findings)
    assert "EB07 (benefit amount) 'TEN' is not an amount" in findings
    assert "EB08 20 is not a fraction" in findings
    assert "DTP03 (date) '20261301' is not a CCYYMMDD date" in findings
    assert "EB12 'Q' is not Y, N, W or U" in findings
    assert "no TRN*2" in findings
    summary = r.summary(service_type="98")
    assert summary.copay is None and summary.coinsurance_percent == Decimal("20")
    assert r.status is EligibilityStatus.ACTIVE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t[:300], "truncated"),
        (lambda t: t.replace("GS*HB*", "GS*HS*"), "GS01 'HS' is not 'HB'"),
        (lambda t: t.replace("EB*I**AL~", "EB**IND*AL~"),
         r"EB01 \(eligibility or benefit information code\) is required"),
        (lambda t: t.replace("HL*3*2*22*0", "HL*3*2*99*0"),
         r"HL03 \(hierarchical level code\) '99'"),
        (lambda t: without(t, "HL*1**20*1"), "before the first HL"),
    ],
    ids=["truncated", "not-a-271", "eb01", "hl03", "no-hl"],
)  # fmt: skip
def test_an_unreadable_271_is_refused_naming_the_element(change: object, message: str) -> None:
    text = sample("eligibility_active.271").replace("\n", "")
    broken = change(text)  # type: ignore[operator]
    with pytest.raises(X12Error, match=message):
        parse_271(broken)
    answer = answer_for("93175-012547", broken)
    assert answer.status is EligibilityStatus.ERROR
    assert answer.message is not None and answer.message.startswith(
        "the payer's 271 cannot be read"
    )


def test_an_answer_to_another_question_is_an_error() -> None:
    r = answer_for("SOMETHING-ELSE", sample("eligibility_active.271"))
    assert r.status is EligibilityStatus.ERROR
    assert r.message == "the 271 answers trace number(s) 93175-012547, not SOMETHING-ELSE"


# ------------------------------------------------------------------- pinned pyx12 quirks


def test_quirk_pyx12_reads_no_repetitions_in_eb03() -> None:
    """X279A1 lets EB03 (and EQ01) repeat with the ISA11 separator; pyx12 4.0.0 reads
    "1^33" as one value and flags it. claimflow reads repetitions and writes none."""
    text = sample("eligibility_active.271").replace("EB*1**30**GOLD", "EB*1**30^1^33**GOLD")
    findings = validate(text)
    assert findings and {f.element for f in findings} == {"EB03"}
    (r,) = results_of(text)
    assert r.benefits[0].service_types == ("30", "1", "33")


def test_quirk_pyx12_has_no_x279_map_of_its_own() -> None:
    """pyx12 4.0.0 ships only the 4010 eligibility maps; claimflow's come from x279_map."""
    from importlib.resources import files

    shipped = {p.name for p in (files("pyx12") / "map").iterdir()}
    assert "270.4010.X092.A1.xml" in shipped and "270.5010.X279.A1.xml" not in shipped
    made = x279_map_dir()
    import os

    assert {"270.5010.X279.A1.xml", "271.5010.X279.A1.xml", "maps.xml"} <= set(os.listdir(made))
    assert x279_map_dir() == made  # made once
