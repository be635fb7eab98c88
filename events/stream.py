"""The faust-streaming app and its projector agents (claim events, alerts).

faust commits an offset only after the agent has processed the record, so a crash
replays records: at-least-once, made safe by the store's (claim id, seq) de-duplication.
Records no consumer can parse go to the DLQ topic with the reason, instead of stopping
the partition or being dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import faust
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from events.connection import KafkaConnection, faust_broker, faust_credentials
from events.contract import ClaimAlert, ClaimEvent
from events.metrics import DEAD_LETTERS, EVENT_LAG_SECONDS, TRANSITIONS
from events.projection import AlertStore, ReadModelStore
from events.tracing import extract_context, tracer

log = logging.getLogger(__name__)


def build_app(
    *, app_id: str, bootstrap: str | KafkaConnection, partitions: int, datadir: Path
) -> faust.App:
    return faust.App(
        app_id,
        broker=faust_broker(bootstrap),
        broker_credentials=faust_credentials(bootstrap),
        store="memory://",
        web_enabled=False,
        topic_partitions=partitions,
        consumer_auto_offset_reset="earliest",
        datadir=str(datadir),
    )


async def _to_dlq(dlq: Any, record: Any, reason: str) -> None:
    log.warning("to DLQ: %s", reason)
    await dlq.send(
        key=record.key,
        value=json.dumps(
            {
                "reason": reason,
                "topic": record.message.topic,
                "partition": record.message.partition,
                "offset": record.message.offset,
                "value": record.value.decode("utf-8", "replace"),
            }
        ).encode(),
    )


def register_projector(
    app: faust.App, *, lifecycle_topic: str, dlq_topic: str, store: ReadModelStore
) -> None:
    source = app.topic(lifecycle_topic, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(dlq_topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="claimflow-projector")
    async def project(stream: Any) -> None:
        async for record in stream.events():
            # The span continues the trace the publish activity wrote into the headers.
            with tracer.start_as_current_span(
                "project claim event",
                context=extract_context(record.headers),
                kind=SpanKind.CONSUMER,
            ) as span:
                raw: bytes = record.value
                try:
                    event = ClaimEvent.from_json_bytes(raw)
                except ValidationError as exc:
                    await _dead_letter(dlq, record, raw, exc)
                    continue
                span.set_attribute("claimflow.claim_id", event.subject)
                # The store is synchronous (SQLModel); keep the event loop free for Kafka I/O.
                if await asyncio.to_thread(store.apply, event):
                    TRANSITIONS.labels(event.data.status.value).inc()
                    lag = dt.datetime.now(dt.UTC) - event.time
                    EVENT_LAG_SECONDS.observe(max(lag.total_seconds(), 0.0))


async def _dead_letter(
    dlq: Any, record: Any, raw: bytes, exc: ValidationError, what: str = "claim event"
) -> None:
    reason = f"not a v1 {what}: {exc.errors()[0]['msg']}"
    log.warning("to DLQ: %s", reason)
    DEAD_LETTERS.inc()
    await dlq.send(
        key=record.key,
        value=json.dumps(
            {
                "reason": reason,
                "topic": record.message.topic,
                "partition": record.message.partition,
                "offset": record.message.offset,
                "value": raw.decode("utf-8", "replace"),
            }
        ).encode(),
    )


def register_alert_projector(
    app: faust.App, *, alerts_topic: str, dlq_topic: str, store: AlertStore
) -> None:
    """Alerts into their read model (the console's alert list and queues); same rules."""
    source = app.topic(alerts_topic, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(dlq_topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="claimflow-alert-projector")
    async def project_alerts(stream: Any) -> None:
        async for record in stream.events():
            try:
                alert = ClaimAlert.model_validate_json(record.value)
            except ValidationError as exc:
                await _dead_letter(dlq, record, record.value, exc, what="claim alert")
                continue
            await asyncio.to_thread(store.apply, alert)
