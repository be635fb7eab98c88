"""Money in ClaimWorkflow: the ledger in events, overpayments, and one claim view.

The claim view the workflow answers and the one the read model answers are both
``events.view.claim_view`` over the same events; these tests hold them side by side.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from claims.ledger import Activity, EntryKind
from claims.model import Claim
from claims.remittance import Decision, Remittance
from claims.status import ClaimStatus as S
from events.contract import AlertKind, ClaimAlert
from services.db import init_db, make_engine
from services.readmodel import SqlReadModel, view_of
from tests.workflows.conftest import (
    Run,
    new_claim,
    partial,
    payment,
    wait_status,
)
from workflows.claim import ClaimWorkflow
from workflows.messages import AppealRequest, ClaimView

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]


async def alerts_of(run: Run, claim: Claim, kind: AlertKind, count: int = 1) -> list[ClaimAlert]:
    for _ in range(100):
        found = [a for a in run.alerts(claim) if a.data.kind is kind]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} alert: {run.alerts(claim)}")


def projected(run: Run, claim: Claim, tmp_path: Path) -> ClaimView:
    """The read model's view: the claim's events from Kafka through the projector's store."""
    engine = make_engine(f"sqlite:///{tmp_path / 'projected.db'}")
    init_db(engine)
    store = SqlReadModel(engine)
    for event in run.events(claim):
        store.apply(event)
    assert claim.claim_id
    found = view_of(engine, claim.claim_id)
    assert found is not None
    return found


def reversal_of(rem: Remittance) -> Remittance:
    """The payer taking ``rem`` back (CLP02 22): every amount negated."""
    return rem.model_copy(
        update={
            "remittance_id": rem.remittance_id + "-rev",
            "decision": Decision.REVERSAL,
            "total_charge": -rem.total_charge,
            "paid_amount": -rem.paid_amount,
            "adjustments": tuple(
                a.model_copy(update={"amount": -a.amount}) for a in rem.adjustments
            ),
        }
    )


def comparable(view: ClaimView) -> dict[str, object]:
    # follow_up_due is the one live timer only the workflow has.
    return view.model_dump(mode="json", exclude={"follow_up_due"})


async def test_read_model_and_query_agree_after_a_reversal(run: Run, tmp_path: Path) -> None:
    """Regression: the denial reasons once differed (the workflow cleared them on a
    reversal, the read model kept them)."""
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    part = partial(claim)
    await handle.signal(ClaimWorkflow.remittance, part)
    await wait_status(handle, S.PARTIALLY_PAID)
    await handle.signal(ClaimWorkflow.remittance, reversal_of(part))
    live = await wait_status(handle, S.ADJUDICATED, min_seq=7)
    stored = projected(run, claim, tmp_path)
    assert live.denial_reasons == stored.denial_reasons == ()
    assert comparable(live) == comparable(stored)
    assert live.outstanding_amount == claim.total_charge
    assert live.paid_amount == Decimal("0.00")  # the partial payment, then its reversal
    kinds = [(e.kind, e.activity) for e in live.ledger]
    assert (EntryKind.PAYMENT, Activity.REVERSAL) in kinds


async def test_second_payment_for_a_paid_claim_is_an_overpayment(run: Run, tmp_path: Path) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))  # another trace number
    [alert] = await alerts_of(run, claim, AlertKind.OVERPAYMENT)
    assert "to be recouped" in alert.data.message
    view = await wait_status(handle, S.PAID, min_seq=8)
    assert view.recoupment_expected == claim.total_charge
    assert view.paid_amount == 2 * claim.total_charge  # both payments kept, none overwritten
    assert view.outstanding_amount == 0
    assert run.events(claim)[-1].data.recoupment_expected == claim.total_charge
    assert comparable(view) == comparable(projected(run, claim, tmp_path))


async def test_reprocessed_appeal_reversal_then_payment(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    part = partial(claim)
    await handle.signal(ClaimWorkflow.remittance, part)
    await wait_status(handle, S.PARTIALLY_PAID)
    await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="not bundled"))
    taken_back = reversal_of(part)
    await handle.signal(ClaimWorkflow.remittance, taken_back)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    view = await wait_status(handle, S.PAID)
    assert view.paid_amount == claim.total_charge
    assert view.recoupment_expected == 0 and view.outstanding_amount == 0
    assert [a for a in run.alerts(claim) if a.data.kind is AlertKind.OVERPAYMENT] == []
    assert run.statuses(claim)[-3:] == [S.APPEALED, S.ADJUDICATED, S.PAID]
