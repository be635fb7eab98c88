"""ClaimWorkflow on the time-skipping test server, with the test playing the payer.

Submissions go to a recording gateway (the payer is outside claimflow); the payer's answers
arrive as signals the test sends. Events and alerts go to the real Kafka broker, on topics
unique to each test. Each test gets its own test server: its clock only moves forward, so
tests must not share it.

Set CLAIMFLOW_RECORD_HISTORIES=1 to write every test's workflow histories under histories/
for the replay suite (test_replay.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from kafka.errors import KafkaTimeoutError
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from ulid import ULID

from activities.payer import AppealPacket, PayerRefused, StatusInquiry, SubmissionReceipt
from claims.eligibility import EligibilityRequest, EligibilityResult, EligibilityStatus
from claims.model import Claim
from claims.payer_messages import Acknowledgment, ClaimStatusReport
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from claims.x12.envelope import Envelope
from claims.x12.render_837p import render_837p
from events import topics
from events.contract import ClaimAlert, ClaimEvent
from events.producer import EventProducer, Published
from events.reader import read_claim_alerts, read_claim_events
from services.consumer import prepare_topics
from services.db import init_db, make_engine
from services.inbound_store import SqlUnmatchedStore
from services.payersim import eligibility_rules
from services.settings import Settings
from services.worker import build_worker, make_producer
from tests.support import claim_payload
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimOutcome, ClaimView, ClaimWorkflowInput, workflow_id

TEST_SERVER = Path(sys.prefix) / "bin" / "temporal-test-server"
HISTORIES = Path(__file__).parent / "histories"
# Histories are named for the workflow version that wrote them; older ones are never
# overwritten, so the replay suite keeps proving that workflows of every shape replay.
RECORD_TAG = "v6"
# The eligibility bound of the test worker (real seconds: activities run in real time).
ELIGIBILITY_TIMEOUT_S = 2.0
PCN = "PCN-1"
ENVELOPE = Envelope(
    sender_id="CLAIMFLOW", receiver_id="PAYER", interchange_control_number=1, group_control_number=1
)

Handle = WorkflowHandle[ClaimWorkflow, ClaimOutcome]


# Account numbers the recording payer's front end refuses.
REFUSED_ACCOUNT = "REFUSE"


class RecordingPayer:
    """The far side of the payer gateway: records what claimflow sent.

    Like the X12 gateway it refuses a claim the 837P cannot carry (the real renderer
    decides); like a payer's front end it refuses a claim whose account number starts with
    ``REFUSE`` (values that scrub passes but the payer will not take); and while ``down`` is
    set it fails like an unreachable payer. It answers eligibility by the payer simulator's
    rules (member ids starting INACTIVE, NOTFOUND, COPAY, HDHP, UNAVAILABLE; SILENT never
    answers).
    """

    def __init__(self) -> None:
        self.claims: list[Claim] = []
        self.appeals: list[AppealPacket] = []
        self.inquiries: list[StatusInquiry] = []
        self.eligibility: list[EligibilityRequest] = []
        self.down = False
        self.attempts = 0
        # Set: eligibility is asked by file, as the file gateway does (the answer is
        # ``pending``); the test delivers the 271 (``eligibility_answer``) or stays silent.
        # ``file_bound``: the wait the answer names (None: the worker's eligibility bound).
        self.file_exchange = False
        self.file_bound: float | None = None

    async def submit_claim(self, claim: Claim) -> SubmissionReceipt:
        self.attempts += 1
        if self.down:
            raise ConnectionError("payer unreachable")
        try:
            render_837p([claim], envelope=ENVELOPE)
        except ValueError as exc:
            raise PayerRefused(f"the claim cannot be sent as an 837P: {exc}") from exc
        if claim.account_number.startswith(REFUSED_ACCOUNT):
            raise PayerRefused("the payer's front end refused the claim: account not on file")
        self.claims.append(claim)
        return SubmissionReceipt(
            payer_claim_control_number=PCN, submission_id=f"S-{len(self.claims)}"
        )

    async def check_eligibility(self, request: EligibilityRequest) -> EligibilityResult:
        self.eligibility.append(request)
        member = request.subscriber.member_id or ""
        if self.file_exchange:
            return EligibilityResult(
                status=EligibilityStatus.PENDING,
                trace_number=request.trace_number,
                claim_id=request.claim_id,
                payer_id=request.payer.payer_id,
                reference=f"270-{len(self.eligibility):09d}.x12",
                answer_within_seconds=self.file_bound,
            )
        if eligibility_rules.is_silent(member):
            await asyncio.sleep(3600)  # the activity's bound ends it
        return eligibility_rules.decide(
            member,
            request.date_of_service,
            request.service_types,
            trace_number=request.trace_number,
            payer_id=request.payer.payer_id,
        )

    async def submit_appeal(self, packet: AppealPacket) -> SubmissionReceipt:
        self.appeals.append(packet)
        return SubmissionReceipt(
            payer_claim_control_number=packet.payer_claim_control_number,
            submission_id=f"A-{packet.level}",
        )

    async def inquire(self, inquiry: StatusInquiry) -> None:
        self.inquiries.append(inquiry)

    async def aclose(self) -> None:
        return None


class SwitchableProducer:
    """The real producer; while ``down`` is set every publish fails as with Kafka away."""

    def __init__(self, inner: EventProducer) -> None:
        self.inner = inner
        self.down = False
        self.failures = 0

    def _check(self) -> None:
        if self.down:
            self.failures += 1
            raise KafkaTimeoutError("broker unreachable (test)")

    def publish(self, event: ClaimEvent) -> Published:
        self._check()
        return self.inner.publish(event)

    def publish_alert(self, alert: ClaimAlert) -> Published:
        self._check()
        return self.inner.publish_alert(alert)


class Run:
    """One test's worker on one test server, and ways to look at what happened."""

    def __init__(
        self,
        env: WorkflowEnvironment,
        settings: Settings,
        payer: RecordingPayer,
        producer: SwitchableProducer,
    ):
        self.env = env
        self.settings = settings
        self.payer = payer
        self.producer = producer
        self.handles: list[Handle] = []

    async def start(
        self,
        claim: Claim,
        *,
        history_limit: int = 10_000,
        stall_alert_after: int = 900,
        recheck_after_days: int = 30,
        remote_steps: bool = True,
    ) -> Handle:
        assert claim.claim_id
        handle = await self.env.client.start_workflow(
            ClaimWorkflow.run,
            ClaimWorkflowInput(
                claim=claim,
                search_attributes=False,
                history_limit=history_limit,
                stall_alert_after_seconds=stall_alert_after,
                eligibility_recheck_after_days=recheck_after_days,
                remote_steps=remote_steps,
            ),
            id=workflow_id(claim.claim_id),
            task_queue=self.settings.task_queue,
        )
        self.handles.append(handle)
        return handle

    def events(self, claim: Claim) -> list[ClaimEvent]:
        """Every event of the claim on the topic, once each; asserts seq is 1..n with no gap
        and that no two different events took one seq.

        A record may be on the topic twice: a publish is at-least-once, and a local activity
        (LOCAL_STEPS) whose workflow task is lost before it completes (a worker crash, or a
        sticky task timing out on a loaded machine) runs again. A copy is the same event,
        with the same id, which consumers drop on (claim id, seq); two moves that took one
        seq would be two different events and fail here.
        """
        assert claim.claim_id
        records = read_claim_events(
            self.settings.kafka_bootstrap,
            self.settings.topic(topics.LIFECYCLE),
            claim.claim_id,
            dedupe=False,
        )
        events: list[ClaimEvent] = []
        for event in records:
            if events and event.seq <= events[-1].seq:
                [first] = [e for e in events if e.seq == event.seq]
                assert event.model_dump() == first.model_dump(), (first, event)
                continue
            events.append(event)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        return events

    def statuses(self, claim: Claim) -> list[S]:
        return [e.data.status for e in self.events(claim)]

    def transitions(self, claim: Claim) -> list[tuple[S | None, S]]:
        return [(e.data.previous_status, e.data.status) for e in self.events(claim)]

    def alerts(self, claim: Claim) -> list[ClaimAlert]:
        assert claim.claim_id
        return read_claim_alerts(
            self.settings.kafka_bootstrap, self.settings.topic(topics.ALERTS), claim.claim_id
        )


