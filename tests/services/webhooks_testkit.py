"""A real HTTP receiver for webhook tests, and helpers to run the delivery process."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from services import apps
from services.settings import Settings
from services.stack import process
from tests.support import claim_payload, free_port, serve


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Records every request; ``answer`` decides each status code (200 by default)."""

    url: str = ""
    requests: list[Delivery] = field(default_factory=list)
    answer: Callable[[Delivery, int], int] = lambda _d, _n: 200

    @property
    def delivered(self) -> list[Delivery]:
        return [d for d in self.requests if 200 <= d.status < 300]

    async def wait_for(self, count: int, timeout: float = 60) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.delivered) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(self.delivered) >= count, (
            f"{len(self.delivered)} of {count} deliveries: "
            f"{[(d.event_id, d.status) for d in self.requests]}"
        )
        return self.delivered


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = FastAPI()

    @app.post("/{path:path}")
    async def hook(request: Request) -> Response:
        delivery = Delivery(request.url.path, dict(request.headers), await request.body(), 0)
        delivery.status = rec.answer(delivery, len(rec.requests))
        rec.requests.append(delivery)
        return Response(status_code=delivery.status)

    async with serve(app, free_port()) as url:
        rec.url = f"{url}/hooks"
        yield rec


def fast_retries(settings: Settings, *, attempts: int = 10) -> Settings:
    return settings.model_copy(
        update={
            "webhook_max_attempts": attempts,
            "webhook_backoff_initial_seconds": 0.05,
            "webhook_backoff_max_seconds": 0.2,
            "webhook_poll_seconds": 0.2,
        }
    )


@asynccontextmanager
async def delivering(settings: Settings) -> AsyncIterator[None]:
    """The webhook-delivery process, as `make run` starts it."""
    apps.start(settings, "webhook-delivery")
    try:
        yield
    finally:
        process.stop(settings.state_dir, "webhook-delivery")


async def subscribe(api: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "event_types": ["claimflow.claim.*.v1"], **fields}
    response = await api.post("/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def distinct_claim(**overrides: Any) -> dict[str, Any]:
    """A clean claim for a patient of its own, so the duplicate-claim edit never fires."""
    payload = claim_payload(**overrides)
    payload["subscriber"]["member_id"] = f"XJH{uuid.uuid4().hex[:9].upper()}"
    return payload
