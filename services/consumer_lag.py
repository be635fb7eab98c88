"""Lag of claimflow's own consumer groups: the read-model projector and webhook delivery.

``lag_by_group`` is what ``claimflow stack status`` prints and what a metrics endpoint can
export (one gauge per group, labelled by group and topic).
"""

from __future__ import annotations

from events import topics
from events.lag import GroupLag, group_lag
from services.settings import Settings


def consumer_groups(settings: Settings) -> dict[str, tuple[str, list[str]]]:
    """Our consumers: name -> (consumer group id, topics it reads)."""
    return {
        "projector": (
            settings.topic(settings.projector_group),
            [settings.topic(topics.LIFECYCLE)],
        ),
        "webhooks": (
            settings.topic(settings.webhooks_group),
            [settings.topic(topics.LIFECYCLE), settings.topic(topics.ALERTS)],
        ),
    }


def lag_by_group(settings: Settings, *, timeout_ms: int = 5000) -> dict[str, GroupLag]:
    return {
        name: group_lag(settings.kafka_connection, group, sources, timeout_ms=timeout_ms)
        for name, (group, sources) in consumer_groups(settings).items()
    }