async def wait_status(handle: Handle, status: S, *, min_seq: int = 0) -> ClaimView:
    """Poll the query; queries do not move the time-skipping clock."""
    view: ClaimView | None = None
    for _ in range(400):
        try:
            view = await handle.query(ClaimWorkflow.state)
        except RPCError as exc:
            # On a loaded machine a query can time out while the worker catches up (or while
            # a run hands over to the next); only give up on real errors.
            # (the client's own RPC timeout arrives as CANCELLED "Timeout expired").
            if exc.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
                raise
            continue
        if view.status is status and view.seq >= min_seq:
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {status}: {view}")


@pytest_asyncio.fixture(loop_scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    ) as environment:
        yield environment


@pytest_asyncio.fixture(loop_scope="session")
async def run(
    env: WorkflowEnvironment, settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[Run]:
    prepare_topics(settings)
    payer = RecordingPayer()
    producer = make_producer(settings)
    switchable = SwitchableProducer(producer)
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = build_worker(
            env.client,
            task_queue=settings.task_queue,
            producer=switchable,  # type: ignore[arg-type]
            gateway=payer,
            executor=executor,
            unmatched=SqlUnmatchedStore(engine),
            eligibility_timeout_s=ELIGIBILITY_TIMEOUT_S,
        )
        async with worker:
            result = Run(env, settings, payer, switchable)
            yield result
            if os.environ.get("CLAIMFLOW_RECORD_HISTORIES"):
                await record_histories(request.node.name, result.handles)
    producer.close()
    engine.dispose()


async def record_histories(test_name: str, handles: list[Handle]) -> None:
    HISTORIES.mkdir(exist_ok=True)
    name = test_name.removeprefix("test_").replace("[", "-").replace("]", "")
    for n, handle in enumerate(handles):
        history = await handle.fetch_history()
        (HISTORIES / f"{RECORD_TAG}-{name}-{n}.json").write_text(history.to_json())


# ------------------------------------------------------------------- builders


def new_claim(**overrides: object) -> Claim:
    return Claim.model_validate(claim_payload(claim_id=str(ULID()), **overrides))


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def payment(claim: Claim) -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=_id("pay"),
        claim_id=claim.claim_id,
        payer_claim_control_number=PCN,
        decision=Decision.PAID,
        total_charge=claim.total_charge,
        paid_amount=claim.total_charge,
    )


