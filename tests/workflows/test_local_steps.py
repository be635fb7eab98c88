"""LOCAL_STEPS (opt-in, ``remote_steps=False``): the short steps run as local activities.

The event is still on Kafka before the status moves (a broker outage holds the claim where
it is, without failing it, and it moves on once the broker is back, with no gap or copy in
its events), and ``remote_steps`` still selects the old path of ordinary activities.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from claims.status import ClaimStatus as S
from tests.workflows.conftest import Handle, Run, new_claim, wait_status
from workflows.claim import ClaimWorkflow

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]


async def scheduled_and_markers(handle: Handle) -> tuple[list[str], int]:
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    markers = sum(1 for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED)
    return scheduled, markers


async def test_a_clean_claim_reaches_submitted_without_a_task_queue_round_trip(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim, remote_steps=False)
    await wait_status(handle, S.SUBMITTED)
    scheduled, markers = await scheduled_and_markers(handle)
    assert scheduled == []
    # Coding, scrub, eligibility and submission, four events, and the patch markers.
    assert markers >= 8
    assert run.statuses(claim) == [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED]
    assert len(run.payer.claims) == 1


async def test_remote_steps_keeps_the_old_path(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim, remote_steps=True)
    await wait_status(handle, S.SUBMITTED)
    scheduled, _ = await scheduled_and_markers(handle)
    assert scheduled == [
        "publish_event", "check_coding", "publish_event", "scrub_claim", "publish_event",
        "check_eligibility", "submit_claim", "publish_event",
    ]  # fmt: skip
    assert run.statuses(claim) == [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED]


async def test_a_kafka_outage_holds_the_claim_until_the_broker_is_back(run: Run) -> None:
    run.producer.down = True
    claim = new_claim()
    handle = await run.start(claim, remote_steps=False)
    for _ in range(300):
        if run.producer.failures >= 3:
            break
        await asyncio.sleep(0.1)
    assert run.producer.failures >= 3  # retried, not given up on
    view = await handle.query(ClaimWorkflow.state)
    assert view.seq == 0  # nothing moved without its event
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
    assert run.payer.claims == []
    run.producer.down = False
    await wait_status(handle, S.SUBMITTED)
    # Each event once, in order: seq 1..4 with no gap or copy (Run.events asserts it).
    assert run.statuses(claim) == [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED]
