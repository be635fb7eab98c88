"""The patient's share by kind from ledger entries: the PR mapping, reversals, payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from claims.ledger import PatientKind, charge_entries, remittance_entries
from claims.patient_share import (
    claim_level_reasons,
    claim_share,
    patient_kind,
    services_owed,
    total_share,
)
from claims.remittance import Adjustment, Decision, Remittance, RemittanceLine

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
D = Decimal


def test_pr_reason_codes_map_to_kinds() -> None:
    assert patient_kind("1") is PatientKind.DEDUCTIBLE
    assert patient_kind("2") is PatientKind.COINSURANCE
    assert patient_kind("3") is PatientKind.COPAY
    assert patient_kind("96") is PatientKind.NON_COVERED
    assert patient_kind("187") is PatientKind.OTHER


def _remittance(rid: str, decision: Decision, sign: int = 1) -> Remittance:
    return Remittance(
        claim_id="01J0000000000000000000000Z",
        remittance_id=rid,
        payer_claim_control_number="PCN1",
        decision=decision,
        status_code="22" if decision is Decision.REVERSAL else "1",
        total_charge=D("185.00") * sign,
        paid_amount=D("60.00") * sign,
        patient_responsibility=D("45.00") * sign,
        adjustments=(),
        lines=(
            RemittanceLine(
                line=1, procedure_code="99213", charge=D("150.00") * sign,
                paid=D("60.00") * sign, allowed=D("100.00") * sign,
                adjustments=(
                    Adjustment(group="CO", carc="45", amount=D("50.00") * sign),
                    Adjustment(group="PR", carc="1", amount=D("25.00") * sign),
                    Adjustment(group="PR", carc="2", amount=D("15.00") * sign, rarcs=("N130",)),
                ),
            ),
            RemittanceLine(
                line=2, procedure_code="85025", charge=D("35.00") * sign, paid=D("0.00"),
                allowed=D("5.00") * sign,
                adjustments=(
                    Adjustment(group="CO", carc="45", amount=D("30.00") * sign),
                    Adjustment(group="PR", carc="3", amount=D("5.00") * sign),
                ),
            ),
        ),
    )  # fmt: skip


def _ledger() -> list:  # type: ignore[type-arg]
    entries = charge_entries([], [("99213", D("150.00")), ("85025", D("35.00"))], at=AT)
    return entries + remittance_entries(entries, _remittance("R1", Decision.PAID), at=AT)


def test_share_by_kind_and_balance_after_patient_payments() -> None:
    share = claim_share(_ledger(), [D("10.00"), D("5.00")])
    assert (share.deductible, share.coinsurance, share.copay) == (D("25.00"), D("15.00"), D("5.00"))
    assert share.responsibility == D("45.00") and share.non_covered == share.other == 0
    assert share.insurance_paid == D("60.00") and share.charged == D("185.00")
    assert share.patient_paid == D("15.00") and share.balance == D("30.00")
    both = total_share([share, share])
    assert both.balance == D("60.00") and both.deductible == D("50.00")


def test_a_reversal_takes_the_share_off() -> None:
    entries = _ledger()
    entries += remittance_entries(entries, _remittance("R2", Decision.REVERSAL, -1), at=AT)
    share = claim_share(entries, [])
    assert share.responsibility == 0 and share.deductible == 0 and share.balance == 0


def test_each_service_says_why_in_words() -> None:
    first, second = services_owed(_ledger())
    assert first.patient_owes == D("40.00") and first.plan_reductions == D("50.00")
    assert [r.code for r in first.reasons] == ["PR-1", "PR-2"]
    assert first.reasons[0].code_meaning == "Deductible Amount"
    assert "before your plan starts to pay" in first.reasons[0].explanation
    assert first.reasons[1].remarks[0].startswith("N130: ")
    assert second.reasons[0].kind is PatientKind.COPAY
    assert claim_level_reasons(_ledger()) == []
