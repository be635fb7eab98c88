"""Who acted, and write-offs above the threshold: they wait for a supervisor.

The actor and the threshold come in the update's input (the API sets them from the
credential and the settings); the workflow decides from them alone, deterministically.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from claims.model import Claim
from claims.roles import Role
from claims.status import ClaimStatus as S
from events.contract import Actor, AlertKind
from tests.workflows.conftest import Handle, Run, denial, new_claim, wait_status
from tests.workflows.test_claim_workflow import SUBMITTED_PATH, alerts_after, refused
from workflows.claim import ClaimWorkflow
from workflows.messages import AppealRequest, WriteOffDecision, WriteOffRequest

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]

BILLER = Actor(name="bea.biller", kind="user", roles=(Role.BILLER,), channel="console")
SUPERVISOR = Actor(name="sam.super", kind="user", roles=(Role.SUPERVISOR,), channel="api")
THRESHOLD = Decimal("100.00")


def ask(actor: Actor, reason: str = "uncollectable") -> WriteOffRequest:
    return WriteOffRequest(reason=reason, actor=actor, approval_threshold=THRESHOLD)


async def denied_claim(run: Run, charge: str = "185.00") -> tuple[Claim, Handle]:
    claim = new_claim(procedures=(("99213", charge),))
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    return claim, handle


async def test_biller_write_off_above_threshold_waits_for_a_supervisor(run: Run) -> None:
    claim, handle = await denied_claim(run)
    result = await handle.execute_update(ClaimWorkflow.write_off, ask(BILLER))
    assert result.status is S.DENIED
    assert result.pending_write_off is not None
    assert result.pending_write_off.amount == Decimal("185.00")
    view = await handle.query(ClaimWorkflow.state)
    assert view.pending_write_off is not None
    assert view.pending_write_off.requested_by == BILLER
    [alert] = await alerts_after(run, claim, 1)
    assert alert.data.kind is AlertKind.WRITE_OFF_APPROVAL_REQUESTED
    assert (alert.data.actor, alert.data.amount, alert.data.claim_seq) == (
        BILLER,
        Decimal("185.00"),
        view.seq,
    )

    # A second ask by a biller is refused; a biller cannot approve.
    message = await refused(handle.execute_update(ClaimWorkflow.write_off, ask(BILLER)))
    assert "already waits for a supervisor" in message
    message = await refused(
        handle.execute_update(ClaimWorkflow.approve_write_off, WriteOffDecision(actor=BILLER))
    )
    assert "needs the supervisor role" in message

    await handle.execute_update(
        ClaimWorkflow.approve_write_off,
        WriteOffDecision(actor=SUPERVISOR, note="ok"),
    )
    assert (await handle.result()).status is S.WRITTEN_OFF
    last = run.events(claim)[-1]
    assert last.data.status is S.WRITTEN_OFF
    assert last.data.actor == SUPERVISOR
    assert "asked by bea.biller, approved by sam.super" in (last.data.reason or "")
    view = await handle.query(ClaimWorkflow.state)
    assert view.pending_write_off is None
    assert view.history[-1].actor == SUPERVISOR


async def test_rejected_write_off_leaves_the_claim_and_a_supervisor_may_write_off(
    run: Run,
) -> None:
    claim, handle = await denied_claim(run)
    await handle.execute_update(ClaimWorkflow.write_off, ask(BILLER))
    await handle.execute_update(
        ClaimWorkflow.reject_write_off,
        WriteOffDecision(actor=SUPERVISOR, note="appeal it first"),
    )
    alerts = await alerts_after(run, claim, 2)
    assert [a.data.kind for a in alerts] == [
        AlertKind.WRITE_OFF_APPROVAL_REQUESTED,
        AlertKind.WRITE_OFF_REJECTED,
    ]
    assert alerts[1].data.actor == SUPERVISOR
    view = await handle.query(ClaimWorkflow.state)
    assert (view.status, view.pending_write_off) == (S.DENIED, None)
    message = await refused(
        handle.execute_update(ClaimWorkflow.approve_write_off, WriteOffDecision(actor=SUPERVISOR))
    )
    assert "no write-off" in message

    # A supervisor's own write-off above the threshold needs nobody.
    await handle.execute_update(ClaimWorkflow.write_off, ask(SUPERVISOR, "final"))
    assert (await handle.result()).status is S.WRITTEN_OFF
    assert run.events(claim)[-1].data.actor == SUPERVISOR


async def test_a_pending_write_off_lapses_when_the_claim_moves_and_actors_are_named(
    run: Run,
) -> None:
    claim, handle = await denied_claim(run)
    await handle.execute_update(ClaimWorkflow.write_off, ask(BILLER))
    await handle.execute_update(
        ClaimWorkflow.appeal,
        AppealRequest(reason="medically necessary", actor=BILLER),
    )
    view = await wait_status(handle, S.APPEALED)
    assert view.pending_write_off is None
    assert view.history[-1].actor == BILLER
    events = run.events(claim)
    assert [e.data.status for e in events][: len(SUBMITTED_PATH)] == SUBMITTED_PATH
    assert events[-1].data.actor == BILLER
    assert all(e.data.actor is None for e in events[:-1])  # the engine and the payer
    message = await refused(
        handle.execute_update(ClaimWorkflow.approve_write_off, WriteOffDecision(actor=SUPERVISOR))
    )
    assert "no write-off" in message


async def test_write_off_under_the_threshold_needs_no_approval(run: Run) -> None:
    claim, handle = await denied_claim(run, charge="95.00")
    result = await handle.execute_update(ClaimWorkflow.write_off, ask(BILLER, "small balance"))
    assert result.pending_write_off is None
    assert (await handle.result()).status is S.WRITTEN_OFF
    assert run.events(claim)[-1].data.actor == BILLER
