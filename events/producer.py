"""Publishing claim events with kafka-python.

kafka-python 3 is synchronous, so this runs inside a sync Temporal activity on a thread
pool. ``acks=all`` with idempotence means a broker-side retry never duplicates or reorders
a record; a *retried activity* can still publish twice, which is why every consumer
de-duplicates on (claim id, seq).
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaProducer

from events.contract import ClaimAlert, ClaimEvent


@dataclass(frozen=True)
class Published:
    topic: str
    partition: int
    offset: int


class EventProducer:
    def __init__(
        self,
        bootstrap: str,
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
            bootstrap_servers=bootstrap,
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
        headers = [("ce_type", event.type.encode()), ("ce_id", event.id.encode())]
        meta = self._producer.send(self._lifecycle, key=key, value=value, headers=headers).get(
            timeout=self._timeout
        )
        self._producer.send(self._state, key=key, value=value, headers=headers).get(
            timeout=self._timeout
        )
        return Published(topic=meta.topic, partition=meta.partition, offset=meta.offset)

    def publish_alert(self, alert: ClaimAlert) -> Published:
        headers = [("ce_type", alert.type.encode()), ("ce_id", alert.id.encode())]
        meta = self._producer.send(
            self._alerts, key=alert.subject.encode(), value=alert.to_json_bytes(), headers=headers
        ).get(timeout=self._timeout)
        return Published(topic=meta.topic, partition=meta.partition, offset=meta.offset)

    def close(self) -> None:
        self._producer.close(timeout=self._timeout)
