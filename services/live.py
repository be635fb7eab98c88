"""Live updates: the API process follows the topics and tells open pages what changed.

One aiokafka consumer per API process reads ``claims.lifecycle.v1`` and ``claims.alerts.v1``
from their current end (no consumer group, no commits: a live view needs nothing older than
the moment it opened) and fans each record out to every subscriber's queue.

Pages re-read the read model when told, and the projector writes it a moment after the
record is on the topic, so a notice sent at once would make a page re-read stale rows. The
feed therefore holds each notice until the read model has it (the claim's ``last_seq`` has
reached the event, or the alert's row exists), a few seconds at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass

from aiokafka import AIOKafkaConsumer
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from events import topics
from services.alerts_store import AlertRecord
from services.readmodel import ClaimRecord
from services.settings import Settings

log = logging.getLogger(__name__)

# How long a notice waits for the read model before it goes out anyway.
CATCH_UP_S = 5.0
QUEUE_SIZE = 256


@dataclass(frozen=True)
class Notice:
    """What changed: a claim's transition or an alert (ids and status only, never PHI)."""

    kind: str  # "claim" | "alert"
    claim_id: str
    status: str
    type: str
    seq: int | None = None
    alert_id: str | None = None
    payer_id: str | None = None

    def json(self) -> str:
        return json.dumps(asdict(self))


def notice_of(topic_kind: str, raw: bytes) -> Notice | None:
    try:
        record = json.loads(raw)
        data = record["data"]
        if topic_kind == "claim":
            return Notice(
                kind="claim",
                claim_id=data["claim_id"],
                status=data["status"],
                type=record["type"],
                seq=int(data["seq"]),
                payer_id=data.get("payer_id"),
            )
        return Notice(
            kind="alert",
            claim_id=data["claim_id"],
            status=data["status"],
            type=record["type"],
            alert_id=record["id"],
            payer_id=data.get("payer_id"),
        )
    except (ValueError, KeyError, TypeError):
        return None  # not ours to judge: the projector sends such records to the DLQ


def projected(engine: Engine, notices: list[Notice]) -> set[Notice]:
    """The notices the read model already reflects."""
    claims = {n.claim_id for n in notices if n.kind == "claim"}
    alerts = {n.alert_id for n in notices if n.kind == "alert" and n.alert_id}
    with Session(engine) as session:
        seqs: dict[str, int] = {}
        if claims:
            rows = session.exec(
                select(ClaimRecord.claim_id, ClaimRecord.last_seq).where(
                    col(ClaimRecord.claim_id).in_(claims)
                )
            )
            seqs = dict(rows.all())
        seen: set[str] = set()
        if alerts:
            seen = set(
                session.exec(
                    select(AlertRecord.alert_id).where(col(AlertRecord.alert_id).in_(alerts))
                )
            )
    return {
        n
        for n in notices
        if (n.kind == "claim" and seqs.get(n.claim_id, 0) >= (n.seq or 0))
        or (n.kind == "alert" and n.alert_id in seen)
    }


class LiveFeed:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._subscribers: set[asyncio.Queue[Notice | None]] = set()
        self._topics = {
            settings.topic(topics.LIFECYCLE): "claim",
            settings.topic(topics.ALERTS): "alert",
        }
        self.ready = asyncio.Event()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Notice | None]]:
        """A queue of notices for one open page; ``None`` in it means "reload, you missed
        some" (the page was too slow to keep up)."""
        queue: asyncio.Queue[Notice | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def _fan_out(self, notice: Notice) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)

    async def _deliver(self, waiting: list[tuple[Notice, float]]) -> list[tuple[Notice, float]]:
        """Fan out the notices the read model has (or that waited long enough); keep the rest.

        Each notice waits on its own deadline, so a slow projector delays a notice by at most
        ``CATCH_UP_S``, never by the sum of the waits before it.
        """
        if not waiting:
            return waiting
        done = await asyncio.to_thread(projected, self._engine, [n for n, _ in waiting])
        now = time.monotonic()
        kept = []
        for notice, deadline in waiting:
            if notice in done or now >= deadline:
                self._fan_out(notice)
            else:
                kept.append((notice, deadline))
        return kept

    async def run(self) -> None:
        """Follow the topics until cancelled; reconnect (with backoff) if Kafka goes away."""
        pause = 0.5
        while True:
            consumer = AIOKafkaConsumer(
                *self._topics,
                bootstrap_servers=self._settings.kafka_bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                client_id="claimflow-live",
            )
            try:
                await consumer.start()
                # Pin each partition's start to "now", so that every record published after
                # ``ready`` is seen (the topics may not exist yet: then wait for them).
                for _ in range(100):
                    if consumer.assignment():
                        break
                    await asyncio.sleep(0.1)
                for tp in consumer.assignment():
                    await consumer.position(tp)
                self.ready.set()
                pause = 0.5
                waiting: list[tuple[Notice, float]] = []
                while True:
                    batch = await consumer.getmany(
                        timeout_ms=100 if waiting else 500, max_records=500
                    )
                    deadline = time.monotonic() + CATCH_UP_S
                    waiting += [
                        (n, deadline)
                        for tp, records in batch.items()
                        for r in records
                        if (n := notice_of(self._topics[tp.topic], r.value)) is not None
                    ]
                    waiting = await self._deliver(waiting)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka down or restarting: keep trying, quietly
                log.warning("live feed: %s; retrying in %.1fs", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()
