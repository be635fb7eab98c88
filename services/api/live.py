"""``GET /stream``: server-sent events, one per claim transition or alert, as they happen.

The console's pages listen here to update without a reload; an integrating service can too
(for durable consumption, read the Kafka topics instead: this stream starts at "now" and
keeps nothing). The feed runs for the API process's lifetime (this router's lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from claims.model import ULID_PATTERN
from services.auth.policy import AUTHORIZED
from services.live import LiveFeed


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    if not settings.live_updates:
        app.state.live = None
        yield
        return
    feed = LiveFeed(settings, app.state.engine)
    task = asyncio.create_task(feed.run(), name="claimflow-live-feed")
    app.state.live = feed
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(tags=["live"], lifespan=lifespan, dependencies=AUTHORIZED)


@router.get("/stream", response_class=EventSourceResponse)
async def stream(
    request: Request,
    claim_id: Annotated[str | None, Query(pattern=ULID_PATTERN)] = None,
) -> EventSourceResponse:
    """Events ``claim`` (a transition: claim_id, seq, status, type) and ``alert`` (alert_id,
    claim_id, status, type); ``reload`` if this client fell behind. ``claim_id`` narrows the
    stream to one claim."""
    feed: LiveFeed | None = request.app.state.live

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(event="hello", data="{}")
        if feed is None:
            return
        async with feed.subscribe() as queue:
            while True:
                notice = await queue.get()
                if notice is None:
                    yield ServerSentEvent(event="reload", data="{}")
                elif claim_id is None or notice.claim_id == claim_id:
                    yield ServerSentEvent(event=notice.kind, data=notice.json())

    return EventSourceResponse(events(), ping=15)
