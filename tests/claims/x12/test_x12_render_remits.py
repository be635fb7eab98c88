"""Payer-side renderers (999, 277CA, 835): pyx12-clean, and read back by our parsers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from x12_testkit import PAYEE, PAYER, envelope, sample, ulid, varied_claims

from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.x12.ack_999 import (
    AckStatus,
    ElementError,
    SegmentError,
    TransactionAck,
    group_ack,
    parse_999,
)
from claims.x12.balance_835 import check_balancing
from claims.x12.era import CasAdjustment, ClaimPayment, ProviderAdjustment, ServicePayment
from claims.x12.remit_835 import parse_835, to_remittance
from claims.x12.render_remits import (
    ClaimStatusEntry,
    payment_of,
    render_277ca,
    render_835,
    render_999,
)
from claims.x12.status_277ca import StatusCode, is_accepted, is_rejected, parse_277ca
from claims.x12.validate import validate

PAY_DAY = dt.date(2026, 3, 13)
ENV = envelope(sender_id="SIMPAYER1", receiver_id="CLAIMFLOW", receiver_name="Claimflow")


def remittance(n: int, decision: Decision, charge: str, paid: str, *adj: Adjustment) -> Remittance:
    return Remittance(
        remittance_id=f"r{n}", claim_id=ulid(n), payer_claim_control_number=f"PCN{n}",
        decision=decision, total_charge=Decimal(charge), paid_amount=Decimal(paid),
        patient_responsibility=sum((a.amount for a in adj if a.group is GroupCode.PR),
                                   Decimal(0)),
        adjustments=adj,
    )  # fmt: skip


PAID = remittance(
    1, Decision.PAID, "185.00", "100.00",
    Adjustment(group=GroupCode.CO, carc="45", amount=Decimal("60.00")),
    Adjustment(group=GroupCode.PR, carc="2", amount=Decimal("25.00")),
)  # fmt: skip
DENIED = remittance(
    2, Decision.DENIED, "95.00", "0.00",
    Adjustment(group=GroupCode.CO, carc="96", amount=Decimal("95.00"), rarcs=("N130",)),
)  # fmt: skip
REVERSED = remittance(
    3, Decision.REVERSAL, "-185.00", "-100.00",
    Adjustment(group=GroupCode.CO, carc="45", amount=Decimal("-60.00")),
    Adjustment(group=GroupCode.PR, carc="2", amount=Decimal("-25.00")),
)  # fmt: skip


def detailed_payment() -> ClaimPayment:
    day = dt.date(2026, 3, 2)
    return ClaimPayment(
        claim_id=ulid(4), status_code="1", charge=Decimal(185), paid=Decimal(80),
        patient_responsibility=Decimal(20), filing_indicator="12",
        payer_claim_control_number="PCN4", facility_code="11", frequency_code="1",
        service_lines=(
            dataclasses.replace(
                _line("99213", ("25",), "150", "80", CasAdjustment("CO", "45", Decimal(50)),
                      CasAdjustment("PR", "3", Decimal(20))),
                line_control_number="1", allowed_amount=Decimal(100), units_paid=Decimal(1),
                service_date_from=day,
            ),
            dataclasses.replace(
                _line("85025", (), "35", "0", CasAdjustment("CO", "97", Decimal(35))),
                remark_codes=("M15",), service_date_from=day,
                service_date_to=dt.date(2026, 3, 3),
            ),
        ),
        patient_last_name="RIVERA", patient_first_name="ALEX", patient_member_id="XJH1",
        account_number="ACCT-1", statement_from=dt.date(2026, 3, 2),
        statement_to=dt.date(2026, 3, 3),
    )  # fmt: skip


def _line(
    code: str, mods: tuple[str, ...], charge: str, paid: str, *adj: CasAdjustment
) -> ServicePayment:
    return ServicePayment("HC", code, mods, Decimal(charge), Decimal(paid), adjustments=adj)


PLB = (
    ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "L6", None, Decimal("-1.25")),
    ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "WO", "PCN0", Decimal(10)),
)


def render(
    payments: Sequence[ClaimPayment | Remittance],
    provider_adjustments: Sequence[ProviderAdjustment] = (),
) -> str:
    return render_835(
        payments, envelope=ENV, trace_number="EFT123", payer=PAYER, payee=PAYEE,
        payment_date=PAY_DAY, provider_adjustments=provider_adjustments,
    )  # fmt: skip


def test_835_from_remittances_is_valid_balanced_and_maps_back() -> None:
    text = render([PAID, DENIED, REVERSED, PAID.model_copy(update={"claim_id": ulid(5)})])
    assert validate(text) == []
    (era,) = parse_835(text)
    assert check_balancing(era) == [] and era.payment_amount == Decimal(100)
    back = [to_remittance(c, remittance_id=f"r{i}") for i, c in enumerate(era.claims)]
    for original, mapped in zip([PAID, DENIED, REVERSED], back, strict=False):
        assert mapped.decision is original.decision
        assert (mapped.total_charge, mapped.paid_amount) == (
            original.total_charge, original.paid_amount,
        )  # fmt: skip
        assert mapped.patient_responsibility == original.patient_responsibility
        assert [(a.group, a.carc, a.amount, a.rarcs) for a in mapped.adjustments] == [
            (a.group, a.carc, a.amount, a.rarcs) for a in original.adjustments
        ]
    assert [r.status_code for r in back] == ["1", "4", "22", "1"]


def test_835_with_lines_and_plb_round_trips_exactly() -> None:
    payment = detailed_payment()
    text = render([payment], provider_adjustments=PLB)
    assert validate(text) == []
    (era,) = parse_835(text)
    assert era.payment_amount == Decimal("71.25") and check_balancing(era) == []
    (parsed,) = era.claims
    lines = tuple(dataclasses.replace(s, position=None) for s in parsed.service_lines)
    assert dataclasses.replace(parsed, service_lines=lines, position=None) == payment
    assert [dataclasses.replace(p, position=None) for p in era.provider_adjustments] == list(PLB)


def test_835_with_claims_from_the_claim_model_reads_in_x12sdk() -> None:
    from x12sdk.io import X12ModelReader

    claim = varied_claims()[1]
    payment = payment_of(PAID.model_copy(update={"claim_id": claim.claim_id}), claim=claim)
    assert payment.patient_first_name == "Sam" and payment.account_number == "ACCT-1"
    text = render([payment])
    assert validate(text) == []
    with X12ModelReader(text) as reader:
        (model,) = list(reader.models())
    (l2000,) = model.model_dump()["loop_2000"]
    assert l2000["loop_2100"][0]["clp_segment"]["patient_control_number"] == claim.claim_id


def test_many_adjustments_are_split_into_cas_segments_of_six() -> None:
    reasons = [CasAdjustment("CO", str(r), Decimal(1)) for r in range(40, 48)]
    payment = dataclasses.replace(
        detailed_payment(), service_lines=(), charge=Decimal(100), paid=Decimal(92),
        adjustments=tuple(reasons), patient_responsibility=None,
    )  # fmt: skip
    text = render([payment])
    assert text.count("~CAS*CO*") == 2
    assert validate(text) == []
    assert parse_835(text)[0].claims[0].adjustments == tuple(reasons)


def test_zero_payment_is_a_notice() -> None:
    text = render([DENIED])
    assert "BPR*H*0*C*NON*" in text
    assert validate(text) == []


def test_unbalanced_or_negative_payments_are_refused() -> None:
    bad = PAID.model_copy(update={"paid_amount": Decimal("101.00")})
    with pytest.raises(ValueError, match="do not balance"):
        render([bad])
    with pytest.raises(ValueError, match="negative"):
        render([REVERSED])


# ---------------------------------------------------------------------------- 999


def test_999_round_trip() -> None:
    accepted = TransactionAck("0001", AckStatus.ACCEPTED)
    rejected = TransactionAck(
        "0002", AckStatus.REJECTED, codes=("5",),
        errors=(SegmentError("CLM", 21, "8", "2300", (ElementError(2, "6", None, None, "782",
                                                                   "18x5"),),
                             (("CLM01", ulid(2)),)),),
    )  # fmt: skip
    noted = TransactionAck(
        "0003", AckStatus.ACCEPTED_WITH_ERRORS,
        errors=(SegmentError("REF", 12, "I6", "2010", (ElementError(1, "7", 2, 1),)),),
    )  # fmt: skip
    group = group_ack("HC", "1", "005010X222A1", [accepted, rejected, noted])
    assert (group.status, group.accepted) == (AckStatus.PARTIALLY_ACCEPTED, 2)
    text = render_999([group], envelope=ENV)
    assert validate(text) == []
    (back,) = parse_999(text)
    strip = [dataclasses.replace(t, position=None, convention=None) for t in back.transactions]
    assert strip == [accepted, rejected, noted]
    assert dataclasses.replace(back, transactions=(), control_number=None) == dataclasses.replace(
        group, transactions=()
    )


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([AckStatus.ACCEPTED, AckStatus.ACCEPTED], AckStatus.ACCEPTED),
        ([AckStatus.ACCEPTED, AckStatus.ACCEPTED_WITH_ERRORS], AckStatus.ACCEPTED_WITH_ERRORS),
        ([AckStatus.REJECTED, AckStatus.ACCEPTED], AckStatus.PARTIALLY_ACCEPTED),
        ([AckStatus.REJECTED], AckStatus.REJECTED),
    ],
)
def test_group_status_follows_its_transactions(
    statuses: list[AckStatus], expected: AckStatus
) -> None:
    acks = [TransactionAck(f"{i:04d}", s) for i, s in enumerate(statuses, 1)]
    group = group_ack("HC", "1", "005010X222A1", acks)
    assert group.status is expected
    assert validate(render_999([group], envelope=ENV)) == []


# -------------------------------------------------------------------------- 277CA


def test_277ca_round_trip() -> None:
    claims = varied_claims()
    entries = [
        ClaimStatusEntry(claims[0], StatusCode("A2", "20", "PR"), "PCN1"),
        ClaimStatusEntry(
            claims[1], StatusCode("A3", "21", "85"), more=(StatusCode("A3", "562", "85"),)
        ),  # fmt: skip
        ClaimStatusEntry(claims[3], StatusCode("A1", "19", "PR")),
    ]
    text = render_277ca(
        entries, envelope=ENV, payer_name="Simulated Health Plan", payer_id="SIMPAYER1",
        batch_reference="1-0001", trace_number="T277",
    )  # fmt: skip
    assert validate(text) == []
    (status_file,) = parse_277ca(text)
    assert status_file.batch_statuses == (StatusCode("A1", "19", "PR"),)
    accepted, rejected, received = status_file.claims
    assert accepted.claim_id == claims[0].claim_id and is_accepted(accepted)
    assert accepted.payer_claim_control_number == "PCN1"
    assert is_rejected(rejected) and rejected.status_codes == ("A3:21", "A3:562")
    assert rejected.action_code == "U"
    assert not is_rejected(received) and not is_accepted(received)
    assert received.total_charge == claims[3].total_charge
    assert (received.service_date_from, received.service_date_to) == (
        dt.date(2026, 3, 2), dt.date(2026, 3, 3),
    )  # fmt: skip


def test_samples_render_side_agrees() -> None:
    """Our hand-written samples and our renderers speak the same dialect."""
    assert parse_999(sample("ack_partial.999"))[0].status is AckStatus.PARTIALLY_ACCEPTED


def test_999_blanks_delimiters_in_a_copied_bad_value() -> None:
    error = SegmentError("CLM", 21, "8", "2300", (ElementError(2, "6", None, None, "782", "1*~:"),))
    group = group_ack("HC", "1", "005010X222A1", [TransactionAck("0001", AckStatus.REJECTED,
                                                                 errors=(error,))])  # fmt: skip
    text = render_999([group], envelope=ENV)
    assert "~IK4*2*782*6*1~IK5*R~" in text
    assert validate(text) == []
    (back,) = parse_999(text)
    assert back.transactions[0].errors[0].elements[0].bad_value == "1"
