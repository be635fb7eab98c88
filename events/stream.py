"""The faust-streaming app and its projector agent.

faust commits an offset only after the agent has processed the record, so a crash
replays records: at-least-once, made safe by the store's (claim id, seq) de-duplication.
Records no consumer can parse go to the DLQ topic with the reason, instead of stopping
the partition or being dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import faust
from pydantic import ValidationError

from events.contract import ClaimEvent
from events.projection import ReadModelStore

log = logging.getLogger(__name__)


def build_app(*, app_id: str, bootstrap: str, partitions: int, datadir: Path) -> faust.App:
    return faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        topic_partitions=partitions,
        consumer_auto_offset_reset="earliest",
        datadir=str(datadir),
    )


def register_projector(
    app: faust.App, *, lifecycle_topic: str, dlq_topic: str, store: ReadModelStore
) -> None:
    source = app.topic(lifecycle_topic, key_serializer="raw", value_serializer="raw")
    dlq = app.topic(dlq_topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="claimflow-projector")
    async def project(stream: Any) -> None:
        async for record in stream.events():
            raw: bytes = record.value
            try:
                event = ClaimEvent.from_json_bytes(raw)
            except ValidationError as exc:
                reason = f"not a v1 claim event: {exc.errors()[0]['msg']}"
                log.warning("to DLQ: %s", reason)
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
                continue
            # The store is synchronous (SQLModel); keep the event loop free for Kafka I/O.
            await asyncio.to_thread(store.apply, event)
