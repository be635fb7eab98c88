"""Coordination of benefits in ClaimWorkflow: the primary's 835 starts the secondary claim,
the secondary payer's decision lands on the primary's ledger, and a crossover sends nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from claims.cob import secondary_claim_id
from claims.ledger import Activity
from claims.model import Claim
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from claims.x12.render_837p import render_837p
from claims.x12.validate import validate
from tests.workflows.conftest import ENVELOPE, PCN, Run, new_claim, wait_status
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimOutcome, ClaimView, workflow_id

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]

D = Decimal


def secondary_coverage(**overrides: Any) -> dict[str, Any]:
    return {
        "responsibility": "S",
        "payer": {"payer_id": "SIMSECOND1", "name": "Second Mutual"},
        "subscriber": {
            "member_id": "SEC555001",
            "first_name": "Alex",
            "last_name": "Rivera",
            "sex": "F",
        },
        **overrides,
    }


def cob_claim() -> Claim:
    """Charges 150 + 35 = 185; the primary allows 150, pays 120, leaves 30 coinsurance."""
    return new_claim(other_coverages=[secondary_coverage()])


def primary_payment(claim: Claim, *, status_code: str = "1", **extra: Any) -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=f"prim-{claim.claim_id}",
        claim_id=claim.claim_id,
        payer_claim_control_number=PCN,
        decision=Decision.PAID,
        total_charge=claim.total_charge,
        paid_amount=D("120.00"),
        patient_responsibility=D("30.00"),
        adjustments=(
            Adjustment(group=GroupCode.CO, carc="45", amount=D("35.00")),
            Adjustment(group=GroupCode.PR, carc="2", amount=D("30.00")),
        ),
        status_code=status_code,
        **extra,
    )


def later_payment(claim_id: str, total: Decimal, paid: Decimal, patient: Decimal) -> Remittance:
    """A secondary payer's 835 (CLP02 2): OA-23 for what the primary settled."""
    adjustments = [Adjustment(group=GroupCode.OA, carc="23", amount=D("155.00"))]
    if patient:
        adjustments.append(Adjustment(group=GroupCode.PR, carc="2", amount=patient))
    return Remittance(
        remittance_id=f"sec-{claim_id}-{paid}",
        claim_id=claim_id,
        payer_claim_control_number="SECPCN-1",
        decision=Decision.PAID,
        total_charge=total,
        paid_amount=paid,
        patient_responsibility=patient,
        adjustments=tuple(adjustments),
        status_code="2",
    )


async def wait_view(
    handle: WorkflowHandle[ClaimWorkflow, ClaimOutcome], status: S, min_seq: int
) -> ClaimView:
    return await wait_status(handle, status, min_seq=min_seq)


async def settle_both(run: Run, secondary_paid: Decimal, patient: Decimal) -> ClaimView:
    claim = cob_claim()
    assert claim.claim_id
    primary = await run.start(claim)
    await wait_status(primary, S.SUBMITTED)
    await primary.signal(ClaimWorkflow.remittance, primary_payment(claim))
    paid = await wait_status(primary, S.PAID)
    sec_id = secondary_claim_id(claim.claim_id, "S")
    assert paid.secondary_claim_id == sec_id
    assert paid.balances is not None
    assert paid.balances.patient_balance == D("30.00")

    secondary: WorkflowHandle[ClaimWorkflow, ClaimOutcome] = run.env.client.get_workflow_handle(
        workflow_id(sec_id), result_type=ClaimOutcome
    )
    run.handles.append(secondary)
    sec_view = await wait_status(secondary, S.SUBMITTED)
    assert sec_view.primary_claim_id == claim.claim_id
    # What went to the secondary payer: SBR01 S, the primary's decision in 2320 (claim
    # level: this 835 has no SVC lines), pyx12-valid.
    sent = run.payer.claims[-1]
    assert sent.claim_id == sec_id
    assert sent.responsibility == "S"
    assert sent.payer.payer_id == "SIMSECOND1"
    prior = sent.other_coverages[0]
    assert prior.responsibility == "P"
    assert prior.adjudication is not None
    assert prior.adjudication.paid == D("120.00")
    text = render_837p([sent], envelope=ENVELOPE)
    assert validate(text) == []
    assert "SBR*S*18" in text and "SBR*P*18" in text and "AMT*D*120~" in text

    await secondary.signal(
        ClaimWorkflow.remittance,
        later_payment(sec_id, claim.total_charge, secondary_paid, patient),
    )
    await wait_status(secondary, S.PAID)
    return await wait_status(primary, S.PAID, min_seq=paid.seq + 2)


async def test_primary_pays_part_and_the_secondary_pays_the_rest(run: Run) -> None:
    view = await settle_both(run, D("30.00"), D("0.00"))
    b = view.balances
    assert b is not None
    # Both payers' money on one ledger; nothing owed by anybody.
    assert b.paid == D("150.00")
    assert b.outstanding == D("0.00")
    assert b.patient_balance == D("0.00")
    assert b.charged == b.paid + b.contractual + b.patient_responsibility
    assert any(e.activity is Activity.SECONDARY for e in view.ledger)
    assert [h.status for h in view.history][-3:] == [S.PAID, S.ADJUDICATED, S.PAID]


async def test_secondary_leaves_the_patient_a_share(run: Run) -> None:
    view = await settle_both(run, D("20.00"), D("10.00"))
    b = view.balances
    assert b is not None
    assert b.paid == D("140.00")
    assert b.outstanding == D("0.00")
    assert b.patient_balance == D("10.00")


async def test_crossover_sends_no_secondary_and_waits_for_the_crossover_payer(run: Run) -> None:
    claim = cob_claim()
    assert claim.claim_id
    primary = await run.start(claim)
    await wait_status(primary, S.SUBMITTED)
    sent_before = len(run.payer.claims)
    crossover = primary_payment(
        claim, status_code="19", crossover_payer_id="SIMSECOND1", crossover_payer_name="SECOND"
    )
    await primary.signal(ClaimWorkflow.remittance, crossover)
    paid = await wait_status(primary, S.PAID)
    assert paid.crossover_payer_id == "SIMSECOND1"
    assert paid.secondary_claim_id is None
    # No secondary claim: no workflow, nothing sent.
    with pytest.raises(RPCError):
        await run.env.client.get_workflow_handle(
            workflow_id(secondary_claim_id(claim.claim_id, "S"))
        ).describe()
    assert len(run.payer.claims) == sent_before
    # The crossover payer answers on the primary claim (it has our CLM01), CLP02 2.
    await primary.signal(
        ClaimWorkflow.remittance,
        later_payment(claim.claim_id, claim.total_charge, D("30.00"), D("0.00")),
    )
    done = await wait_status(primary, S.PAID, min_seq=paid.seq + 2)
    assert done.balances is not None
    assert done.balances.paid == D("150.00")
    assert done.balances.outstanding == D("0.00")
    assert done.balances.patient_balance == D("0.00")
    # Once the later payer has decided the claim settles and closes.
    assert await primary.result() == ClaimOutcome(
        claim_id=claim.claim_id, status=S.CLOSED, seq=done.seq + 1
    )
