"""Check runs: the payer simulator answers in batches, the way payers do.

A payer does not send one 835 per claim: its adjudication system makes a check run (daily,
or every few hours) and pays each provider once for every claim decided since the last one,
in one ERA; its 277CAs come in batches likewise. ``CheckRuns`` gathers the answers the
simulator has ready for ``window`` seconds and sends them through the outbox's ``send_run``
as one run. claimflow then posts one file for many claims, as it must in production.

A caller's ``send`` returns once the run that carried its message has been posted (or
raises what posting raised), so the simulator's per-claim order holds: a claim's 835 is not
queued until its 277CA is out.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from claims.model import Claim
from claims.payer_messages import PayerMessage
from claims.x12.read_837p import SubmittedClaim

Item = tuple[PayerMessage, Claim | SubmittedClaim]


class RunOutbox(Protocol):
    async def send_run(self, items: list[Item]) -> None: ...


class CheckRuns:
    def __init__(self, outbox: RunOutbox, window: float) -> None:
        if window <= 0:
            raise ValueError("a check run needs a window of more than 0 seconds")
        self._outbox = outbox
        self._window = window
        self._items: list[Item] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.Task[None] | None = None

    async def send(self, message: PayerMessage, claim: Claim | SubmittedClaim) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._items.append((message, claim))
        self._waiters.append(done)
        if self._timer is None:
            self._timer = asyncio.ensure_future(self._run_after_window())
        await done

    async def _run_after_window(self) -> None:
        await asyncio.sleep(self._window)
        items, waiters = self._items, self._waiters
        self._items, self._waiters, self._timer = [], [], None
        try:
            await self._outbox.send_run(items)
        except Exception as exc:  # every caller retries its own message
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
