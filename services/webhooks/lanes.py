"""Delivering to one subscription, in order per claim: one lane per (subscription, claim).

A lane is a queue with one task: it POSTs its events one at a time, retrying a failure with
exponential backoff and jitter, so a claim's later events wait for its earlier ones. Lanes
of different claims run side by side, so a claim whose receiver keeps failing holds up only
itself (and, within ``webhook_concurrency``, its subscription's request slots).

After ``webhook_max_attempts`` the event is dead-lettered and the lane is *parked*: the
claim's later events go straight to dead letters behind it, never overtaking it. A re-drive
(asked through the API) delivers the lane's letters again in their original order and
unparks it once they are all through.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from services.settings import Settings
from services.webhooks import binding, signing, store
from services.webhooks.store import ActiveSubscription

log = logging.getLogger(__name__)

LaneKey = tuple[str, str]  # (subscription id, claim id)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    status: int | None = None
    error: str = ""


@dataclass(frozen=True)
class NewEvent:
    envelope: binding.Envelope
    done: Callable[[], None]


@dataclass(frozen=True)
class Redrive:
    pass


def backoff(attempt: int, *, initial: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...): doubling, capped, half
    of it random so that many lanes failing together do not retry in lockstep."""
    base = min(cap, initial * 2.0 ** (attempt - 1))
    return base / 2 + rng.uniform(0, base / 2)


@dataclass
class Lanes:
    settings: Settings
    engine: Engine
    http: httpx.AsyncClient
    # The process keeps this current; a lane reads it at each attempt, so a fixed URL or a
    # new secret applies to the next retry.
    subscriptions: dict[str, ActiveSubscription] = field(default_factory=dict)
    # Parked lanes and the id of the event they wait behind (None: look it up).
    parked: dict[LaneKey, str | None] = field(default_factory=dict)
    queues: dict[LaneKey, asyncio.Queue[NewEvent | Redrive]] = field(default_factory=dict)
    redriving: set[LaneKey] = field(default_factory=set)
    rng: random.Random = field(default_factory=random.Random)
    # Set when a lane hit an error it cannot handle (e.g. the database is gone).
    failure: Exception | None = None
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def put(self, key: LaneKey, item: NewEvent | Redrive) -> None:
        queue = self.queues.get(key)
        if queue is None:
            queue = self.queues[key] = asyncio.Queue()
            task = asyncio.create_task(self._run(key, queue), name=f"lane {key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if isinstance(item, Redrive):
            self.redriving.add(key)
        queue.put_nowait(item)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, key: LaneKey, queue: asyncio.Queue[NewEvent | Redrive]) -> None:
        try:
            while not queue.empty():
                item = queue.get_nowait()
                if isinstance(item, Redrive):
                    try:
                        await self._redrive(key)
                    finally:
                        self.redriving.discard(key)
                else:
                    await self._new_event(key, item.envelope)
                    # Only now may the record's offset be committed.
                    item.done()
        except Exception as exc:
            # The record stays uncommitted; the process stops so that a restart re-reads it.
            log.exception("lane %s stopped", key)
            self.failure = exc
        finally:
            if self.queues.get(key) is queue:
                del self.queues[key]

    async def _new_event(self, key: LaneKey, envelope: binding.Envelope) -> None:
        if key in self.parked:
            behind = await self._behind(key)
            held = f"held behind {behind}, an earlier dead letter of this claim"
            await self._dead_letter(key, envelope, Outcome(False, 0, None, held), behind)
            return
        outcome = await self.deliver(key[0], envelope)
        if outcome is None or outcome.ok:
            return
        log.warning("dead-lettered %s for subscription %s: %s", envelope.id, key[0], outcome.error)
        await self._dead_letter(key, envelope, outcome, None)
        self.parked[key] = envelope.id

    async def _dead_letter(
        self, key: LaneKey, envelope: binding.Envelope, outcome: Outcome, behind: str | None
    ) -> None:
        await asyncio.to_thread(
            store.add_dead_letter,
            self.engine,
            subscription_id=key[0],
            claim_id=key[1],
            event_id=envelope.id,
            event_type=envelope.type,
            payload=envelope.raw,
            attempts=outcome.attempts,
            last_status=outcome.status,
            last_error=outcome.error,
            held_behind=behind,
        )

    async def _behind(self, key: LaneKey) -> str:
        behind = self.parked.get(key)
        if behind is None:
            letters = await asyncio.to_thread(store.pending_letters, self.engine, *key)
            behind = letters[0].event_id if letters else "an earlier event"
            self.parked[key] = behind
        return behind

    async def _redrive(self, key: LaneKey) -> None:
        sub_id, _ = key
        if sub_id not in self.subscriptions:  # deleted or inactive: leave the letters be
            return
        letters = await asyncio.to_thread(store.pending_letters, self.engine, *key)
        self.parked.pop(key, None)
        for n, letter in enumerate(letters):
            envelope = binding.read_envelope(letter.payload.encode())
            assert envelope is not None and letter.id is not None
            outcome = await self.deliver(sub_id, envelope)
            if outcome is not None and outcome.ok:
                await asyncio.to_thread(store.settle_letter, self.engine, letter.id, delivered=True)
                continue
            failed = outcome or Outcome(False, 0, None, "subscription gone")
            await asyncio.to_thread(
                store.settle_letter,
                self.engine,
                letter.id,
                delivered=False,
                attempts=failed.attempts,
                last_status=failed.status,
                last_error=failed.error,
            )
            for rest in letters[n + 1 :]:
                assert rest.id is not None
                await asyncio.to_thread(
                    store.settle_letter,
                    self.engine,
                    rest.id,
                    delivered=False,
                    held_behind=letter.event_id,
                )
            self.parked[key] = letter.event_id
            return

    async def deliver(self, sub_id: str, envelope: binding.Envelope) -> Outcome | None:
        """POST until it succeeds or the attempts run out; None if the subscription went."""
        s = self.settings
        attempt = 0
        while True:
            sub = self.subscriptions.get(sub_id)
            if sub is None:
                return None
            attempt += 1
            outcome = await self._post(sub, envelope, attempt)
            if outcome.ok or attempt >= s.webhook_max_attempts:
                return outcome
            delay = backoff(
                attempt,
                initial=s.webhook_backoff_initial_seconds,
                cap=s.webhook_backoff_max_seconds,
                rng=self.rng,
            )
            log.info(
                "%s to %s failed (%s); retry in %.2fs", envelope.id, sub_id, outcome.error, delay
            )
            await asyncio.sleep(delay)

    async def _post(
        self, sub: ActiveSubscription, envelope: binding.Envelope, attempt: int
    ) -> Outcome:
        headers, body = binding.render(envelope, sub.content_mode)
        headers |= signing.headers(sub.secret, envelope.id, body)
        headers["user-agent"] = "claimflow-webhooks/1"
        slots = self._slots.setdefault(sub.id, asyncio.Semaphore(self.settings.webhook_concurrency))
        async with slots:
            try:
                response = await self.http.post(sub.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                return Outcome(False, attempt, None, f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= response.status_code < 300:
            return Outcome(True, attempt, response.status_code)
        return Outcome(
            False,
            attempt,
            response.status_code,
            f"HTTP {response.status_code}: {response.text[:300]}",
        )
