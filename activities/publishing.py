"""The publish activity: one claim event onto Kafka, awaited.

Temporal's history is the outbox: the workflow records the event it wants published as
this activity's input, and retries the activity until the broker has it. The activity is
synchronous because kafka-python is; the worker runs it on a thread pool.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from events.contract import ClaimAlert, ClaimEvent
from events.producer import EventProducer


class PublishInput(BaseModel):
    event: ClaimEvent


class AlertInput(BaseModel):
    alert: ClaimAlert


class PublishResult(BaseModel):
    partition: int
    offset: int


class PublishActivities:
    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer

    @activity.defn
    def publish_event(self, inp: PublishInput) -> PublishResult:
        published = self._producer.publish(inp.event)
        # Ids, status and offsets only: the event itself carries no PHI, but a log line
        # should not even tempt anyone to add the claim's data.
        activity.logger.info(
            "published %s (seq %d) at partition %d offset %d",
            inp.event.type,
            inp.event.seq,
            published.partition,
            published.offset,
        )
        return PublishResult(partition=published.partition, offset=published.offset)

    @activity.defn
    def publish_alert(self, inp: AlertInput) -> PublishResult:
        published = self._producer.publish_alert(inp.alert)
        return PublishResult(partition=published.partition, offset=published.offset)
