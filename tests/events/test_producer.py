"""EventProducer on the real broker: several moves of one claim published together."""

from __future__ import annotations

import datetime as dt

from events import topics
from events.contract import ClaimEvent, ClaimEventData, make_event
from services.consumer import prepare_topics
from services.settings import Settings
from services.worker import make_producer
from tests.reliability.verify import read_topic

PATH = ("RECEIVED", "CODED", "SCRUBBED", "SUBMITTED")


def events(claim_id: str) -> list[ClaimEvent]:
    at = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
    return [
        make_event(
            time=at + dt.timedelta(seconds=seq),
            data=ClaimEventData.model_validate(
                {
                    "claim_id": claim_id,
                    "seq": seq,
                    "status": status,
                    "payer_id": "SIMPAYER1",
                    "total_charge": "150.00",
                }  # fmt: skip
            ),
        )
        for seq, status in enumerate(PATH, start=1)
    ]


def test_moves_published_together_reach_both_topics_in_order(settings: Settings) -> None:
    prepare_topics(settings)
    producer = make_producer(settings)
    try:
        sent = events("CLAIM-A")
        published = producer.publish_many(sent)
        producer.publish_many(events("CLAIM-B")[:1])
    finally:
        producer.close()
    # What it returns is where each lifecycle record is: one partition, consecutive offsets.
    assert [p.topic for p in published] == [settings.topic(topics.LIFECYCLE)] * len(PATH)
    assert len({p.partition for p in published}) == 1
    offsets = [p.offset for p in published]
    assert offsets == list(range(offsets[0], offsets[0] + len(PATH)))

    def of_claim_a(topic: str) -> list[ClaimEvent]:
        records = read_topic(settings.kafka_bootstrap, settings.topic(topic), timeout_s=30)
        return [ClaimEvent.from_json_bytes(v) for k, v in records if k == b"CLAIM-A"]

    assert of_claim_a(topics.LIFECYCLE) == sent
    # The state topic has every move too (compaction keeps the last), in the same order.
    assert [e.seq for e in of_claim_a(topics.STATE)] == [1, 2, 3, 4]
