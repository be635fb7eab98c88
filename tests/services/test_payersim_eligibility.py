"""The simulator's eligibility answers: one per rule, pyx12-valid both ways, and agreeing
with what its claim rules later charge the patient."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from ulid import ULID

from claims.eligibility import EligibilityStatus, request_for_claim
from claims.model import Claim
from claims.remittance import GroupCode
from claims.x12.eligibility_270 import render_270
from claims.x12.envelope import Envelope
from claims.x12.errors import X12Error
from claims.x12.read_271 import answer_for
from claims.x12.validate import validate
from services.payersim.eligibility import answer_270
from services.payersim.eligibility_rules import decide
from services.payersim.rules import adjudicate
from tests.support import claim_payload

TODAY = dt.date.today()


def claim(member_id: str, *, dependent: bool = False, **overrides: Any) -> Claim:
    payload = claim_payload(claim_id=str(ULID()), **overrides)
    payload["subscriber"]["member_id"] = member_id
    if dependent:
        payload["patient"] = {
            **payload["subscriber"], "member_id": f"{member_id}-02", "first_name": "Sam",
            "date_of_birth": "2012-08-01", "sex": "M", "relationship": "19",
        }  # fmt: skip
    return Claim.model_validate(payload)


def exchange(c: Claim) -> tuple[str, str]:
    request = request_for_claim(c)
    envelope = Envelope(sender_id="CLAIMFLOW", receiver_id="SIMPAYER", interchange_control_number=4,
                        group_control_number=4)  # fmt: skip
    text_270 = render_270([request], envelope=envelope)
    return text_270, answer_270(text_270)


CASES = {
    "XJH123": (EligibilityStatus.ACTIVE, {"coinsurance_percent": Decimal("20"),
               "deductible_remaining": Decimal("0"), "out_of_pocket_remaining": Decimal("2500")}),
    "COPAY77": (EligibilityStatus.ACTIVE, {"copay": Decimal("25")}),
    "HDHP12": (EligibilityStatus.ACTIVE, {"deductible": Decimal("250"),
               "deductible_remaining": Decimal("250"), "coinsurance_percent": Decimal("20")}),
    "INACTIVE3": (EligibilityStatus.INACTIVE, {}),
    "NOTFOUND9": (EligibilityStatus.NOT_FOUND, {}),
    "UNAVAILABLE1": (EligibilityStatus.ERROR, {}),
}  # fmt: skip


@pytest.mark.parametrize("dependent", [False, True], ids=["self", "dependent"])
@pytest.mark.parametrize("member_id", list(CASES))
def test_each_rule_round_trips_through_valid_x12(member_id: str, dependent: bool) -> None:
    c = claim(member_id, dependent=dependent)
    text_270, text_271 = exchange(c)
    assert validate(text_270) == [] and validate(text_271) == []
    result = answer_for(c.claim_id or "", text_271, claim_id=c.claim_id)
    status, figures = CASES[member_id]
    assert result.status is status, result
    summary = result.summary(service_type="98").model_dump(exclude_none=True)
    assert figures.items() <= summary.items()
    decided = decide(member_id, c.first_service_date, ("30",), trace_number=c.claim_id,
                     payer_id="SIMPAYER1")  # fmt: skip
    # Not found is the subscriber's loop (2100C) even when the patient is a dependent.
    assert result == decided.model_copy(update={"claim_id": c.claim_id})


def test_inactive_says_when_coverage_ended() -> None:
    c = claim("INACTIVE3")
    _, text_271 = exchange(c)
    result = answer_for(c.claim_id or "", text_271)
    ended = c.first_service_date.replace(day=1) - dt.timedelta(days=1)
    assert result.coverage_end == ended
    assert "EB*6*IND*30" in text_271 and f"DTP*357*D8*{ended:%Y%m%d}" in text_271
    assert result.reason_text() == (
        f"the payer reports the coverage inactive (EB 6), terminated on {ended.isoformat()}"
    )


def test_not_found_is_aaa_75_c_at_the_subscriber() -> None:
    c = claim("NOTFOUND9")
    _, text_271 = exchange(c)
    assert "AAA*N**75*C~" in text_271 and "EB*" not in text_271
    result = answer_for(c.claim_id or "", text_271)
    assert [(r.loop, r.reason, r.follow_up) for r in result.rejections] == [("2100C", "75", "C")]


@pytest.mark.parametrize("member_id", ["XJH123", "COPAY77", "HDHP12"])
def test_the_271_predicts_what_the_835_charges_the_patient(member_id: str) -> None:
    """The 271's figures, applied to the payer's allowed amount, give the 835's PR total."""
    c = claim(member_id, procedures=(("99213", "150.00"), ("85025", "35.00")), days_ago=5)
    _, text_271 = exchange(c)
    result = answer_for(c.claim_id or "", text_271)
    remittance = adjudicate(c)
    allowed = remittance.paid_amount + (remittance.patient_responsibility or Decimal(0))
    patient = sum((a.amount for a in remittance.adjustments if a.group is GroupCode.PR), Decimal(0))
    share = result.expected_patient_share(allowed, service_type="98")
    assert share.known and share.total == patient


def test_an_unreadable_270_is_refused() -> None:
    with pytest.raises(X12Error, match="NM109"):
        answer_270(exchange(claim("XJH123"))[0].replace("*MI*XJH123~", "~"))
