"""The faust projector on the real broker: dead letters go to the DLQ, the rest flows on."""

from __future__ import annotations

import json
import time

from kafka import KafkaConsumer, KafkaProducer

from claims.status import ClaimStatus as S
from events import topics
from tests.support import Harness, claim_payload


async def test_unreadable_record_goes_to_dlq_and_projection_continues(claimflow: Harness) -> None:
    settings = claimflow.settings
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    producer.send(settings.topic(topics.LIFECYCLE), key=b"junk", value=b'{"not": "an event"}').get(
        timeout=10
    )
    producer.close()

    claim_id = await claimflow.submit(claim_payload())
    await claimflow.wait_status(claim_id, S.PAID)
    await claimflow.wait_read_model(claim_id, S.PAID, seq=7)

    consumer = KafkaConsumer(
        settings.topic(topics.DLQ),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
    )
    deadline = time.monotonic() + 30
    letters: list[dict[str, object]] = []
    while not letters and time.monotonic() < deadline:
        letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(letters) == 1
    assert letters[0]["topic"] == settings.topic(topics.LIFECYCLE)
    assert "not a v1 claim event" in str(letters[0]["reason"])
    assert letters[0]["value"] == '{"not": "an event"}'
