"""The faust-streaming app and its projector agents (claim events, alerts).

faust commits an offset only after the agent has processed the record, so a crash
replays records: at-least-once, made safe by the store's (claim id, seq) de-duplication.
A record the projector cannot handle (not a v1 claim event, or one its store refuses) goes
to the DLQ topic whole, with the reason, instead of stopping the partition or being
dropped; ``claimflow dlq replay`` sends it back once the cause is fixed. An unreachable
store is not the record's fault: the projector waits for it, holding its place.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import faust
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from events.connection import KafkaConnection, faust_broker, faust_credentials
from events.contract import ClaimAlert, ClaimEvent
from events.dead_letters import dead_letter
from events.metrics import DEAD_LETTERS, EVENT_LAG_SECONDS, TRANSITIONS
from events.projection import AlertStore, ReadModelStore, StoreUnavailable
from events.tracing import extract_context, tracer

log = logging.getLogger(__name__)

PROJECTOR = "claimflow-projector"
ALERT_PROJECTOR = "claimflow-alert-projector"
# How long the projector waits between tries while its store is unavailable.
STORE_RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)


def build_app(
    *,
    app_id: str,
    bootstrap: str | KafkaConnection,
    partitions: int,
    datadir: Path,
    session_timeout_s: float = 10.0,
) -> faust.App:
    """``session_timeout_s``: how soon the group notices a dead member and hands its
    partitions to the others (faust's own default is a minute)."""
    return faust.App(
        app_id,
        broker=faust_broker(bootstrap),
        broker_credentials=faust_credentials(bootstrap),
        store="memory://",
        web_enabled=False,
        topic_partitions=partitions,
        consumer_auto_offset_reset="earliest",
        datadir=str(datadir),
        broker_session_timeout=session_timeout_s,
        broker_heartbeat_interval=max(session_timeout_s / 5, 0.5),
    )


def _headers(record: Any) -> list[tuple[str, bytes]]:
    raw = getattr(record.message, "headers", None) or ()
    items = raw.items() if isinstance(raw, dict) else raw
    return [(str(k), bytes(v or b"")) for k, v in items]


async def _to_dlq(dlq: Any, consumer: str, record: Any, reason: str) -> None:
    """Send the record whole to the DLQ topic with the reason; the partition goes on."""
    message = record.message
    log.warning("to DLQ: %s:%s@%s: %s", message.topic, message.partition, message.offset, reason)
    DEAD_LETTERS.inc()
    letter = dead_letter(
        reason=reason,
        consumer=consumer,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=record.key,
        value=record.value,
        headers=_headers(record),
    )
    await dlq.send(key=record.key, value=letter.model_dump_json().encode())


async def _apply(store: ReadModelStore | AlertStore, item: Any) -> bool:
    """Apply (True: new, False: a copy already applied), waiting out an unavailable store;
    other errors are the record's, raised."""
    attempt = 0
    while True:
        try:
            # The store is synchronous (SQLModel); keep the event loop free for Kafka I/O.
            applied: bool = await asyncio.to_thread(store.apply, item)
            return applied
        except StoreUnavailable as exc:
            delay = STORE_RETRY_S[min(attempt, len(STORE_RETRY_S) - 1)]
            attempt += 1
            log.warning("%s; retrying %s in %.1fs", exc, item.id, delay)
            await asyncio.sleep(delay)


def register_projector(
    app: faust.App, *, lifecycle_topic: str, dlq_topic: str, store: ReadModelStore
) -> None:
    source = app.topic(lifecycle_topic, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(dlq_topic, key_serializer="raw", value_serializer="raw")

    async def to_dlq(record: Any, reason: str) -> None:
        await _to_dlq(dlq, PROJECTOR, record, reason)

    async def _project(record: Any, span: Any) -> None:
        raw = record.value
        if raw is None:
            await to_dlq(record, "not a v1 claim event: the record has no value")
            return
        try:
            event = ClaimEvent.from_json_bytes(raw)
        except ValidationError as exc:
            await to_dlq(record, f"not a v1 claim event: {exc.errors()[0]['msg']}")
            return
        if record.key is not None and record.key != event.subject.encode():
            await to_dlq(record, "record key is not the event's claim id")
            return
        span.set_attribute("claimflow.claim_id", event.subject)
        try:
            applied = await _apply(store, event)
        except Exception as exc:  # the record's fault: keep it, carry on
            why = f"{type(exc).__name__}: {exc}"[:500]
            await to_dlq(record, f"the read model refused it: {why}")
            return
        if applied:
            TRANSITIONS.labels(event.data.status.value).inc()
            lag = dt.datetime.now(dt.UTC) - event.time
            EVENT_LAG_SECONDS.observe(max(lag.total_seconds(), 0.0))

    @app.agent(source, name=PROJECTOR)
    async def project(stream: Any) -> None:
        async for record in stream.events():
            # The span continues the trace the publish activity wrote into the headers.
            with tracer.start_as_current_span(
                "project claim event",
                context=extract_context(record.headers),
                kind=SpanKind.CONSUMER,
            ) as span:
                await _project(record, span)


def register_alert_projector(
    app: faust.App, *, alerts_topic: str, dlq_topic: str, store: AlertStore
) -> None:
    """Alerts into their read model (the console's alert list and queues); same rules."""
    source = app.topic(alerts_topic, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(dlq_topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name=ALERT_PROJECTOR)
    async def project_alerts(stream: Any) -> None:
        async for record in stream.events():
            if record.value is None:
                await _to_dlq(dlq, ALERT_PROJECTOR, record, "not a v1 claim alert: no value")
                continue
            try:
                alert = ClaimAlert.model_validate_json(record.value)
            except ValidationError as exc:
                why = f"not a v1 claim alert: {exc.errors()[0]['msg']}"
                await _to_dlq(dlq, ALERT_PROJECTOR, record, why)
                continue
            try:
                await _apply(store, alert)
            except Exception as exc:  # the record's fault: keep it, carry on
                why = f"{type(exc).__name__}: {exc}"[:500]
                await _to_dlq(dlq, ALERT_PROJECTOR, record, f"the alert store refused it: {why}")
