"""Creating the contract's topics with explicit settings.

The broker runs with ``auto.create.topics.enable=false``: a topic created by accident gets
the broker's default partition count, and a partition count cannot shrink later.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from events.connection import KafkaConnection, client_kwargs
from events.topics import TopicSpec


def ensure_topics(
    bootstrap: str | KafkaConnection,
    specs: Iterable[tuple[str, TopicSpec]],
    *,
    partitions: int,
    replication_factor: int,
    min_insync_replicas: int,
) -> list[str]:
    """Create each (full name, spec) topic that is missing; return the names created."""
    admin = KafkaAdminClient(**client_kwargs(bootstrap), client_id="claimflow-admin")
    try:
        existing = set(admin.list_topics())
        wanted = []
        for name, spec in specs:
            if name in existing:
                continue
            configs = {"min.insync.replicas": str(min_insync_replicas)}
            if spec.compacted:
                configs["cleanup.policy"] = "compact"
            if spec.retention_ms is not None:
                configs["retention.ms"] = str(spec.retention_ms)
            wanted.append(
                NewTopic(
                    name=name,
                    num_partitions=partitions,
                    replication_factor=replication_factor,
                    topic_configs=configs,
                )
            )
        created = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another process created it between our list and create
        return created
    finally:
        admin.close()


def wait_for_topics(
    bootstrap: str | KafkaConnection, names: Iterable[str], *, timeout_s: float = 30.0
) -> None:
    """Return once every topic is in the broker's metadata with its partitions led.

    A topic just created is not at once in the metadata a consumer sees; a faust worker that
    starts in that window ignores the topic for good ("Ignoring missing topic").
    """
    wanted = set(names)
    consumer = KafkaConsumer(**client_kwargs(bootstrap), client_id="claimflow-topic-wait")
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            missing = {n for n in wanted if not consumer.partitions_for_topic(n)}
            if not missing:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"topics not visible after {timeout_s}s: {sorted(missing)}")
            time.sleep(0.2)
            consumer.topics()  # refreshes the metadata
    finally:
        consumer.close()