def denial(claim: Claim, *, carc: str = "50") -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=_id("deny"),
        claim_id=claim.claim_id,
        payer_claim_control_number=PCN,
        decision=Decision.DENIED,
        total_charge=claim.total_charge,
        paid_amount=Decimal("0.00"),
        adjustments=(Adjustment(group=GroupCode.CO, carc=carc, amount=claim.total_charge),),
    )


def partial(claim: Claim) -> Remittance:
    assert claim.claim_id
    bundled = Decimal("35.00")
    return Remittance(
        remittance_id=_id("part"),
        claim_id=claim.claim_id,
        payer_claim_control_number=PCN,
        decision=Decision.PARTIALLY_PAID,
        total_charge=claim.total_charge,
        paid_amount=claim.total_charge - bundled,
        adjustments=(Adjustment(group=GroupCode.CO, carc="97", amount=bundled),),
    )


def reversal(claim: Claim) -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id=_id("rev"),
        claim_id=claim.claim_id,
        payer_claim_control_number=PCN,
        decision=Decision.REVERSAL,
        total_charge=-claim.total_charge,
        paid_amount=-claim.total_charge,
    )


def status_report(claim: Claim, category: str, *codes: str) -> ClaimStatusReport:
    assert claim.claim_id
    return ClaimStatusReport(
        message_id=_id("277"),
        claim_id=claim.claim_id,
        category=category,
        status_codes=codes,
        payer_claim_control_number=PCN,
    )


def acknowledgment(claim: Claim, *, accepted: bool) -> Acknowledgment:
    assert claim.claim_id
    return Acknowledgment(
        message_id=_id("999"),
        claim_id=claim.claim_id,
        accepted=accepted,
        errors=() if accepted else ("IK3*NM1*12**8: member id missing",),
    )
