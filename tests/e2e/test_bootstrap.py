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
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from temporalio.client import Client

from claims.status import ClaimStatus as S
from events import topics
from events.contract import ClaimEvent
from services.settings import Settings
from tests.services.webhooks_testkit import distinct_claim
from tests.support import Harness, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

CLAIMS = 200
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


async def settle(h: Harness, claim_ids: list[str], timeout: float = 180) -> dict[str, Any]:
    views: dict[str, Any] = {}
    pending = set(claim_ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for claim_id in list(pending):
            view = await h.view(claim_id)
            if view["status"] in RESTING:
                views[claim_id] = view
                pending.discard(claim_id)
        await asyncio.sleep(0.5)
    assert not pending, f"{len(pending)} claims never came to rest"
    return views


def bootstrap(settings: Settings, group: str) -> tuple[dict[str, ClaimEvent], int]:
    """What a brand-new consumer group reads from the state topic: latest event per claim."""
    consumer = KafkaConsumer(
        settings.topic(topics.STATE),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    latest: dict[str, ClaimEvent] = {}
    records = 0
    try:
        deadline = time.monotonic() + 60
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)
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
        claim_ids = [await h.submit(payload(n)) for n in range(CLAIMS)]
        truth = await settle(h, claim_ids)
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
    print(f"{CLAIMS} claims, {transitions} transitions, {records} state records read")
