"""Eligibility before submission, on the time-skipping server: the claim's path and findings
for active coverage, inactive coverage, a member the payer does not know, a payer that does
not (or cannot) answer, and the re-check before a resubmission. The payer answers by the
simulator's rules (``services.payersim.eligibility_rules``), keyed by member id prefix."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError

from claims.model import Claim
from claims.status import ClaimStatus as S
from events.contract import AlertKind, ClaimAlert
from tests.workflows.conftest import PCN, Run, new_claim, status_report, wait_status
from tests.workflows.test_stuck_paths import with_member
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    AppealRequest,
    CorrectionRequest,
    VoidRequest,
    WriteOffRequest,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]

PATH = [S.RECEIVED, S.CODED, S.SCRUBBED]


def member(claim: Claim, member_id: str) -> Claim:
    return claim.model_copy(
        update={"subscriber": claim.subscriber.model_copy(update={"member_id": member_id})}
    )


async def alerts_of(run: Run, claim: Claim, n: int) -> list[ClaimAlert]:
    for _ in range(100):
        alerts = run.alerts(claim)
        if len(alerts) >= n:
            return alerts
        await asyncio.sleep(0.1)
    return run.alerts(claim)


async def test_active_coverage_goes_out_with_the_expected_patient_share(run: Run) -> None:
    claim = new_claim(**with_member("HDHP123"))  # $250 deductible, all remaining; then 20%
    handle = await run.start(claim)
    view = await wait_status(handle, S.SUBMITTED)
    assert run.statuses(claim) == [*PATH, S.SUBMITTED]
    [asked] = run.payer.eligibility
    assert asked.trace_number == claim.claim_id
    assert asked.date_of_service == claim.first_service_date
    assert len(run.payer.claims) == 1

    elig = view.eligibility
    assert elig is not None and elig.status == "active"
    assert elig.plan_name == "SIMULATED HIGH DEDUCTIBLE PLAN"
    assert elig.deductible_remaining == Decimal("250.00")
    assert elig.coinsurance_percent == Decimal("20")
    assert elig.out_of_pocket_remaining == Decimal("3000.00")
    share = elig.expected_patient_share
    assert share is not None and share.known
    # 185.00 charged, all of it under the deductible.
    assert (share.amount, share.deductible, share.coinsurance) == (
        Decimal("185.00"), Decimal("185.00"), Decimal("0.00"),
    )  # fmt: skip
    assert view.reports["eligibility"].findings == ()
    submitted = run.events(claim)[-1].data
    assert submitted.eligibility == elig
    assert submitted.stages == ("eligibility",)
    assert "HDHP123" not in run.events(claim)[-1].model_dump_json()  # no member id in events
    assert run.alerts(claim) == []


async def test_copay_plan_share_is_the_copay(run: Run) -> None:
    claim = new_claim(**with_member("COPAY9"))
    handle = await run.start(claim)
    view = await wait_status(handle, S.SUBMITTED)
    assert view.eligibility is not None
    assert view.eligibility.copay == Decimal("25.00")
    share = view.eligibility.expected_patient_share
    assert share is not None and share.total == Decimal("25.00") == share.copay


async def test_inactive_coverage_holds_the_claim_until_a_biller_corrects_it(run: Run) -> None:
    claim = new_claim(**with_member("INACTIVE42"))
    handle = await run.start(claim)
    view = await wait_status(handle, S.ELIGIBILITY_HOLD)
    assert run.statuses(claim) == [*PATH, S.ELIGIBILITY_HOLD]
    assert run.payer.claims == []  # never reached the payer
    [finding] = view.reports["eligibility"].errors
    assert finding.code == "ELIGIBILITY_INACTIVE"
    assert finding.field == "subscriber.member_id"
    ended = claim.first_service_date.replace(day=1) - dt.timedelta(days=1)
    assert f"inactive (EB 6), terminated on {ended.isoformat()}" in finding.message
    assert view.eligibility is not None and view.eligibility.status == "inactive"
    assert view.eligibility.coverage_end == ended
    assert view.eligibility.expected_patient_share is None
    held = run.events(claim)[-1].data
    assert held.reason == "eligibility: inactive"
    assert [f.code for f in held.findings] == ["ELIGIBILITY_INACTIVE"]

    # The biller finds the patient's current coverage: the claim is checked again, goes out.
    fixed = member(claim, "XJH555")
    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed))
    view = await wait_status(handle, S.SUBMITTED)
    assert [s for s in run.statuses(claim)][4:] == [S.CODED, S.SCRUBBED, S.SUBMITTED]
    assert [r.subscriber.member_id for r in run.payer.eligibility] == ["INACTIVE42", "XJH555"]
    assert run.payer.eligibility[1].trace_number != claim.claim_id  # a re-check: its own TRN
    assert view.reports["eligibility"].findings == ()  # the hold's finding is settled
    assert view.eligibility is not None and view.eligibility.status == "active"
    assert [c.subscriber.member_id for c in run.payer.claims] == ["XJH555"]


async def test_member_not_found_quotes_the_payer_and_may_be_written_off(run: Run) -> None:
    claim = new_claim(**with_member("NOTFOUND7"))
    handle = await run.start(claim)
    view = await wait_status(handle, S.ELIGIBILITY_HOLD)
    [finding] = view.reports["eligibility"].errors
    assert finding.code == "ELIGIBILITY_NOT_FOUND"
    # AAA*N**75*C at the subscriber: the reason and the follow-up action, in words.
    assert "AAA 75 in loop 2100C" in finding.message
    assert "subscriber/insured not found" in finding.message.lower()
    assert "please correct and resubmit" in finding.message.lower()
    assert view.eligibility is not None and view.eligibility.status == "not_found"

    # Self-pay: the biller writes the payer's part off (the patient is billed).
    await handle.execute_update(
        ClaimWorkflow.write_off, WriteOffRequest(reason="no coverage: bill the patient")
    )
    await wait_status(handle, S.WRITTEN_OFF)
    assert run.payer.claims == []


async def test_held_claim_refuses_what_only_a_payer_claim_allows(run: Run) -> None:
    claim = new_claim(**with_member("INACTIVE1"))
    handle = await run.start(claim)
    before = await wait_status(handle, S.ELIGIBILITY_HOLD)
    events = run.events(claim)
    for update, request in (
        (ClaimWorkflow.recode, CorrectionRequest(claim=claim)),
        (ClaimWorkflow.appeal, AppealRequest(reason="x")),
        (ClaimWorkflow.void, VoidRequest(reason="x")),
        (ClaimWorkflow.replace, CorrectionRequest(claim=claim)),
    ):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(update, request)  # type: ignore[arg-type]
        assert "refused" in str(err.value.cause)
    after = await handle.query(ClaimWorkflow.state)
    assert (after.status, after.seq) == (before.status, before.seq)
    assert run.events(claim) == events


@pytest.mark.parametrize("member_id", ["SILENT1", "UNAVAILABLE1"])
async def test_payer_that_does_not_answer_lets_the_claim_go_with_a_warning(
    run: Run, member_id: str
) -> None:
    claim = new_claim(**with_member(member_id))
    handle = await run.start(claim)
    view = await wait_status(handle, S.SUBMITTED)
    assert run.statuses(claim) == [*PATH, S.SUBMITTED]
    assert len(run.payer.claims) == 1
    [finding] = view.reports["eligibility"].findings
    assert (finding.code, finding.severity) == ("ELIGIBILITY_UNANSWERED", "warning")
    [alert] = await alerts_of(run, claim, 1)
    assert alert.data.kind is AlertKind.ELIGIBILITY_UNANSWERED
    assert alert.data.status is S.SCRUBBED
    elig = view.eligibility
    assert elig is not None
    if member_id.startswith("SILENT"):
        assert elig.status == "timeout"
        assert "did not answer" in finding.message
        assert "within 2 s" in (elig.reasons or "")
    else:
        assert elig.status == "error"
        assert "AAA 42 in loop 2100A" in finding.message


async def test_resubmission_is_rechecked_only_when_the_check_is_old(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim, recheck_after_days=5)
    await wait_status(handle, S.SUBMITTED)
    assert len(run.payer.eligibility) == 1

    # Rejected and corrected the next day: the check is fresh, not asked again.
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:21"))
    await wait_status(handle, S.REJECTED)
    await run.env.sleep(dt.timedelta(days=1))
    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=claim))
    await wait_status(handle, S.SUBMITTED, min_seq=7)
    assert len(run.payer.eligibility) == 1
    assert len(run.payer.claims) == 2

    # Rejected again and corrected a week later: the last check is too old, asked again.
    await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:21"))
    await wait_status(handle, S.REJECTED)
    await run.env.sleep(dt.timedelta(days=7))
    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=claim))
    view = await wait_status(handle, S.SUBMITTED, min_seq=11)
    assert len(run.payer.eligibility) == 2
    assert run.payer.eligibility[1].trace_number == f"{claim.claim_id}-{view.seq - 1}"
    assert view.eligibility is not None
    assert view.eligibility.checked_at > run.events(claim)[3].time


async def test_held_replacement_stays_a_replacement_when_corrected(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    # The payer has it; the biller replaces it with a member whose coverage has ended.
    await handle.execute_update(
        ClaimWorkflow.replace, CorrectionRequest(claim=member(claim, "INACTIVE3"))
    )
    view = await wait_status(handle, S.ELIGIBILITY_HOLD)
    assert view.frequency_code == "7"
    assert len(run.payer.claims) == 1
    await handle.execute_update(
        ClaimWorkflow.correct, CorrectionRequest(claim=member(claim, "XJH321"))
    )
    await wait_status(handle, S.SUBMITTED, min_seq=view.seq + 3)
    sent = run.payer.claims[-1]
    assert (sent.frequency_code, sent.payer_claim_control_number) == ("7", PCN)
    assert sent.subscriber.member_id == "XJH321"
