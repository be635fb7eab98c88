"""Kafka topics of the v1 contract.

Topic names carry the major version: a breaking change gets new topics, and v1 only ever
gains fields.
"""

from __future__ import annotations

from dataclasses import dataclass

LIFECYCLE = "claims.lifecycle.v1"
STATE = "claims.state.v1"
ALERTS = "claims.alerts.v1"
DLQ = "claims.dlq.v1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    # A compacted topic keeps the latest record per key, so a new consumer can bootstrap
    # current state without replaying history.
    compacted: bool = False


ALL_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(LIFECYCLE),
    TopicSpec(STATE, compacted=True),
    TopicSpec(ALERTS),
    TopicSpec(DLQ),
)
