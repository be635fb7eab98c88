"""Publishing claim events with kafka-python.

kafka-python 3 is synchronous, so this runs inside a sync Temporal activity on a thread
pool. ``acks=all`` with idempotence means a broker-side retry never duplicates or reorders
a record; a *retried activity* can still publish twice, which is why every consumer
de-duplicates on (claim id, seq).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaProducer
from opentelemetry.trace import SpanKind

from events.connection import KafkaConnection, client_kwargs
from events.contract import ClaimAlert, ClaimEvent
from events.metrics import EVENTS_PUBLISHED, PUBLISH_SECONDS
from events.tracing import inject_headers, tracer


def _headers(message: ClaimEvent | ClaimAlert) -> list[tuple[str, bytes]]:
    """CloudEvents' binary-mode type and id, and the trace context of the current span."""
    return [("ce_type", message.type.encode()), ("ce_id", message.id.encode()), *inject_headers()]


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
            headers = _headers(event)
            published = self._send("lifecycle", self._lifecycle, key, value, headers)
            self._send("state", self._state, key, value, headers)
        return published

    def publish_many(self, events: Sequence[ClaimEvent]) -> list[Published]:
        """Several moves of one claim made together: every lifecycle record sent, then all
        awaited; then the state records, likewise.

        Same guarantees as ``publish`` for each event (the lifecycle topic has it, in
        order, before it returns; the state topic never runs ahead of it), in two waits
        instead of two per event: the producer batches what queues behind the request in
        flight. The lifecycle benchmark's floor workload publishes this way.
        """
        records = [(e.subject.encode(), e.to_json_bytes(), _headers(e)) for e in events]
        lifecycle = [self._start(self._lifecycle, *record) for record in records]
        published = [self._wait("lifecycle", *sent) for sent in lifecycle]
        for sent in [self._start(self._state, *record) for record in records]:
            self._wait("state", *sent)
        return published

    def _start(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> tuple[Any, float]:
        started = time.perf_counter()
        return self._producer.send(topic, key=key, value=value, headers=headers), started

    def _wait(self, kind: str, future: Any, started: float) -> Published:
        meta = future.get(timeout=self._timeout)
        PUBLISH_SECONDS.labels(kind).observe(time.perf_counter() - started)
        EVENTS_PUBLISHED.labels(kind).inc()
        return Published(topic=meta.topic, partition=meta.partition, offset=meta.offset)

    def publish_alert(self, alert: ClaimAlert) -> Published:
        return self._send(
            "alerts", self._alerts, alert.subject.encode(), alert.to_json_bytes(), _headers(alert)
        )

    def _send(
        self, kind: str, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Published:
        """Send one record and wait for every in-sync replica to have it."""
        return self._wait(kind, *self._start(topic, key, value, headers))

    def close(self) -> None:
        self._producer.close(timeout=self._timeout)
