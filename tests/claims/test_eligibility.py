"""The eligibility model: the question built from a claim, the answer's figures, the share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from claims.eligibility import (
    Benefit,
    BenefitSummary,
    EligibilityRequest,
    EligibilityResult,
    EligibilityStatus,
    Member,
    RejectReason,
    expected_patient_share,
    request_for_claim,
    status_of,
)
from claims.eligibility_codes import FOLLOW_UP_ACTIONS, REJECT_REASONS, describe
from tests.claims.claims_testkit import DOS, address, clean_claim, line

CLAIM_ID = "01JX0000000000000000000001"


def test_request_from_a_claim_asks_for_the_subscriber_on_the_first_date_of_service() -> None:
    claim = clean_claim(line("99213"), line("85025", service_date_from="2026-02-27")).with_id(
        CLAIM_ID
    )
    request = request_for_claim(claim)
    assert request.trace_number == CLAIM_ID and request.claim_id == CLAIM_ID
    assert request.date_of_service == dt.date(2026, 2, 27)
    assert request.subscriber.member_id == "MEM123" and request.dependent is None
    assert request.provider.identifier == claim.billing_provider.npi
    assert request.provider.qualifier == "XX"
    assert (request.payer.payer_id, request.service_types) == ("PAYER1", ("30",))


def test_request_for_a_dependent_names_the_patient_without_a_member_id() -> None:
    patient = {
        "member_id": "MEM123-02", "first_name": "Sam", "last_name": "Jones",
        "date_of_birth": "2012-08-01", "sex": "M", "relationship": "19",
        "address": address(),
    }  # fmt: skip
    request = request_for_claim(clean_claim(patient=patient).with_id(CLAIM_ID), trace_number="T-2")
    assert request.trace_number == "T-2"
    assert request.dependent == Member(
        first_name="Sam", last_name="Jones", date_of_birth=dt.date(2012, 8, 1), sex="M"
    )
    assert request.relationship == "19"
    other = request_for_claim(
        clean_claim(patient={**patient, "relationship": "G8"}).with_id(CLAIM_ID)
    )
    assert other.relationship == "34"  # "other adult": the 270 has no G8


def test_refusals_name_the_field() -> None:
    with pytest.raises(ValueError, match="claim_id"):
        request_for_claim(clean_claim())
    request = request_for_claim(clean_claim().with_id(CLAIM_ID))
    data = request.model_dump()
    data["subscriber"]["member_id"] = None
    with pytest.raises(ValidationError, match=r"subscriber\.member_id.*NM109"):
        EligibilityRequest.model_validate(data)
    data = request.model_dump()
    data["dependent"] = {"first_name": "Sam"}
    with pytest.raises(ValidationError, match="dependent.*NM103/NM104"):
        EligibilityRequest.model_validate(data)
    data = request.model_dump()
    data["trace_number"] = "has*star"
    with pytest.raises(ValidationError, match="trace_number"):
        EligibilityRequest.model_validate(data)


def benefit(code: str, **values: object) -> Benefit:
    return Benefit.model_validate({"code": code, "service_types": ("30",), **values})


RICH = EligibilityResult(
    status=EligibilityStatus.ACTIVE,
    benefits=(
        benefit("1"),
        benefit("B", service_types=("98",), amount=Decimal("10"), in_network=True),
        benefit("B", service_types=("98",), amount=Decimal("30"), in_network=False),
        benefit("A", percent=Decimal("0.2"), in_network=True, coverage_level="IND"),
        benefit("A", percent=Decimal("0.4"), in_network=False, coverage_level="IND"),
        benefit("C", amount=Decimal("1000"), time_period="23", coverage_level="IND"),
        benefit("C", amount=Decimal("400"), time_period="29", coverage_level="IND"),
        benefit("C", amount=Decimal("3000"), time_period="23", coverage_level="FAM"),
        benefit("G", amount=Decimal("6000"), time_period="23", coverage_level="FAM"),
        benefit("G", amount=Decimal("5120.50"), time_period="29", coverage_level="FAM"),
    ),
)


def test_summary_picks_the_network_and_level_asked_for() -> None:
    mine = RICH.summary(service_type="98")
    assert (mine.copay, mine.coinsurance_percent) == (Decimal("10"), Decimal("20"))
    assert (mine.deductible, mine.deductible_remaining) == (Decimal("1000"), Decimal("400"))
    assert mine.out_of_pocket is None  # only a family figure was given
    out = RICH.summary(in_network=False, service_type="98")
    assert (out.copay, out.coinsurance_percent) == (Decimal("30"), Decimal("40"))
    family = RICH.summary(coverage_level="FAM")
    assert family.deductible == Decimal("3000")
    assert family.out_of_pocket_remaining == Decimal("5120.50")


def test_patient_share_copay_plan() -> None:
    share = expected_patient_share(BenefitSummary(copay=Decimal("25")), Decimal("150"))
    assert (share.copay, share.deductible, share.coinsurance) == (Decimal("25.00"), 0, 0)
    small = expected_patient_share(BenefitSummary(copay=Decimal("25")), Decimal("12.5"))
    assert small.total == Decimal("12.50")


def test_patient_share_deductible_then_coinsurance() -> None:
    summary = BenefitSummary(coinsurance_percent=Decimal("20"), deductible_remaining=Decimal("100"))
    share = expected_patient_share(summary, Decimal("185.00"))
    # 100 deductible, then 20% of the other 85.
    assert (share.deductible, share.coinsurance, share.total) == (
        Decimal("100.00"), Decimal("17.00"), Decimal("117.00"),
    )  # fmt: skip
    assert share.known


def test_patient_share_is_capped_at_the_out_of_pocket_remaining() -> None:
    summary = BenefitSummary(
        coinsurance_percent=Decimal("20"),
        deductible_remaining=Decimal("250"),
        out_of_pocket_remaining=Decimal("260"),
    )
    share = expected_patient_share(summary, Decimal("1000"))
    assert (share.deductible, share.coinsurance, share.total) == (
        Decimal("250.00"), Decimal("10.00"), Decimal("260.00"),
    )  # fmt: skip


def test_patient_share_unknown_is_not_zero() -> None:
    share = RICH.model_copy(update={"benefits": (benefit("1"),)}).expected_patient_share(
        Decimal("100")
    )
    assert not share.known and share.total == 0
    with pytest.raises(ValueError, match="negative"):
        expected_patient_share(BenefitSummary(), Decimal("-1"))


def test_rejections_read_in_plain_words() -> None:
    reason = RejectReason(loop="2100C", valid_request=False, reason="75", follow_up="C")
    assert str(reason) == (
        "AAA 75 in loop 2100C: subscriber/insured not found (75); please correct and resubmit (C)"
    )
    assert reason.member_not_found
    assert describe(REJECT_REASONS, "ZZ") == "code ZZ"
    for code in "CNPRSWXY":
        assert code in FOLLOW_UP_ACTIONS
    for code in ("42", "43", "58", "72", "73", "75", "76"):
        assert code in REJECT_REASONS


def test_status_from_benefits_and_rejections() -> None:
    not_found = RejectReason(loop="2100C", valid_request=False, reason="72", follow_up="C")
    busy = RejectReason(loop="2100A", valid_request=True, reason="42", follow_up="W")
    assert status_of((), (not_found,)) is EligibilityStatus.NOT_FOUND
    assert status_of((), (busy,)) is EligibilityStatus.ERROR
    assert status_of((benefit("6"),), ()) is EligibilityStatus.INACTIVE
    assert status_of((benefit("1"), benefit("6")), ()) is EligibilityStatus.ACTIVE
    assert status_of((benefit("B"),), ()) is EligibilityStatus.ACTIVE
    assert status_of((), ()) is EligibilityStatus.ERROR
    inactive = EligibilityResult(
        status=EligibilityStatus.INACTIVE, coverage_end=DOS, benefits=(benefit("6"),)
    )
    assert inactive.reason_text() == (
        f"the payer reports the coverage inactive (EB 6), terminated on {DOS.isoformat()}"
    )
    assert not inactive.covered
    timeout = EligibilityResult(status=EligibilityStatus.TIMEOUT, message="no answer in 15 s")
    assert timeout.reason_text() == "no answer in 15 s"


def test_a_result_carries_no_phi() -> None:
    fields = set(EligibilityResult.model_fields)
    assert not fields & {"member_id", "first_name", "last_name", "date_of_birth", "subscriber"}
