"""Kafka topics of the v1 contract.

Topic names carry the major version: a breaking change gets new topics, and v1 only ever
gains fields. What each topic keeps (retention, compaction) is part of the contract too,
so it lives here and both the topic creation and the AsyncAPI document read it.
"""

from __future__ import annotations

from dataclasses import dataclass

LIFECYCLE = "claims.lifecycle.v1"
STATE = "claims.state.v1"
ALERTS = "claims.alerts.v1"
DLQ = "claims.dlq.v1"
STATEMENTS = "claims.statements.v1"

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    # A compacted topic keeps the latest record per key, so a new consumer can bootstrap
    # current state without replaying history.
    compacted: bool = False
    # retention.ms: -1 keeps records for ever; None leaves the broker's default.
    retention_ms: int | None = None
    description: str = ""


ALL_TOPICS: tuple[TopicSpec, ...] = (
    # The history is kept: the read model (and any consumer's) is rebuilt by replaying it.
    TopicSpec(
        LIFECYCLE,
        retention_ms=-1,
        description="History: every transition of every claim, append-only, kept for ever.",
    ),
    TopicSpec(
        STATE,
        compacted=True,
        retention_ms=-1,
        description=(
            "The latest event of every claim, compacted (older records of a claim are "
            "removed in the background): read it from the beginning to bootstrap current "
            "state without replaying history."
        ),
    ),
    TopicSpec(
        ALERTS,
        retention_ms=30 * DAY_MS,
        description="Follow-up, appeal-deadline and unexpected-payer-message alerts.",
    ),
    TopicSpec(
        STATEMENTS,
        retention_ms=90 * DAY_MS,
        description=(
            "Patient statements ready to send (claimflow.statement.ready.v1): ids and amounts; "
            "the document itself is fetched from the API by a caller allowed to see PHI."
        ),
    ),
    TopicSpec(
        DLQ,
        retention_ms=30 * DAY_MS,
        description=(
            "Records no consumer could read, with the reason, topic, partition and offset "
            "they came from."
        ),
    ),
)

# Partitions per topic unless the deployment says otherwise (CLAIMFLOW_TOPIC_PARTITIONS).
# Consumers must not depend on the count: a claim's records share one partition whatever
# it is, because the key is the claim id.
DEFAULT_PARTITIONS = 3
