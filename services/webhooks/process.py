"""The ``webhook-delivery`` process: reads the topics, hands each event to its lanes.

It is a plain aiokafka consumer (group ``webhooks_group``) rather than a faust agent because
its unit of work is not a record but a (subscription, claim) lane that may wait minutes on
retries: records are read ahead, fanned out to lanes, and a partition's offset is committed
only up to the first record whose every delivery is finished (delivered or
dead-lettered). A crash therefore re-delivers, never skips: at least once, and receivers
de-duplicate on ``webhook-id`` (the CloudEvents id).

A subscription receives the events published after it was created (Kafka record time vs.
its ``created_at``), whatever the process was doing when it was created.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections import deque
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy import Engine

from events import topics
from events.connection import client_kwargs
from services.db import init_db, make_engine
from services.settings import Settings
from services.webhooks import binding, store
from services.webhooks.lanes import Lanes, NewEvent, Redrive
from services.webhooks.models import matches
from services.webhooks.secrets import SecretBox, secret_box

log = logging.getLogger(__name__)

# A record this close to the last subscription refresh (ms) makes the process look again,
# so a subscription committed just before its first event is never missed.
FRESHNESS_MS = 2000
MIN_REFRESH_S = 0.05


class Offsets:
    """Per partition: records read and how many of their deliveries are still open."""

    def __init__(self) -> None:
        self._open: dict[TopicPartition, dict[int, int]] = {}
        self._order: dict[TopicPartition, deque[int]] = {}
        self._next: dict[TopicPartition, int] = {}

    def add(self, tp: TopicPartition, offset: int, deliveries: int) -> None:
        self._open.setdefault(tp, {})[offset] = deliveries
        self._order.setdefault(tp, deque()).append(offset)

    def done(self, tp: TopicPartition, offset: int) -> None:
        pending = self._open.get(tp)
        if pending is not None and offset in pending:
            pending[offset] -= 1

    @property
    def in_flight(self) -> int:
        return sum(len(p) for p in self._open.values())

    def committable(self) -> dict[TopicPartition, int]:
        """The new commit position of each partition that moved since the last call."""
        moved = {}
        for tp, order in self._order.items():
            pending = self._open[tp]
            last = None
            while order and pending[order[0]] <= 0:
                last = order.popleft()
                del pending[last]
            if last is not None:
                self._next[tp] = moved[tp] = last + 1
        return moved

    def forget(self, partitions: set[TopicPartition]) -> None:
        for tp in partitions:
            self._open.pop(tp, None)
            self._order.pop(tp, None)


class Delivery:
    def __init__(self, settings: Settings, engine: Engine, box: SecretBox, http: httpx.AsyncClient):
        self.settings = settings
        self.engine = engine
        self.box = box
        self.lanes = Lanes(settings, engine, http)
        self.offsets = Offsets()
        self.refreshed_ms = 0
        self._refreshed_mono = 0.0

    async def refresh(self) -> None:
        started_ms = int(time.time() * 1000)
        subs = await asyncio.to_thread(store.active_subscriptions, self.engine, self.box)
        self.lanes.subscriptions = {s.id: s for s in subs}
        self.refreshed_ms = started_ms
        self._refreshed_mono = time.monotonic()

    async def load_parked(self) -> None:
        lanes = await asyncio.to_thread(store.lanes_with, self.engine, store.PENDING)
        for key in lanes:
            self.lanes.parked.setdefault(key, None)

    async def queue_redrives(self) -> None:
        for key in await asyncio.to_thread(store.lanes_with, self.engine, [store.QUEUED]):
            if key not in self.lanes.redriving:
                self.lanes.put(key, Redrive())

    async def dispatch(self, record: Any) -> None:
        tp = TopicPartition(record.topic, record.partition)
        if (
            record.timestamp >= self.refreshed_ms - FRESHNESS_MS
            and time.monotonic() - self._refreshed_mono > MIN_REFRESH_S
        ):
            await self.refresh()
        envelope = binding.read_envelope(record.value) if record.value is not None else None
        targets = []
        if envelope is not None:
            targets = [
                sub
                for sub in self.lanes.subscriptions.values()
                if record.timestamp >= sub.created_at.timestamp() * 1000
                and matches(sub.event_types, sub.payer_ids, envelope.type, envelope.payer_id)
            ]
        self.offsets.add(tp, record.offset, len(targets))
        for sub in targets:
            assert envelope is not None

            def done(tp: TopicPartition = tp, offset: int = record.offset) -> None:
                self.offsets.done(tp, offset)

            self.lanes.put((sub.id, envelope.subject), NewEvent(envelope, done))


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commit what is finished before partitions move away, and stop tracking them.

    Lanes still working on a revoked partition's records may deliver them once more after
    the new owner reads them again: at least once, never lost.
    """

    def __init__(self, delivery: Delivery, consumer: AIOKafkaConsumer) -> None:
        self._delivery = delivery
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        moved = self._delivery.offsets.committable()
        if moved:
            await self._consumer.commit(moved)
        self._delivery.offsets.forget(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Deliver until ``stop`` is set (or SIGTERM/SIGINT when run as the process)."""
    stop = stop or asyncio.Event()
    engine = make_engine(settings.resolved_database_url)
    init_db(engine, auto_migrate=settings.auto_migrate)
    sources = [settings.topic(topics.LIFECYCLE), settings.topic(topics.ALERTS)]
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings.kafka_connection),
        group_id=settings.topic(settings.webhooks_group),
        client_id="claimflow-webhooks",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        delivery = Delivery(settings, engine, secret_box(settings), http)
        await delivery.refresh()
        await delivery.load_parked()
        consumer.subscribe(sources, listener=_Rebalance(delivery, consumer))
        await consumer.start()
        log.info("delivering webhooks from %s", ", ".join(sources))
        next_poll = 0.0
        try:
            while not stop.is_set():
                if delivery.lanes.failure is not None:
                    raise RuntimeError("a webhook lane failed") from delivery.lanes.failure
                if time.monotonic() >= next_poll:
                    await delivery.refresh()
                    await delivery.queue_redrives()
                    next_poll = time.monotonic() + settings.webhook_poll_seconds
                assigned = consumer.assignment()
                if delivery.offsets.in_flight >= settings.webhook_max_in_flight:
                    consumer.pause(*assigned)
                else:
                    consumer.resume(*assigned)
                batch = await consumer.getmany(timeout_ms=100, max_records=500)
                for records in batch.values():
                    for record in records:
                        await delivery.dispatch(record)
                await asyncio.sleep(0)  # let lanes finish what is instant
                moved = delivery.offsets.committable()
                if moved:
                    await consumer.commit(moved)
        finally:
            moved = delivery.offsets.committable()
            if moved:
                await consumer.commit(moved)
            await delivery.lanes.close()
            await consumer.stop()
            engine.dispose()


def main(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop=stop)

    asyncio.run(_main())
