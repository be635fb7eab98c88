"""ClaimWorkflow on the time-skipping test server: timers, updates and signals.

The test plays the payer: submissions go to a recording gateway (the payer is outside
claimflow), and the payer's decisions arrive as signals sent by the test. Events go to the
real Kafka broker, on topics unique to each test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from ulid import ULID

from activities.payer import AppealPacket, SubmissionReceipt
from claims.model import Claim
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from events import topics
from events.reader import read_claim_events
from services.consumer import prepare_topics
from services.settings import Settings
from services.worker import build_worker, make_producer
from tests.support import claim_payload
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    AppealRequest,
    ClaimOutcome,
    ClaimView,
    ClaimWorkflowInput,
    CorrectionRequest,
    workflow_id,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]

TEST_SERVER = Path(sys.prefix) / "bin" / "temporal-test-server"
# Set CLAIMFLOW_RECORD_HISTORIES=1 to (re)record the replay suite's histories.
HISTORIES = Path(__file__).parent / "histories"


class RecordingPayer:
    """The far side of the payer gateway: records what claimflow sent."""

    def __init__(self) -> None:
        self.claims: list[Claim] = []
        self.appeals: list[AppealPacket] = []

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        self.claims.append(claim)
        return SubmissionReceipt(payer_claim_control_number="PCN-1", submission_id="S-1")

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        self.appeals.append(packet)
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number,
            submission_id=f"A-{packet.level}",
        )


# One server per test: the time-skipping clock only moves forward, so tests must not share it.
@pytest_asyncio.fixture(loop_scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    ) as environment:
        yield environment


class Run:
    def __init__(self, env: WorkflowEnvironment, settings: Settings, payer: RecordingPayer):
        self.env = env
        self.settings = settings
        self.payer = payer
        self.handles: list[WorkflowHandle[ClaimWorkflow, ClaimOutcome]] = []

    async def start(self, claim: Claim) -> WorkflowHandle[ClaimWorkflow, ClaimOutcome]:
        assert claim.claim_id
        handle = await self.env.client.start_workflow(
            ClaimWorkflow.run,
            ClaimWorkflowInput(claim=claim, search_attributes=False),
            id=workflow_id(claim.claim_id),
            task_queue=self.settings.task_queue,
        )
        self.handles.append(handle)
        return handle

    def statuses(self, claim_id: str) -> list[S]:
        events = read_claim_events(
            self.settings.kafka_bootstrap,
            self.settings.topic(topics.LIFECYCLE),
            claim_id,
            dedupe=False,
        )
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        return [e.data.status for e in events]


@pytest_asyncio.fixture(loop_scope="session")
async def run(
    env: WorkflowEnvironment, settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[Run]:
    prepare_topics(settings)
    payer = RecordingPayer()
    producer = make_producer(settings)
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(
            env.client,
            task_queue=settings.task_queue,
            producer=producer,
            gateway=payer,
            executor=executor,
        )
        async with worker:
            result = Run(env, settings, payer)
            yield result
            if os.environ.get("CLAIMFLOW_RECORD_HISTORIES"):
                await record_histories(request.node.name, result.handles)
    producer.close()


async def record_histories(
    test_name: str, handles: list[WorkflowHandle[ClaimWorkflow, ClaimOutcome]]
) -> None:
    """Check in what this test's workflows did, for the replay suite (test_replay.py)."""
    HISTORIES.mkdir(exist_ok=True)
    for n, handle in enumerate(handles):
        history = await handle.fetch_history()
        (HISTORIES / f"{test_name.removeprefix('test_')}-{n}.json").write_text(history.to_json())


def new_claim(**overrides: object) -> Claim:
    return Claim.model_validate(claim_payload(claim_id=str(ULID()), **overrides))


def denial(claim: Claim, *, level: int = 0, carc: str = "197") -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=f"R-{level}-{uuid.uuid4().hex[:6]}",
        claim_id=claim.claim_id,
        payer_claim_control_number="PCN-1",
        decision=Decision.DENIED,
        total_charge=claim.total_charge,
        paid_amount=Decimal("0.00"),
        adjustments=(Adjustment(group=GroupCode.CO, carc=carc, amount=claim.total_charge),),
    )


def payment(claim: Claim, *, remittance_id: str = "R-pay") -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=remittance_id,
        claim_id=claim.claim_id,
        payer_claim_control_number="PCN-1",
        decision=Decision.PAID,
        total_charge=claim.total_charge,
        paid_amount=claim.total_charge,
    )


