"""Eligibility asked through the file exchange, on the time-skipping server: the 270 goes
out as a file and the claim waits in SCRUBBED for the 271 (delivered by posting as the
``eligibility_answer`` signal) within the eligibility bound. Active: it goes out with the
benefits kept; inactive: ELIGIBILITY_HOLD quoting the payer; silent past the bound: it goes
out with the warning and the alert, exactly as over HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from claims.eligibility import EligibilityRequest
from claims.payer_messages import EligibilityAnswer
from claims.status import ClaimStatus as S
from events.contract import AlertKind
from services.payersim import eligibility_rules
from tests.workflows.conftest import Handle, Run, new_claim, wait_status
from tests.workflows.test_claim_eligibility import PATH, alerts_of
from tests.workflows.test_stuck_paths import with_member
from workflows.claim import ClaimWorkflow

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]


async def asked(run: Run) -> EligibilityRequest:
    for _ in range(200):
        if run.payer.eligibility:
            break
        await asyncio.sleep(0.05)
    [request] = run.payer.eligibility
    return request


async def answer_271(handle: Handle, request: EligibilityRequest, claim_id: str) -> None:
    """What posting delivers for the 271 that answers ``request``: the payer's decision,
    addressed to the claim found by the 270's trace number."""
    result = eligibility_rules.decide(
        request.subscriber.member_id or "",
        request.date_of_service,
        request.service_types,
        trace_number=request.trace_number,
        payer_id=request.payer.payer_id,
    )
    answer = EligibilityAnswer(message_id=f"271-{request.trace_number}", claim_id=claim_id,
                               trace_number=request.trace_number, result=result)  # fmt: skip
    await handle.signal(ClaimWorkflow.eligibility_answer, answer)


async def waits_in_scrubbed(run: Run, handle: Handle) -> None:
    await asyncio.sleep(1.0)
    view = await handle.query(ClaimWorkflow.state)
    assert view.status is S.SCRUBBED  # waiting for the 271, not gone on
    assert run.payer.claims == []


async def test_active_271_file_lets_the_claim_go_with_its_benefits(run: Run) -> None:
    run.payer.file_exchange, run.payer.file_bound = True, 600.0
    claim = new_claim(**with_member("HDHP77"))
    assert claim.claim_id
    handle = await run.start(claim)
    request = await asked(run)
    await waits_in_scrubbed(run, handle)
    # An answer for another claim, or to another question, changes nothing.
    other = request.model_copy(update={"trace_number": "SOMETHING-ELSE"})
    await answer_271(handle, other, claim.claim_id)
    await answer_271(handle, request, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    await waits_in_scrubbed(run, handle)

    await answer_271(handle, request, claim.claim_id)
    view = await wait_status(handle, S.SUBMITTED)
    assert run.statuses(claim) == [*PATH, S.SUBMITTED]
    elig = view.eligibility
    assert elig is not None and elig.status == "active"
    assert elig.trace_number == claim.claim_id
    assert elig.deductible_remaining == Decimal("250.00")
    share = elig.expected_patient_share
    assert share is not None and share.deductible == Decimal("185.00")
    assert view.reports["eligibility"].findings == ()  # no ELIGIBILITY_PENDING any more
    assert run.alerts(claim) == []
    assert len(run.payer.claims) == 1


async def test_inactive_271_file_holds_the_claim_quoting_the_payer(run: Run) -> None:
    run.payer.file_exchange, run.payer.file_bound = True, 600.0
    claim = new_claim(**with_member("INACTIVE8"))
    assert claim.claim_id
    handle = await run.start(claim)
    request = await asked(run)
    await waits_in_scrubbed(run, handle)
    await answer_271(handle, request, claim.claim_id)
    view = await wait_status(handle, S.ELIGIBILITY_HOLD)
    assert run.statuses(claim) == [*PATH, S.ELIGIBILITY_HOLD]
    [finding] = view.reports["eligibility"].errors
    assert finding.code == "ELIGIBILITY_INACTIVE"
    assert "inactive (EB 6), terminated on" in finding.message
    assert view.eligibility is not None and view.eligibility.status == "inactive"
    assert run.payer.claims == []  # never reached the payer


async def test_silent_payer_by_file_lets_the_claim_go_with_a_warning_and_an_alert(
    run: Run,
) -> None:
    run.payer.file_exchange = True  # the worker's bound (2 s)
    claim = new_claim(**with_member("XJH404"))
    handle = await run.start(claim)
    await asked(run)
    view = await wait_status(handle, S.SUBMITTED)
    assert run.statuses(claim) == [*PATH, S.SUBMITTED]
    [finding] = view.reports["eligibility"].findings
    assert (finding.code, finding.severity) == ("ELIGIBILITY_UNANSWERED", "warning")
    assert "did not answer" in finding.message
    assert "271 to 270-000000001.x12 did not come back within 2 s" in finding.message
    elig = view.eligibility
    assert elig is not None and elig.status == "timeout"
    [alert] = await alerts_of(run, claim, 1)
    assert alert.data.kind is AlertKind.ELIGIBILITY_UNANSWERED
    assert len(run.payer.claims) == 1


async def test_late_inactive_271_is_noted_on_the_claim_and_alerts(run: Run) -> None:
    run.payer.file_exchange = True  # the worker's bound (2 s)
    claim = new_claim(**with_member("INACTIVE41"))
    assert claim.claim_id
    handle = await run.start(claim)
    request = await asked(run)
    await wait_status(handle, S.SUBMITTED)  # went on unchecked, with the unanswered alert
    await alerts_of(run, claim, 1)
    # The payer's 271 comes back after the bound: inactive.
    await answer_271(handle, request, claim.claim_id)
    alerts = await alerts_of(run, claim, 2)
    assert [a.data.kind for a in alerts] == [
        AlertKind.ELIGIBILITY_UNANSWERED,
        AlertKind.ELIGIBILITY_LATE_NO_COVERAGE,
    ]
    assert "went to the payer unchecked" in alerts[1].data.message
    view = await handle.query(ClaimWorkflow.state)
    [note] = view.late_messages
    assert note.startswith(f"late 271 to the eligibility check {claim.claim_id},")
    assert "no coverage (inactive)" in note and "terminated" in note
    # The same 271 again (a redelivered file) changes nothing more.
    await answer_271(handle, request, claim.claim_id)
    await asyncio.sleep(0.5)
    assert len(run.alerts(claim)) == 2
    assert len((await handle.query(ClaimWorkflow.state)).late_messages) == 1
    assert view.status is S.SUBMITTED and view.eligibility is not None
    assert view.eligibility.status == "timeout"  # the check the claim went on with stands


async def test_late_active_271_is_noted_without_an_alert(run: Run) -> None:
    run.payer.file_exchange = True
    claim = new_claim(**with_member("COPAY42"))
    assert claim.claim_id
    handle = await run.start(claim)
    request = await asked(run)
    await wait_status(handle, S.SUBMITTED)
    await answer_271(handle, request, claim.claim_id)
    for _ in range(50):
        view = await handle.query(ClaimWorkflow.state)
        if view.late_messages:
            break
        await asyncio.sleep(0.1)
    [note] = view.late_messages
    assert "coverage active (copay" in note
    assert [a.data.kind for a in run.alerts(claim)] == [AlertKind.ELIGIBILITY_UNANSWERED]
