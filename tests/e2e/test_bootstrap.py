"""A new consumer bootstraps current state from claims.state.v1 alone, after 200 claims.

The 200 lifecycles are real ClaimWorkflows on the test stack, made cheap honestly: the payer
answers by signal (JSON gateway, no X12 files) almost at once, no projector runs (the truth
compared against is each workflow's own state), and a quarter of the claims stop early in
coding review. The state topic is set to compact quickly, so what the new consumer reads is
a compacted topic, as it would be in production.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from temporalio.client import Client
from ulid import ULID

from claims.model import Claim
from claims.status import ClaimStatus as S
from events import topics
from events.contract import ClaimEvent
from services.settings import Settings
from tests.services.webhooks_testkit import distinct_claim
from tests.support import Harness, harness
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimWorkflowInput, workflow_id

pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]

CLAIMS = 200
WAVE = 25
RESTING = {S.PAID, S.DENIED, S.PARTIALLY_PAID, S.CODING_REVIEW}
# Fields a consumer bootstraps: status, seq and the money.
AMOUNTS = ("total_charge", "paid_amount", "patient_responsibility", "outstanding_amount")


def payload(n: int) -> dict[str, Any]:
    charge = f"{150 + n}.00"
    kind = n % 4
    if kind == 0:  # stops in coding review (a category code, not billable)
        return distinct_claim(procedures=(("99213", charge),), diagnoses=("E11",))
    if kind == 1:  # denied CO-197: MRI without prior authorization
        return distinct_claim(procedures=(("70553", charge),), diagnoses=("G43909",))
    if kind == 2:  # partially paid: venipuncture bundled
        return distinct_claim(procedures=(("99214", charge), ("36415", "25.00")))
    return distinct_claim(procedures=(("99213", charge), ("85025", "35.00")))


async def start(h: Harness, body: dict[str, Any]) -> str:
    """Start a claim's workflow as ``POST /claims`` does, without the HTTP hop: 200 at once
    through one in-process server only measure its connection handling."""
    claim = Claim.model_validate(body).with_id(str(ULID()))
    assert claim.claim_id is not None
    await h.client.start_workflow(
        ClaimWorkflow.run,
        ClaimWorkflowInput(claim=claim),
        id=workflow_id(claim.claim_id),
        task_queue=h.settings.task_queue,
    )
    return claim.claim_id


def compacting_state_topic(settings: Settings) -> None:
    """Create this test's state topic so that the log cleaner compacts it within seconds."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.create_topics(
            [
                NewTopic(
                    name=settings.topic(topics.STATE),
                    num_partitions=settings.topic_partitions,
                    replication_factor=1,
                    topic_configs={
                        "cleanup.policy": "compact",
                        "segment.ms": "500",
                        "min.cleanable.dirty.ratio": "0.01",
                        "min.compaction.lag.ms": "0",
                    },
                )
            ]
        )
    finally:
        admin.close()


async def run_claims(h: Harness, timeout: float = 480) -> list[str]:
    """Run the claims in waves of WAVE, each wave to rest before the next starts.

    Hundreds of workflows started at once on a loaded machine make the worker pick up more
    workflow tasks than it finishes within their timeout, and the retries feed on
    themselves; waves keep it working. Rest is asked of Temporal's visibility (one request a
    second), not of 200 workflows by query.
    """
    resting = ", ".join(f"'{s}'" for s in sorted(RESTING))
    query = f"TaskQueue = '{h.settings.task_queue}' AND ClaimStatus IN ({resting})"
    deadline = time.monotonic() + timeout
    claim_ids: list[str] = []
    for first in range(0, CLAIMS, WAVE):
        claim_ids += await asyncio.gather(
            *(start(h, payload(n)) for n in range(first, first + WAVE))
        )
        while (count := (await h.client.count_workflows(query)).count) < len(claim_ids):
            assert time.monotonic() < deadline, f"only {count} of {len(claim_ids)} claims at rest"
            await asyncio.sleep(0.5)
    return claim_ids


def bootstrap(settings: Settings, group: str) -> tuple[dict[str, ClaimEvent], int]:
    """What a brand-new consumer group reads from the state topic: latest event per claim.

    Its one member takes every partition itself (``assign``) rather than waiting for the
    group coordinator to hand them over: on a loaded machine a first join has taken over a
    minute. The group has no committed offsets, so it starts from the earliest.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    latest: dict[str, ClaimEvent] = {}
    records = 0
    try:
        deadline = time.monotonic() + 120
        topic = settings.topic(topics.STATE)
        while not (partitions := consumer.partitions_for_topic(topic)):
            assert time.monotonic() < deadline, "state topic has no partitions"
            time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        ends = consumer.end_offsets(list(consumer.assignment()))
        consumer.seek_to_beginning()
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, "state topic not read in time"
            for batch in consumer.poll(timeout_ms=500).values():
                for record in batch:
                    records += 1
                    event = ClaimEvent.from_json_bytes(record.value)
                    if event.subject not in latest or event.seq > latest[event.subject].seq:
                        latest[event.subject] = event
        return latest, records
    finally:
        consumer.close()


async def test_the_state_topic_alone_reproduces_every_claim(
    settings: Settings, client: Client
) -> None:
    settings = settings.model_copy(update={"payer_gateway": "json", "payer_delay_seconds": 0.05})
    compacting_state_topic(settings)
    async with harness(settings, client, consumer=False) as h:
        started = time.monotonic()
        claim_ids = await run_claims(h)
        ran = time.monotonic() - started
        # The truth to compare against: each workflow's own view (a query), taken once.
        truth = {claim_id: await h.view(claim_id) for claim_id in claim_ids}
        await asyncio.sleep(2)  # let the cleaner see a rolled segment
        latest, records = await asyncio.to_thread(bootstrap, settings, settings.topic("newcomer"))

    assert set(latest) == set(claim_ids)
    for claim_id, view in truth.items():
        event = latest[claim_id]
        assert (event.data.status, event.seq) == (view["status"], view["seq"]), claim_id
        for field in AMOUNTS:
            got = getattr(event.data, field)
            want = view[field]
            if field == "outstanding_amount" and got is None:
                got = event.data.total_charge  # nothing adjudicated yet: all of it
            assert (got is None and want is None) or Decimal(str(got)) == Decimal(want), (
                claim_id,
                field,
                got,
                want,
            )
    statuses = {v["status"] for v in truth.values()}
    assert statuses == {"PAID", "DENIED", "PARTIALLY_PAID", "CODING_REVIEW"}
    transitions = sum(v["seq"] for v in truth.values())
    print(f"{CLAIMS} claims, {transitions} transitions in {ran:.0f}s; {records} state records read")
