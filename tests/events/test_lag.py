"""Consumer lag on the real broker: what a group has not handled yet, and where it shows."""

from __future__ import annotations

import subprocess
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from events import topics
from events.lag import group_lag
from services.apps import child_env
from services.consumer import prepare_topics
from services.consumer_lag import consumer_groups, lag_by_group
from services.settings import REPO_ROOT, Settings


def test_lag_counts_what_a_group_has_not_committed(settings: Settings) -> None:
    prepare_topics(settings)
    topic = settings.topic(topics.LIFECYCLE)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for n in range(5):
        producer.send(topic, key=b"one-claim", value=b"%d" % n).get(timeout=10)
    producer.close()

    group = settings.topic("lag-test")
    assert group_lag(settings.kafka_bootstrap, group, [topic]).total == 5  # nothing committed

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    partition = next(
        TopicPartition(topic, p)
        for p in consumer.partitions_for_topic(topic) or ()
        if consumer.end_offsets([TopicPartition(topic, p)])[TopicPartition(topic, p)] == 5
    )
    consumer.commit({partition: OffsetAndMetadata(2, "", -1)})
    consumer.close()
    lag = group_lag(settings.kafka_bootstrap, group, [topic])
    assert lag.total == 3
    assert lag.partitions[(topic, partition.partition)] == 3
    assert lag.by_topic() == {topic: 3}

    # Our own groups: nothing consumed yet, so the projector is 5 behind.
    lags = lag_by_group(settings)
    assert set(lags) == set(consumer_groups(settings)) == {"projector", "webhooks"}
    assert lags["projector"].total == 5


def test_stack_status_prints_the_lag(settings: Settings, stack_settings: Settings) -> None:
    prepare_topics(settings)
    # The stack's state dir (where Kafka's pid file is), this test's topics.
    env = child_env(settings.model_copy(update={"state_dir": stack_settings.state_dir}))
    result = subprocess.run(
        [sys.executable, "-m", "services", "stack", "status"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("kafka") and "running" in line for line in lines)
    assert any(line.startswith("projector") and "lag 0" in line for line in lines), lines
    assert any(line.startswith("webhooks") and "lag 0" in line for line in lines), lines
