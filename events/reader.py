"""Reading one claim's events back from the lifecycle topic, in order, de-duplicated.

A claim's events all sit in the partition its key hashes to (the Java client's murmur2,
which kafka-python shares), so only that partition is read, from the start to its current
end. Duplicates from at-least-once delivery are dropped on seq.
"""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from events.connection import KafkaConnection, as_connection, client_kwargs
from events.contract import ClaimAlert, ClaimEvent


def partition_for(key: bytes, partitions: int) -> int:
    result: int = (murmur2(key) & 0x7FFFFFFF) % partitions
    return result


def read_records(
    bootstrap: str | KafkaConnection, topic: str, claim_id: str, *, timeout_s: float = 10.0
) -> list[bytes]:
    """The values of every record keyed by ``claim_id``, in partition (= publish) order."""
    key = claim_id.encode()
    consumer = KafkaConsumer(
        **client_kwargs(bootstrap),
        enable_auto_commit=False,
        client_id="claimflow-reader",
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise LookupError(
                f"topic {topic} does not exist on {as_connection(bootstrap).bootstrap}"
            )
        tp = TopicPartition(topic, partition_for(key, len(partitions)))
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        end = consumer.end_offsets([tp])[tp]
        values: list[bytes] = []
        # An empty poll is not the end (a loaded broker can be slow to fetch): read until
        # the end offset taken above, or give up at the deadline.
        deadline = time.monotonic() + timeout_s
        while consumer.position(tp) < end and time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            values.extend(r.value for r in batch.get(tp, []) if r.key == key)
        if consumer.position(tp) < end:
            raise TimeoutError(
                f"read {topic} up to {consumer.position(tp)} of {end} in {timeout_s}s"
            )
        return values
    finally:
        consumer.close()


def read_claim_events(
    bootstrap: str | KafkaConnection,
    topic: str,
    claim_id: str,
    *,
    timeout_s: float = 10.0,
    dedupe: bool = True,
) -> list[ClaimEvent]:
    """The claim's events in partition order; ``dedupe=False`` keeps redelivered copies."""
    records = [
        ClaimEvent.from_json_bytes(raw)
        for raw in read_records(bootstrap, topic, claim_id, timeout_s=timeout_s)
    ]
    if not dedupe:
        return records
    first: dict[int, ClaimEvent] = {}
    for event in records:
        first.setdefault(event.seq, event)
    return list(first.values())


def read_claim_alerts(
    bootstrap: str | KafkaConnection, topic: str, claim_id: str, *, timeout_s: float = 10.0
) -> list[ClaimAlert]:
    return [
        ClaimAlert.model_validate_json(raw)
        for raw in read_records(bootstrap, topic, claim_id, timeout_s=timeout_s)
    ]
