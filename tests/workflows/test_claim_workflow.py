"""ClaimWorkflow scenarios: timers, appeals, reversals, voids, replacements, refusals."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError

from claims.model import Claim
from claims.status import ClaimStatus as S
from events.contract import AlertKind, ClaimAlert
from tests.workflows.conftest import (
    Run,
    acknowledgment,
    denial,
    new_claim,
    partial,
    payment,
    reversal,
    status_report,
    wait_status,
)
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    AppealRequest,
    CorrectionRequest,
    VoidRequest,
    WriteOffRequest,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]

SUBMITTED_PATH = [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED]


async def refused(call: object) -> str:
    """The message of an update refused by its validator or handler."""
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await call  # type: ignore[misc]
    return str(err.value.cause)


async def alerts_after(run: Run, claim: Claim, count: int) -> list[ClaimAlert]:
    for _ in range(100):
        alerts = run.alerts(claim)
        if len(alerts) >= count:
            return alerts
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} alerts, got {run.alerts(claim)}")


async def test_paid_claim_closes_after_the_settle_period(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A2", "A2:20"))
    await wait_status(handle, S.ACCEPTED)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)

    # 90 days (the default settle period) pass in an instant on the time-skipping server.
    outcome = await handle.result()
    assert outcome.status is S.CLOSED
    assert run.statuses(claim) == [
        *SUBMITTED_PATH,
        S.ACCEPTED,
        S.ADJUDICATED,
        S.PAID,
        S.CLOSED,
    ]
    view = await handle.query(ClaimWorkflow.state)
    assert view.history[-1].at - view.history[-2].at >= dt.timedelta(days=90)


async def test_appeal_window_expiry_after_reminders_in_order(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    view = await wait_status(handle, S.DENIED)
    assert view.appeal_deadline is not None

    outcome = await handle.result()
    assert outcome.status is S.WRITTEN_OFF
    final = await handle.query(ClaimWorkflow.state)
    assert final.history[-1].reason == "appeal_window_expired"
    assert final.history[-1].at >= view.appeal_deadline
    reminders = [a for a in run.alerts(claim) if a.data.kind is AlertKind.APPEAL_DEADLINE]
    assert [a.data.days_left for a in reminders] == [30, 7, 1]
    assert [a.time for a in reminders] == sorted(a.time for a in reminders)
    assert all(a.data.due == view.appeal_deadline for a in reminders)
    assert [a.id for a in reminders] == [f"{claim.claim_id}:alert:{n}" for n in (1, 2, 3)]


async def test_follow_up_alert_and_inquiry_when_the_payer_is_silent(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await run.env.sleep(dt.timedelta(days=31))
    view = await handle.query(ClaimWorkflow.state)
    assert view.status is S.SUBMITTED
    [alert] = await alerts_after(run, claim, 1)
    assert alert.data.kind is AlertKind.FOLLOW_UP_DUE
    assert alert.type == "claimflow.alert.follow_up_due.v1"
    assert [i.claim_id for i in run.payer.inquiries] == [claim.claim_id]

    await run.env.sleep(dt.timedelta(days=30))
    assert len(await alerts_after(run, claim, 2)) == 2  # and again, every follow-up interval
    # The payer answers at last; the claim moves on.
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)


async def test_two_level_appeal_ends_in_payment(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    first = await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="level one"))
    assert first.level == 1
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED, min_seq=8)
    second = await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="level two"))
    assert second.level == 2
    assert [a.level for a in run.payer.appeals] == [1, 2]
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)
    assert run.statuses(claim)[4:] == [
        S.ADJUDICATED,
        S.DENIED,
        S.APPEALED,
        S.ADJUDICATED,
        S.DENIED,
        S.APPEALED,
        S.ADJUDICATED,
        S.PAID,
    ]


async def test_appeal_refusals_change_nothing(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    message = await refused(handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="x")))
    assert "only a DENIED or PARTIALLY_PAID claim can be appealed" in message

    await handle.signal(ClaimWorkflow.remittance, denial(claim, carc="29"))
    before = await wait_status(handle, S.DENIED)
    message = await refused(handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="x")))
    assert "CO-29 timely filing" in message
    after = await handle.query(ClaimWorkflow.state)
    assert (after.status, after.seq, after.appeal_level) == (S.DENIED, before.seq, 0)
    assert run.payer.appeals == []
    assert len(run.events(claim)) == before.seq


async def test_appeal_refused_after_the_last_level(run: Run) -> None:
    claim = new_claim(
        payer={"payer_id": "P1", "name": "One Level", "further_appeal_windows_days": []}
    )
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="only level"))
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    # No level is left: the claim is written off at once, and a further appeal is refused.
    outcome = await handle.result()
    assert outcome.status is S.WRITTEN_OFF
    view = await handle.query(ClaimWorkflow.state)
    assert view.history[-1].reason == "appeals_exhausted"


async def test_partial_payment_appealed_then_paid(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, partial(claim))
    view = await wait_status(handle, S.PARTIALLY_PAID)
    assert view.denial_reasons == ("CO-97",)
    assert view.outstanding_amount == Decimal("35.00")
    await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="not bundled"))
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)


async def test_reversal_after_payment_then_correction(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)
    await handle.signal(ClaimWorkflow.remittance, reversal(claim))
    view = await wait_status(handle, S.ADJUDICATED, min_seq=7)
    assert view.history[-1].reason == "reversal"
    assert view.outstanding_amount == claim.total_charge
    await handle.signal(ClaimWorkflow.remittance, partial(claim))
    await wait_status(handle, S.PARTIALLY_PAID)
    assert run.statuses(claim)[4:] == [
        S.ADJUDICATED,
        S.PAID,
        S.ADJUDICATED,
        S.PARTIALLY_PAID,
    ]


async def test_void_sends_frequency_8_and_ends_the_claim(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    result = await handle.execute_update(ClaimWorkflow.void, VoidRequest(reason="wrong patient"))
    assert result.status is S.VOIDED
    assert (await handle.result()).status is S.VOIDED
    void = run.payer.claims[-1]
    assert (void.frequency_code, void.payer_claim_control_number) == ("8", "PCN-1")
    assert run.events(claim)[-1].data.reason == "wrong patient"


async def test_void_refused_before_submission(run: Run) -> None:
    claim = new_claim(diagnoses=("E11",))
    handle = await run.start(claim)
    before = await wait_status(handle, S.CODING_REVIEW)
    message = await refused(handle.execute_update(ClaimWorkflow.void, VoidRequest(reason="x")))
    assert "void is allowed only from" in message
    assert (await handle.query(ClaimWorkflow.state)).seq == before.seq


async def test_replacement_goes_out_as_frequency_7(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)

    fixed = claim.model_copy(update={"diagnoses": ["I10", "E119"]})
    result = await handle.execute_update(ClaimWorkflow.replace, CorrectionRequest(claim=fixed))
    assert result.status is S.SCRUBBED
    await wait_status(handle, S.SUBMITTED, min_seq=8)
    sent = run.payer.claims[-1]
    assert (sent.frequency_code, sent.payer_claim_control_number) == ("7", "PCN-1")
    assert sent.diagnoses == ["I10", "E119"]
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)
    assert run.statuses(claim)[5:] == [S.DENIED, S.SCRUBBED, S.SUBMITTED, S.ADJUDICATED, S.PAID]


async def test_replacement_with_errors_is_refused(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    before = await wait_status(handle, S.SUBMITTED)
    bad = claim.model_copy(update={"diagnoses": ["E11"]})
    message = await refused(
        handle.execute_update(ClaimWorkflow.replace, CorrectionRequest(claim=bad))
    )
    assert "CODE_ICD10_NOT_BILLABLE" in message
    after = await handle.query(ClaimWorkflow.state)
    assert (after.status, after.seq) == (S.SUBMITTED, before.seq)
    assert len(run.payer.claims) == 1


async def test_rejected_by_277ca_corrected_and_resubmitted(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:33"))
    view = await wait_status(handle, S.REJECTED)
    assert view.history[-1].reason == "277CA A3 A3:33"

    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=claim))
    await wait_status(handle, S.SUBMITTED, min_seq=8)
    assert len(run.payer.claims) == 2
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)


async def test_999_rejection(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.acknowledgment, acknowledgment(claim, accepted=True))
    await handle.signal(ClaimWorkflow.acknowledgment, acknowledgment(claim, accepted=False))
    view = await wait_status(handle, S.REJECTED)
    assert "member id missing" in (view.history[-1].reason or "")


async def test_duplicate_and_unexpected_payer_messages(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    paid = payment(claim)
    await handle.signal(ClaimWorkflow.remittance, paid)
    await handle.signal(ClaimWorkflow.remittance, paid)  # redelivered: applied once
    await wait_status(handle, S.PAID)
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3"))
    # A rejection after payment fits nowhere: an alert, not a silent drop and not a
    # transition (an A2 after payment is only late: see test_stuck_paths.py).
    [alert] = await alerts_after(run, claim, 1)
    assert alert.data.kind is AlertKind.UNEXPECTED_PAYER_MESSAGE
    assert run.statuses(claim).count(S.ADJUDICATED) == 1


async def test_write_off(run: Run) -> None:
    paid = new_claim()
    paid_handle = await run.start(paid)
    await wait_status(paid_handle, S.SUBMITTED)
    await paid_handle.signal(ClaimWorkflow.remittance, payment(paid))
    await wait_status(paid_handle, S.PAID)
    message = await refused(
        paid_handle.execute_update(ClaimWorkflow.write_off, WriteOffRequest(reason="x"))
    )
    assert "write_off is allowed only from" in message  # nothing is owed on a paid claim

    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    await handle.execute_update(
        ClaimWorkflow.write_off, WriteOffRequest(reason="small balance", note="under $50")
    )
    assert (await handle.result()).status is S.WRITTEN_OFF
    assert run.events(claim)[-1].data.reason == "small balance"


async def test_coding_review_waits_for_recode(run: Run) -> None:
    bad = new_claim(diagnoses=("E11",))
    handle = await run.start(bad)
    view = await wait_status(handle, S.CODING_REVIEW)
    assert any(f.field == "diagnoses[0]" for f in view.reports["coding"].errors)
    message = await refused(
        handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=bad))
    )
    assert "correct is allowed only from ELIGIBILITY_HOLD, REJECTED, SCRUB_FAILED" in message

    fixed = bad.model_copy(update={"diagnoses": ["E119"]})
    accepted = await handle.execute_update(ClaimWorkflow.recode, CorrectionRequest(claim=fixed))
    assert accepted.accepted_at_seq == 2
    await wait_status(handle, S.SUBMITTED)
    assert run.payer.claims[-1].diagnoses == ["E119"]


async def test_continue_as_new_keeps_state_and_seq(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim, history_limit=50)
    await wait_status(handle, S.SUBMITTED)
    first_run = (await handle.describe()).run_id
    # Many payer messages that move nothing ("received") still grow the history.
    for _ in range(15):
        await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A1"))
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="after handover"))
    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    await wait_status(handle, S.PAID)

    old = run.env.client.get_workflow_handle(handle.id, run_id=first_run)
    assert (await old.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    # The seq carried over: the stream has no gap and no repeat across the handover.
    assert run.statuses(claim) == [
        *SUBMITTED_PATH,
        S.ADJUDICATED,
        S.DENIED,
        S.APPEALED,
        S.ADJUDICATED,
        S.PAID,
    ]
    view = await handle.query(ClaimWorkflow.state)
    assert view.appeal_level == 1 and len(view.history) == 9
