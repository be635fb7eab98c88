"""A tertiary coverage in ClaimWorkflow (``cob-tertiary-v1``): the primary pays part, the
secondary claim's payer part, and what it leaves the patient goes to the tertiary claim,
started by the secondary claim with both earlier payers' decisions in its COB loops. The
tertiary payer's decision lands on the primary's ledger, which balances to zero across
three payers and the patient."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.client import WorkflowHandle

from claims.cob import secondary_claim_id
from claims.ledger import Activity
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from claims.x12.render_837p import render_837p
from claims.x12.validate import validate
from tests.workflows.conftest import ENVELOPE, Run, new_claim, wait_status
from tests.workflows.test_claim_cob import later_payment, primary_payment, secondary_coverage
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimOutcome, workflow_id

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]

D = Decimal
Handle = WorkflowHandle[ClaimWorkflow, ClaimOutcome]


def tertiary_coverage() -> dict[str, object]:
    return secondary_coverage(
        responsibility="T",
        payer={"payer_id": "SIMTHIRD1", "name": "Third Benefit Plan"},
        subscriber={"member_id": "TER777002", "first_name": "Alex", "last_name": "Rivera",
                    "sex": "F"},
    )  # fmt: skip


def tertiary_payment(claim_id: str, total: Decimal) -> Remittance:
    """The tertiary payer's 835 (CLP02 3): it pays the 10.00 the secondary left."""
    return Remittance(
        remittance_id=f"ter-{claim_id}",
        claim_id=claim_id,
        payer_claim_control_number="TERPCN-1",
        decision=Decision.PAID,
        total_charge=total,
        paid_amount=D("10.00"),
        patient_responsibility=D("0.00"),
        adjustments=(Adjustment(group=GroupCode.OA, carc="23", amount=total - D("10.00")),),
        status_code="3",
    )


def handle_of(run: Run, claim_id: str) -> Handle:
    handle: Handle = run.env.client.get_workflow_handle(
        workflow_id(claim_id), result_type=ClaimOutcome
    )
    run.handles.append(handle)
    return handle


async def test_primary_secondary_and_tertiary_pay_and_the_ledger_balances(run: Run) -> None:
    claim = new_claim(other_coverages=[secondary_coverage(), tertiary_coverage()])
    assert claim.claim_id
    primary = await run.start(claim)
    await wait_status(primary, S.SUBMITTED)
    await primary.signal(ClaimWorkflow.remittance, primary_payment(claim))
    paid = await wait_status(primary, S.PAID)
    sec_id, ter_id = (secondary_claim_id(claim.claim_id, r) for r in ("S", "T"))
    assert paid.secondary_claim_id == sec_id

    secondary = handle_of(run, sec_id)
    await wait_status(secondary, S.SUBMITTED)
    # The secondary payer pays 20 and leaves the patient 10: the tertiary's turn.
    await secondary.signal(
        ClaimWorkflow.remittance, later_payment(sec_id, claim.total_charge, D("20.00"), D("10.00"))
    )
    sec_paid = await wait_status(secondary, S.PAID)
    assert (sec_paid.primary_claim_id, sec_paid.secondary_claim_id) == (claim.claim_id, ter_id)
    after_secondary = await wait_status(primary, S.PAID, min_seq=paid.seq + 2)
    assert after_secondary.balances is not None
    assert after_secondary.balances.patient_balance == D("10.00")

    tertiary = handle_of(run, ter_id)
    ter_view = await wait_status(tertiary, S.SUBMITTED)
    assert ter_view.primary_claim_id == claim.claim_id  # reports to the primary claim
    sent = run.payer.claims[-1]
    assert (sent.claim_id, sent.responsibility, sent.payer.payer_id) == (ter_id, "T", "SIMTHIRD1")
    assert [(c.responsibility, c.payer.payer_id) for c in sent.other_coverages] == [
        ("P", claim.payer.payer_id), ("S", "SIMSECOND1"),
    ]  # fmt: skip
    prior = [c.adjudication for c in sent.other_coverages]
    assert [a.paid if a else None for a in prior] == [D("120.00"), D("20.00")]
    assert [a.remaining_patient_liability if a else None for a in prior] == [D("30.00"), D("10.00")]
    text = render_837p([sent], envelope=ENVELOPE)
    assert validate(text) == []
    assert "SBR*T*18" in text and "AMT*D*120~" in text and "AMT*D*20~" in text

    await tertiary.signal(ClaimWorkflow.remittance, tertiary_payment(ter_id, claim.total_charge))
    await wait_status(tertiary, S.PAID)
    view = await wait_status(primary, S.PAID, min_seq=after_secondary.seq + 2)
    b = view.balances
    assert b is not None
    # Three payers' money on one ledger; nothing owed by anybody.
    assert b.paid == D("150.00")
    assert (b.outstanding, b.patient_balance) == (D("0.00"), D("0.00"))
    assert b.charged == b.paid + b.contractual + b.patient_responsibility
    later = [e for e in view.ledger if e.activity is Activity.SECONDARY]
    assert {e.remittance_id for e in later} == {
        f"sec-{sec_id}-20.00@{sec_id}", f"ter-{ter_id}@{ter_id}",
    }  # fmt: skip
    assert [h.status for h in view.history][-5:] == [
        S.PAID, S.ADJUDICATED, S.PAID, S.ADJUDICATED, S.PAID,
    ]  # fmt: skip
    assert "tertiary payer decided" in (view.history[-2].reason or "")
