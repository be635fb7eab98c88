"""Dead letters: records a consumer could not handle, kept whole on ``claims.dlq.v1``.

A consumer that meets a record it cannot handle (not a v1 event, or refused by its store)
must neither stop its partition nor drop the record: it writes a ``DeadLetter`` with the
reason and the exact bytes, and carries on. After the cause is fixed (a consumer upgrade, a
read-model schema fix), ``replay`` sends each letter's record back to the topic it came
from, so every consumer sees it again. Consumers de-duplicate on (claim id, seq), so a
record replayed twice is still applied once.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from pydantic import BaseModel, Field

# Header a replayed record carries: where its dead letter was (dlq topic:partition:offset).
REPLAYED_FROM = "claimflow-replayed-from"


class DeadLetter(BaseModel):
    """One record a consumer could not handle, with where it came from and why."""

    reason: str
    consumer: str
    topic: str
    partition: int
    offset: int
    key: str | None = None
    # The record's value as text (for reading; undecodable bytes replaced) ...
    value: str | None = None
    # ... and exactly (for replay). None for a record with no value (a tombstone).
    value_base64: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)  # name -> base64 value
    failed_at: dt.datetime

    def raw_value(self) -> bytes | None:
        return None if self.value_base64 is None else base64.b64decode(self.value_base64)


def dead_letter(
    *,
    reason: str,
    consumer: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes] = (),
) -> DeadLetter:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return DeadLetter(
        reason=reason,
        consumer=consumer,
        topic=topic,
        partition=partition,
        offset=offset,
        key=None if key is None else key.decode("utf-8", "replace"),
        value=None if value is None else value.decode("utf-8", "replace"),
        value_base64=None if value is None else base64.b64encode(value).decode(),
        headers={k: base64.b64encode(v or b"").decode() for k, v in pairs},
        failed_at=dt.datetime.now(dt.UTC),
    )


@dataclass
class ReplayReport:
    replayed: list[DeadLetter] = field(default_factory=list)
    # Letters not sent back, with why (e.g. their topic is not one this installation owns).
    skipped: list[tuple[DeadLetter, str]] = field(default_factory=list)


def _read_new(
    consumer: KafkaConsumer, topic: str, timeout_s: float
) -> list[tuple[int, int, bytes]]:
    """(partition, offset, value) of every record from the group's position to the end
    offsets taken now: letters written while replaying wait for the next run."""
    partitions = consumer.partitions_for_topic(topic) or set()
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    grouped = consumer.config["group_id"] is not None
    for tp in tps:
        if not grouped or consumer.committed(tp) is None:
            consumer.seek_to_beginning(tp)
    ends = consumer.end_offsets(tps)
    out: list[tuple[int, int, bytes]] = []
    deadline = time.monotonic() + timeout_s
    while any(consumer.position(tp) < ends[tp] for tp in tps):
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read {topic} to its end within {timeout_s}s")
        for tp, records in consumer.poll(timeout_ms=500).items():
            out.extend((tp.partition, r.offset, r.value) for r in records if r.offset < ends[tp])
    return out


def read_letters(bootstrap: str, dlq_topic: str, *, timeout_s: float = 30.0) -> list[DeadLetter]:
    """Every letter on the DLQ, oldest first per partition (nothing committed)."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="claimflow-dlq"
    )
    try:
        return [
            DeadLetter.model_validate_json(v)
            for _, _, v in _read_new(consumer, dlq_topic, timeout_s)
        ]
    finally:
        consumer.close()


def replay(
    bootstrap: str,
    dlq_topic: str,
    *,
    allowed_topics: Sequence[str],
    group: str = "claimflow-dlq-replay",
    reason_contains: str | None = None,
    dry_run: bool = False,
    timeout_s: float = 30.0,
) -> ReplayReport:
    """Send every letter not looked at before back to its topic, in DLQ order.

    Progress is the consumer group's committed offset, committed after each letter's record
    is on its topic (acks=all): a crash mid-replay replays at most the one letter again, which
    consumers absorb. Each letter is looked at once per group: one whose reason does not
    contain ``reason_contains`` (a fix for one cause should not re-drive junk) is skipped and
    stays on the DLQ, to be listed, or replayed under another group. ``allowed_topics`` keeps
    a letter from being sent anywhere but to a topic of this installation.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        client_id="claimflow-dlq-replay",
    )
    producer = (
        None
        if dry_run
        else KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    )
    report = ReplayReport()
    try:
        for partition, offset, raw in _read_new(consumer, dlq_topic, timeout_s):
            letter = DeadLetter.model_validate_json(raw)
            if letter.topic not in allowed_topics:
                report.skipped.append((letter, f"{letter.topic} is not a topic of ours"))
            elif reason_contains is not None and reason_contains not in letter.reason:
                report.skipped.append((letter, f"its reason lacks {reason_contains!r}"))
            elif producer is not None:
                headers = [(k, base64.b64decode(v)) for k, v in letter.headers.items()]
                headers.append((REPLAYED_FROM, f"{dlq_topic}:{partition}:{offset}".encode()))
                producer.send(
                    letter.topic,
                    key=None if letter.key is None else letter.key.encode(),
                    value=letter.raw_value(),
                    headers=headers,
                ).get(timeout=30)
                report.replayed.append(letter)
            else:
                report.replayed.append(letter)
            if not dry_run:
                done = OffsetAndMetadata(offset + 1, "", -1)
                consumer.commit({TopicPartition(dlq_topic, partition): done})
        return report
    finally:
        if producer is not None:
            producer.close()
        consumer.close()