async def wait_status(handle: WorkflowHandle[ClaimWorkflow, ClaimOutcome], status: S) -> ClaimView:
    # Queries do not advance the test server's clock, so polling is safe with timers pending.
    view: ClaimView | None = None
    for _ in range(300):
        view = await handle.query(ClaimWorkflow.state)
        if view.status is status:
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {status}: {view}")


async def test_appeal_window_expiry_writes_the_claim_off(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    view = await wait_status(handle, S.DENIED)
    assert view.appeal_deadline is not None

    # 120 days (the default appeal window) pass in an instant on the time-skipping server.
    outcome = await handle.result()
    assert outcome.status is S.WRITTEN_OFF
    final = await handle.query(ClaimWorkflow.state)
    assert final.history[-1].reason == "appeal_window_expired"
    assert final.history[-1].at - final.history[-2].at >= dt.timedelta(days=120)
    assert run.statuses(claim.claim_id or "") == [
        S.RECEIVED,
        S.CODED,
        S.SCRUBBED,
        S.SUBMITTED,
        S.ADJUDICATED,
        S.DENIED,
        S.WRITTEN_OFF,
    ]


async def test_appeal_refused_outside_denied_changes_nothing(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="too early"))
    assert "only a DENIED claim can be appealed" in str(refused.value.cause)
    view = await handle.query(ClaimWorkflow.state)
    assert view.status is S.SUBMITTED and view.seq == 4
    assert run.payer.appeals == []

    await handle.signal(ClaimWorkflow.remittance, payment(claim))
    assert (await handle.result()).status is S.PAID


async def test_two_level_appeal_then_payment(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, denial(claim))
    await wait_status(handle, S.DENIED)
    first = await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="level one"))
    assert first.level == 1
    await handle.signal(ClaimWorkflow.remittance, denial(claim, level=1))
    await wait_status(handle, S.DENIED)
    second = await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="level two"))
    assert second.level == 2
    assert [a.level for a in run.payer.appeals] == [1, 2]
    await handle.signal(ClaimWorkflow.remittance, payment(claim, remittance_id="R-final"))
    assert (await handle.result()).status is S.PAID


async def test_duplicate_remittance_is_applied_once(run: Run) -> None:
    claim = new_claim()
    handle = await run.start(claim)
    await wait_status(handle, S.SUBMITTED)
    paid = payment(claim)
    await handle.signal(ClaimWorkflow.remittance, paid)
    await handle.signal(ClaimWorkflow.remittance, paid)
    outcome = await handle.result()
    assert outcome.status is S.PAID
    assert run.statuses(claim.claim_id or "").count(S.ADJUDICATED) == 1


async def test_coding_review_waits_for_recode(run: Run) -> None:
    bad = new_claim(diagnoses=("E11",))  # a category, not a billable code
    handle = await run.start(bad)
    view = await wait_status(handle, S.CODING_REVIEW)
    assert any(f.field == "diagnoses[0]" for f in view.reports["coding"].errors)

    # `correct` is for scrub failures; a claim in coding review is refused.
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=bad))

    fixed = bad.model_copy(update={"diagnoses": ["E119"]})
    accepted = await handle.execute_update(ClaimWorkflow.recode, CorrectionRequest(claim=fixed))
    assert accepted.accepted_at_seq == 2
    await wait_status(handle, S.SUBMITTED)
    assert run.payer.claims[-1].diagnoses == ["E119"]
    await handle.signal(ClaimWorkflow.remittance, payment(claim=fixed))
    assert (await handle.result()).status is S.PAID
    assert run.statuses(bad.claim_id or "")[:4] == [
        S.RECEIVED,
        S.CODING_REVIEW,
        S.CODED,
        S.SCRUBBED,
    ]


async def test_scrub_failure_waits_for_correction(run: Run) -> None:
    bad = new_claim(total_charge="999.00")  # lines sum to 185.00
    handle = await run.start(bad)
    view = await wait_status(handle, S.SCRUB_FAILED)
    assert [f.code for f in view.reports["scrub"].errors] == ["SCRUB_TOTAL_MISMATCH"]

    wrong_id = bad.model_copy(update={"claim_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=wrong_id))
    assert "does not match" in str(refused.value.cause)

    fixed = bad.model_copy(update={"total_charge": Decimal("185.00")})
    await handle.execute_update(ClaimWorkflow.correct, CorrectionRequest(claim=fixed))
    await wait_status(handle, S.SUBMITTED)
    await handle.signal(ClaimWorkflow.remittance, payment(fixed))
    assert (await handle.result()).status is S.PAID
    assert run.statuses(bad.claim_id or "")[:6] == [
        S.RECEIVED,
        S.CODED,
        S.SCRUB_FAILED,
        S.CODED,
        S.SCRUBBED,
        S.SUBMITTED,
    ]
