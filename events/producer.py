"""Publishing claim events with kafka-python.

kafka-python 3 is synchronous, so this runs inside a sync Temporal activity on a thread
pool. ``acks=all`` with idempotence means a broker-side retry never duplicates or reorders
a record; a *retried activity* can still publish twice, which is why every consumer
de-duplicates on (claim id, seq).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaProducer
from opentelemetry.trace import SpanKind

from events.connection import KafkaConnection, client_kwargs
from events.contract import ClaimAlert, ClaimEvent
from events.metrics import EVENTS_PUBLISHED, PUBLISH_SECONDS
from events.tracing import inject_headers, tracer


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int


class EventProducer:
    def __init__(
        self,
        bootstrap: str | KafkaConnection,
        *,
        lifecycle_topic: str,
        state_topic: str,
        alerts_topic: str,
        timeout_s: float = 20.0,
    ) -> None:
        self._lifecycle = lifecycle_topic
        self._state = state_topic
        self._alerts = alerts_topic
        self._timeout = timeout_s
        self._producer = KafkaProducer(
            **client_kwargs(bootstrap),
            acks="all",
            enable_idempotence=True,
            # One in-flight request per connection keeps order even across retries on
            # brokers that predate idempotent ordering guarantees.
            max_in_flight_requests_per_connection=1,
            linger_ms=0,
            client_id="claimflow-publisher",
        )

    def publish(self, event: ClaimEvent) -> Published:
        """Append to the lifecycle topic, then upsert the claim's latest state.

        Both sends are awaited: returning means the broker has the record on every
        in-sync replica. The lifecycle record goes first so that the state topic never
        runs ahead of the history it summarises.
        """
        key = event.subject.encode()
        value = event.to_json_bytes()
        with tracer.start_as_current_span(
            f"publish {event.type}",
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "claimflow.claim_id": event.subject},
        ):
            headers = [("ce_type", event.type.encode()), ("ce_id", event.id.encode())]
            headers += inject_headers()
            published = self._send("lifecycle", self._lifecycle, key, value, headers)
            self._send("state", self._state, key, value, headers)
        return published

    def publish_alert(self, alert: ClaimAlert) -> Published:
        headers = [("ce_type", alert.type.encode()), ("ce_id", alert.id.encode())]
        headers += inject_headers()
        return self._send(
            "alerts", self._alerts, alert.subject.encode(), alert.to_json_bytes(), headers
        )

    def _send(
        self, kind: str, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Published:
        """Send one record and wait for every in-sync replica to have it."""
        started = time.perf_counter()
        meta = self._producer.send(topic, key=key, value=value, headers=headers).get(
            timeout=self._timeout
        )
        PUBLISH_SECONDS.labels(kind).observe(time.perf_counter() - started)
        EVENTS_PUBLISHED.labels(kind).inc()
        return Published(topic=meta.topic, partition=meta.partition, offset=meta.offset)

    def close(self) -> None:
        self._producer.close(timeout=self._timeout)
