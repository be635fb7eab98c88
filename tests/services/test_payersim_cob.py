"""The payer simulator's secondary payers: they pay what the primary left by their own
rules, balanced the way an 835 must be, read from the 837P as it arrives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ulid import ULID

from claims.cob import secondary_claim
from claims.model import Claim
from claims.remittance import Decision, Remittance
from claims.x12.envelope import Envelope
from claims.x12.read_837p import parse_837p
from claims.x12.render_837p import render_837p
from services.payersim.rules import adjudicate, crossover_decision
from tests.support import claim_payload

D = Decimal
ENVELOPE = Envelope(sender_id="CLAIMFLOW", receiver_id="SIMPAYER", interchange_control_number=1,
                    group_control_number=1)  # fmt: skip


def cob_claim(secondary_id: str = "SIMSECOND1", member: str = "SEC1", **kw: Any) -> Claim:
    other = {
        "responsibility": "S",
        "payer": {"payer_id": secondary_id, "name": "Second Mutual"},
        "subscriber": {
            "member_id": member,
            "first_name": "Alex",
            "last_name": "Rivera",
            "sex": "F",
        },  # fmt: skip
    }
    return Claim.model_validate(claim_payload(claim_id=str(ULID()), other_coverages=[other], **kw))


def balanced(rem: Remittance) -> bool:
    return rem.total_charge - sum(a.amount for a in rem.adjustments) == rem.paid_amount


def secondary_of(claim: Claim) -> tuple[Remittance, Claim]:
    primary = adjudicate(claim)
    return primary, secondary_claim(claim, primary, dt.date.today())


def test_the_secondary_pays_the_coinsurance_the_primary_left() -> None:
    primary, sec = secondary_of(cob_claim())
    # 99213 150 + 85025 35: allowed 102.50, primary paid 82.00, PR-2 20.50.
    assert (primary.paid_amount, primary.patient_responsibility) == (D("82.00"), D("20.50"))
    for submitted in (sec, parse_837p(render_837p([sec], envelope=ENVELOPE))[0]):
        rem = adjudicate(submitted)
        assert rem.status_code == "2" and rem.decision is Decision.PAID
        assert rem.paid_amount == D("20.50") and rem.patient_responsibility == D("0.00")
        assert [(a.group, a.carc, a.amount) for a in rem.adjustments] == [("OA", "23", D("164.50"))]
        assert balanced(rem)


def test_a_copay_member_keeps_the_copay_on_the_secondary() -> None:
    _, sec = secondary_of(cob_claim(member="COPAY77"))
    rem = adjudicate(sec)
    # The $25 copay of the office visit covers the whole 20.50 left: nothing to pay.
    assert rem.paid_amount == D("0.00")
    assert [(a.group, a.carc) for a in rem.adjustments] == [("OA", "23"), ("PR", "3")]
    assert rem.patient_responsibility == D("20.50") and balanced(rem)


def test_a_crossover_payer_is_forwarded_to_and_answers_itself() -> None:
    claim = cob_claim(secondary_id="XOVERMEDIGAP")
    primary = adjudicate(parse_837p(render_837p([claim], envelope=ENVELOPE))[0])
    assert primary.status_code == "19" and primary.crossover_payer_id == "XOVERMEDIGAP"
    follow = crossover_decision(claim, primary)
    assert follow.status_code == "2" and follow.claim_id == claim.claim_id
    assert follow.paid_amount == primary.patient_responsibility and balanced(follow)
    # Without a crossover agreement nothing is forwarded.
    assert adjudicate(cob_claim()).crossover_payer_id is None
