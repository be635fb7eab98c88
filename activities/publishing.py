"""The publish activity: one claim event onto Kafka, awaited.

Temporal's history is the outbox: the workflow records the event it wants published as
this activity's input, and retries the activity until the broker has it. The activity is
synchronous because kafka-python is; the worker runs it on a thread pool.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from pydantic import BaseModel
from temporalio import activity

from events.contract import ClaimAlert, ClaimEvent
from events.producer import EventProducer, Published

log = logging.getLogger(__name__)


class PublishInput(BaseModel):
    event: ClaimEvent


class AlertInput(BaseModel):
    alert: ClaimAlert


class PublishResult(BaseModel):
    partition: int
    offset: int


class PublishActivities:
    """Publishing retries for as long as Kafka is down (the claim cannot move without its
    event). The workflow's stall alert goes through Kafka too, so here the alarm for a
    publish that keeps failing past ``stall_after_s`` is an ERROR in the worker's log, once
    per attempt, naming the event (ids only) and how long it has been failing."""

    def __init__(self, producer: EventProducer, *, stall_after_s: float = 900.0) -> None:
        self._producer = producer
        self._stall_after = dt.timedelta(seconds=stall_after_s)

    def _publish(self, what: str, send: Callable[[], Published]) -> PublishResult:
        try:
            published = send()
        except Exception as exc:
            failing = dt.datetime.now(dt.UTC) - activity.info().scheduled_time
            if failing > self._stall_after:
                log.error(
                    "publishing %s has failed for %s (attempt %d, %s); Kafka down? retrying",
                    what,
                    failing,
                    activity.info().attempt,
                    type(exc).__name__,
                )
            raise
        return PublishResult(partition=published.partition, offset=published.offset)

    @activity.defn
    def publish_event(self, inp: PublishInput) -> PublishResult:
        result = self._publish(inp.event.id, lambda: self._producer.publish(inp.event))
        # Ids, status and offsets only: the event itself carries no PHI, but a log line
        # should not even tempt anyone to add the claim's data.
        activity.logger.info(
            "published %s (seq %d) at partition %d offset %d",
            inp.event.type,
            inp.event.seq,
            result.partition,
            result.offset,
        )
        return result

    @activity.defn
    def publish_alert(self, inp: AlertInput) -> PublishResult:
        return self._publish(inp.alert.id, lambda: self._producer.publish_alert(inp.alert))
