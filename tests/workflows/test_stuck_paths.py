"""Paths that used to leave a claim where nobody could act on it, each now ending somewhere
a person can: a refused submission, a payer outage, two corrections at once, payer files
that cross. Each test failed before its fix (see RELIABILITY.md)."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import WorkflowUpdateFailedError

from claims.status import ClaimStatus as S
from events.contract import AlertKind
from tests.workflows.conftest import (
    REFUSED_ACCOUNT,
    Run,
    acknowledgment,
    new_claim,
    payment,
    status_report,
    wait_status,
)
from workflows.claim import ClaimWorkflow
from workflows.messages import CorrectionRequest, WriteOffRequest

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]


def with_member(member_id: str) -> dict[str, object]:
    return {
        "subscriber": {
            "member_id": member_id,
            "first_name": "Alex",
            "last_name": "Rivera",
            "date_of_birth": "1980-04-12",
            "sex": "F",
            "address": {
                "line1": "22 Oak Ave",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62704",
            },
        }
    }


async def test_claim_the_gateway_cannot_send_fails_scrub_with_a_finding(run: Run) -> None:
    """Before: submit_claim retried for ever in SCRUBBED (or failed the workflow)."""
    claim = new_claim(account_number=f"{REFUSED_ACCOUNT}-77")
    handle = await run.start(claim)
    view = await wait_status(handle, S.SCRUB_FAILED)
    [finding] = view.reports["submission"].errors
    assert finding.code == "SUBMIT_REFUSED"
    assert "account not on file" in finding.message
    assert "-77" not in finding.message  # the value is PHI: never quoted
    event = run.events(claim)[-1]
    assert (event.data.previous_status, event.data.status) == (S.SCRUBBED, S.SCRUB_FAILED)
    assert [f.code for f in event.data.findings] == ["SUBMIT_REFUSED"]
    assert run.payer.attempts == 1  # refused once, not retried

    fixed = claim.model_copy(update={"account_number": "ACCT-77"})
    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed))
    await wait_status(handle, S.SUBMITTED)


async def test_payer_outage_alerts_after_the_bound_and_keeps_retrying(run: Run) -> None:
    run.payer.down = True
    claim = new_claim()
    handle = await run.start(claim, stall_alert_after=2)
    await wait_status(handle, S.SCRUBBED)
    for _ in range(200):
        alerts = run.alerts(claim)
        if alerts:
            break
        await asyncio.sleep(0.1)
    [alert] = run.alerts(claim)
    assert alert.data.kind is AlertKind.ACTIVITY_STALLED
    assert "submission to the payer" in alert.data.message
    view = await handle.query(ClaimWorkflow.state)
    assert view.status is S.SCRUBBED and view.stalled is not None
    run.payer.down = False
    view = await wait_status(handle, S.SUBMITTED)
    assert view.stalled is None
    assert len(run.alerts(claim)) == 1  # once per stall, not once per retry


async def test_write_off_while_the_gateway_is_down_ends_the_claim(run: Run) -> None:
    """Before: SCRUBBED refused write-off and void, so an endless outage held the claim."""
    run.payer.down = True
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SCRUBBED)
    await handle.execute_update(ClaimWorkflow.write_off, WriteOffRequest(reason="payer gone"))
    outcome = await handle.result()
    assert outcome.status is S.WRITTEN_OFF
    assert run.statuses(claim)[-2:] == [S.SCRUBBED, S.WRITTEN_OFF]
    assert run.payer.claims == []


async def test_two_corrections_at_once_one_wins(run: Run) -> None:
    """Before: both got 200; the second was applied, unasked, at the next REJECTED."""
    claim = new_claim(total_charge="999.00")
    handle = await run.start(claim)
    await wait_status(handle, S.SCRUB_FAILED)
    fixed = claim.model_copy(update={"total_charge": claim.line_total})
    outcomes = await asyncio.gather(
        handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed)),
        handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed)),
        return_exceptions=True,
    )
    refusals = [o for o in outcomes if isinstance(o, WorkflowUpdateFailedError)]
    assert len(refusals) == 1, outcomes
    # Refused while the first is applied or, when the first got through in one workflow
    # task (local steps), because the claim has already moved on.
    reason = str(refusals[0].cause)
    assert "a correction of this claim is being applied" in reason or "is SUBMITTED" in reason
    await wait_status(handle, S.SUBMITTED)

    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:33"))
    rejected = await wait_status(handle, S.REJECTED)
    await asyncio.sleep(1.0)
    after = await handle.query(ClaimWorkflow.state)
    assert (after.status, after.seq) == (S.REJECTED, rejected.seq)  # nothing applied unasked
    assert run.statuses(claim).count(S.CODED) == 2  # the first coding and one correction


async def test_refused_while_a_correction_is_being_applied(run: Run) -> None:
    """A write-off racing a correction used to fail the workflow task (WRITTEN_OFF -> CODED)."""
    claim = new_claim(total_charge="999.00")
    handle = await run.start(claim)
    await wait_status(handle, S.SCRUB_FAILED)
    fixed = claim.model_copy(update={"total_charge": claim.line_total})
    outcomes = await asyncio.gather(
        handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed)),
        handle.execute_update(ClaimWorkflow.write_off, WriteOffRequest(reason="x")),
        return_exceptions=True,
    )
    # Whichever reached the claim first wins; the other is refused, and the claim goes on.
    # Under LOCAL_STEPS a correction may be applied whole (coded, scrubbed, submitted) in
    # one workflow task, before the write-off even reaches the claim: then both are applied,
    # one after the other, and the claim is written off from SUBMITTED.
    refusals = [o for o in outcomes if isinstance(o, WorkflowUpdateFailedError)]
    if not refusals:
        assert (await handle.result()).status is S.WRITTEN_OFF
        statuses = run.statuses(claim)
        assert statuses[-2:] == [S.SUBMITTED, S.WRITTEN_OFF], statuses
        return
    assert len(refusals) == 1, outcomes
    if isinstance(outcomes[1], WorkflowUpdateFailedError):
        assert "a correction of this claim is being applied" in str(outcomes[1].cause)
        await wait_status(handle, S.SUBMITTED)
    else:
        reason = str(refusals[0].cause)
        assert "another action on this claim is being applied" in reason or (
            "is WRITTEN_OFF" in reason  # the write-off got through first, in one task
        )
        assert (await handle.result()).status is S.WRITTEN_OFF
    statuses = run.statuses(claim)  # (asserts seq 1..n: no two moves took one seq)
    assert statuses.count(S.WRITTEN_OFF) + statuses.count(S.SUBMITTED) == 1, statuses


async def test_payer_messages_that_cross_are_recorded_not_alarmed(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)
    # The 999 and the 277CA of this submission, overtaken by its 835.
    await handle.signal(ClaimWorkflow.acknowledgment, acknowledgment(claim, accepted=True))
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A2", "A2:20"))
    view = None
    for _ in range(100):
        view = await handle.query(ClaimWorkflow.state)
        if len(view.late_messages) == 2:
            break
        await asyncio.sleep(0.05)
    assert view is not None and len(view.late_messages) == 2, view
    assert view.status is S.PAID
    assert run.alerts(claim) == []
    # A rejection after payment contradicts it: that one a person must see.
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:21"))
    for _ in range(100):
        if run.alerts(claim):
            break
        await asyncio.sleep(0.1)
    [alert] = run.alerts(claim)
    assert alert.data.kind is AlertKind.UNEXPECTED_PAYER_MESSAGE
