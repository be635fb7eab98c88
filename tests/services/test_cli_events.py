"""`claimflow events tail`: the live stream on the real broker, filtered, as lines or JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from kafka import KafkaProducer

from events import topics
from services.apps import child_env
from services.consumer import prepare_topics
from services.settings import REPO_ROOT, Settings
from tests.events.events_testkit import raw_event


def publish(settings: Settings, *records: tuple[str, int, str, str]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for claim, seq, status, payer in records:
        producer.send(
            settings.topic(topics.LIFECYCLE),
            key=claim.encode(),
            value=raw_event(claim, seq, status, payer_id=payer, time=f"2026-11-02T12:00:0{seq}Z"),
        ).get(timeout=10)
    producer.close()


def tail(settings: Settings, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "services", "events", "tail", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(settings),
        cwd=REPO_ROOT,
    )


def test_tail_follows_new_events_filtered_by_type_and_payer(settings: Settings) -> None:
    prepare_topics(settings)
    publish(settings, ("OLD", 1, "PAID", "SIMPAYER1"))  # before the tail starts: not shown
    follower = tail(
        settings,
        "--type",
        "claimflow.claim.paid.v1",
        "--payer",
        "SIMPAYER1",
        "--json",
        "--limit",
        "2",
    )
    assert follower.stderr is not None
    assert follower.stderr.readline().startswith("following ")
    publish(
        settings,
        ("A", 1, "PAID", "SIMPAYER1"),
        ("A", 2, "DENIED", "SIMPAYER1"),
        ("B", 1, "PAID", "OTHERPAYER"),
        ("C", 1, "PAID", "SIMPAYER1"),
    )
    out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    assert sorted(json.loads(line)["id"] for line in out.splitlines()) == ["A:1", "C:1"]

    # From the beginning, everything, as lines a person reads.
    everything = tail(settings, "--from-beginning", "--limit", "5")
    out, err = everything.communicate(timeout=60)
    assert everything.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 5
    assert any("A:2" in line and "DENIED" in line and "SIMPAYER1" in line for line in lines)


def test_tail_refuses_what_it_cannot_follow(settings: Settings) -> None:
    bad_type = tail(settings, "--type", "claimflow.claim.payed.v1")
    _, err = bad_type.communicate(timeout=60)
    assert bad_type.returncode == 1 and "--type" in err and "not an event type" in err
    no_topic = tail(settings)  # this test's topics were never created
    _, err = no_topic.communicate(timeout=60)
    assert no_topic.returncode == 1 and "does not exist" in err
    assert "Traceback" not in err
