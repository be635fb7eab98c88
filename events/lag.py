"""Consumer lag: how many records a consumer group has yet to handle, per partition.

Lag is the end offset of each partition minus the group's committed offset (a partition the
group has never committed counts from its earliest record, since our consumers start from
the beginning). It is what operations watch to see the projector or the webhook delivery
falling behind; ``group_lag`` is the function a Prometheus gauge calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from events.connection import KafkaConnection, client_kwargs


@dataclass(frozen=True)
class GroupLag:
    group: str
    # (topic, partition) -> records not yet handled
    partitions: dict[tuple[str, int], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.partitions.values())

    def by_topic(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (topic, _), lag in self.partitions.items():
            out[topic] = out.get(topic, 0) + lag
        return out


def group_lag(
    target: str | KafkaConnection, group: str, topics: list[str], *, timeout_ms: int = 5000
) -> GroupLag:
    """The group's lag on each partition of ``topics`` (topics that do not exist are 0)."""
    kwargs = client_kwargs(target)
    admin = KafkaAdminClient(**kwargs, client_id="claimflow-lag", request_timeout_ms=timeout_ms)
    consumer = KafkaConsumer(**kwargs, client_id="claimflow-lag", request_timeout_ms=timeout_ms)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return GroupLag(group)
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        lags = {}
        for tp in partitions:
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
            lags[(tp.topic, tp.partition)] = max(0, ends[tp] - position)
        return GroupLag(group, lags)
    finally:
        consumer.close()
        admin.close()
