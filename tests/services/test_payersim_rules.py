"""The payer simulator's decisions: deterministic, and balanced the way an 835 must be."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ulid import ULID

from claims.model import Claim
from claims.remittance import Decision, Remittance
from services.payersim.rules import adjudicate, control_number
from tests.support import claim_payload


def claim(*procedures: tuple[str, str], **overrides: object) -> Claim:
    return Claim.model_validate(
        claim_payload(claim_id=str(ULID()), procedures=procedures, **overrides)
    )


def balanced(rem: Remittance) -> bool:
    return rem.total_charge - sum(a.amount for a in rem.adjustments) == rem.paid_amount


def test_paid_at_fee_schedule_less_coinsurance() -> None:
    rem = adjudicate(claim(("99213", "150.00"), ("85025", "35.00")))
    assert rem.decision is Decision.PAID
    # allowed 92.00 + 10.50 = 102.50; 20% coinsurance 20.50; contractual 82.50.
    assert rem.paid_amount == Decimal("82.00")
    assert rem.patient_responsibility == Decimal("20.50")
    assert [(a.group, a.carc, a.amount) for a in rem.adjustments] == [
        ("CO", "45", Decimal("82.50")),
        ("PR", "2", Decimal("20.50")),
    ]
    assert balanced(rem)


def test_code_off_the_fee_schedule_allowed_at_80_percent() -> None:
    rem = adjudicate(claim(("96372", "100.00")))
    assert rem.paid_amount == Decimal("64.00") and balanced(rem)


@pytest.mark.parametrize(
    ("code", "carc", "overturned_on_appeal"), [("70553", "197", True), ("97810", "96", False)]
)
def test_denials_and_appeals(code: str, carc: str, overturned_on_appeal: bool) -> None:
    c = claim((code, "500.00"))
    rem = adjudicate(c)
    assert rem.decision is Decision.DENIED
    assert rem.denial_reasons == (f"CO-{carc}",)
    assert rem.paid_amount == 0 and balanced(rem)
    appealed = adjudicate(c, level=1)
    assert (appealed.decision is Decision.PAID) is overturned_on_appeal
    assert appealed.remittance_id != rem.remittance_id
    assert balanced(appealed)


def test_prior_authorization_avoids_the_denial() -> None:
    rem = adjudicate(claim(("70553", "500.00"), prior_authorization="AUTH123"))
    assert rem.decision is Decision.PAID


def test_deterministic() -> None:
    c = claim(("99213", "150.00"))
    assert adjudicate(c) == adjudicate(c)
    assert control_number(c.claim_id or "") == adjudicate(c).payer_claim_control_number


def test_bundled_venipuncture_is_a_partial_payment_overturned_on_appeal() -> None:
    c = claim(("99213", "150.00"), ("36415", "25.00"))
    rem = adjudicate(c)
    assert rem.decision is Decision.PARTIALLY_PAID
    assert ("CO", "97", Decimal("25.00")) in [(a.group, a.carc, a.amount) for a in rem.adjustments]
    assert balanced(rem)
    assert adjudicate(c, level=1).decision is Decision.PAID


def test_unknown_member_is_rejected_by_the_277ca() -> None:
    from services.payersim.rules import claim_status

    c = claim(("99213", "150.00"))
    assert claim_status(c, submission=1).category == "A2"
    payload = claim_payload(claim_id=str(ULID()))
    payload["subscriber"]["member_id"] = "NOTFOUND123"
    unknown = Claim.model_validate(payload)
    report = claim_status(unknown, submission=1)
    assert (report.category, report.status_codes, report.rejected) == ("A3", ("A3:33",), True)


def member(member_id: str, *procedures: tuple[str, str]) -> Claim:
    payload = claim_payload(claim_id=str(ULID()), procedures=procedures)
    payload["subscriber"]["member_id"] = member_id
    return Claim.model_validate(payload)


def test_copay_plan() -> None:
    rem = adjudicate(member("COPAY123", ("99213", "150.00"), ("85025", "35.00")))
    assert rem.patient_responsibility == Decimal("25.00")
    assert ("PR", "3", Decimal("25.00")) in [(a.group, a.carc, a.amount) for a in rem.adjustments]
    assert balanced(rem)


def test_high_deductible_plan() -> None:
    rem = adjudicate(member("HDHP9", ("70553", "1450.00")), level=1)  # 420.00 allowed
    shares = {a.carc: a.amount for a in rem.adjustments if a.group == "PR"}
    assert shares == {"1": Decimal("250.00"), "2": Decimal("34.00")}
    assert rem.paid_amount == Decimal("136.00") and balanced(rem)


def test_timely_filing_denial_is_final() -> None:
    old = claim_payload(claim_id=str(ULID()), days_ago=200)
    c = Claim.model_validate(old)
    for level in (0, 1, 2):
        assert adjudicate(c, level=level).denial_reasons == ("CO-29",)


def test_missing_information_overturned_with_documentation() -> None:
    c = claim(("99499", "120.00"))
    rem = adjudicate(c)
    assert rem.denial_reasons == ("CO-16",) and rem.adjustments[0].rarcs == ("M51",)
    assert adjudicate(c, level=1).decision is Decision.PAID


def test_medical_necessity_needs_a_second_level() -> None:
    c = Claim.model_validate(
        claim_payload(claim_id=str(ULID()), diagnoses=("Z0000",), procedures=(("80053", "60.00"),))
    )
    assert adjudicate(c).denial_reasons == ("CO-50",)
    assert adjudicate(c, level=1).denial_reasons == ("CO-50",)
    assert adjudicate(c, level=2).decision is Decision.PAID
