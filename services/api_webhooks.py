"""Webhook subscriptions and their dead letters, over HTTP (an admin's job).

A router of its own, so the app can attach its admin-role dependency where it includes it
(``app.include_router(webhooks_router(settings), dependencies=[...])``). It opens its own
database engine from the settings: the tables are registered in ``services.db`` like every
other, so it works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import Engine

from services.db import init_db, make_engine
from services.settings import Settings
from services.webhooks import store
from services.webhooks.models import (
    DeadLetterView,
    RedriveAccepted,
    RedriveRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionUpdate,
    SubscriptionView,
)
from services.webhooks.secrets import SecretBox, secret_box

SubscriptionId = Annotated[str, Path(max_length=40, description="webhook subscription id")]
LetterState = Annotated[str | None, Query(pattern="^(dead|queued|delivered)$")]


def webhooks_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/webhooks", tags=["webhooks"])

    @cache
    def engine() -> Engine:
        result = make_engine(settings.resolved_database_url)
        init_db(result)
        return result

    @cache
    def box() -> SecretBox:
        return secret_box(settings)

    def found(view: SubscriptionView | None, sub_id: str) -> SubscriptionView:
        if view is None:
            raise HTTPException(404, f"no webhook subscription {sub_id}")
        return view

    @router.post("", status_code=201)
    async def create(request: SubscriptionCreate) -> SubscriptionCreated:
        """Subscribe a URL to event types (exact, or patterns like claimflow.claim.*.v1),
        optionally for some payers only. The answer holds the signing secret: keep it, it
        is not shown again."""
        return await asyncio.to_thread(store.create_subscription, engine(), box(), request)

    @router.get("")
    async def list_all() -> list[SubscriptionView]:
        return await asyncio.to_thread(store.list_subscriptions, engine())

    @router.get("/{sub_id}")
    async def show(sub_id: SubscriptionId) -> SubscriptionView:
        """The subscription, its count of dead letters and its last delivery failure."""
        return found(await asyncio.to_thread(store.get_subscription, engine(), sub_id), sub_id)

    @router.patch("/{sub_id}")
    async def change(sub_id: SubscriptionId, request: SubscriptionUpdate) -> SubscriptionView:
        """Change the URL, types, payers, mode or secret, or pause it (``active: false``:
        events published meanwhile are not delivered)."""
        view = await asyncio.to_thread(store.update_subscription, engine(), box(), sub_id, request)
        return found(view, sub_id)

    @router.delete("/{sub_id}", status_code=204)
    async def remove(sub_id: SubscriptionId) -> None:
        """Delete the subscription and its dead letters."""
        if not await asyncio.to_thread(store.delete_subscription, engine(), sub_id):
            raise HTTPException(404, f"no webhook subscription {sub_id}")

    @router.get("/{sub_id}/dead-letters")
    async def dead_letters(
        sub_id: SubscriptionId,
        state: LetterState = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[DeadLetterView]:
        """Events that could not be delivered (``dead``), with the last status and error;
        ``held_behind`` marks a claim's later events waiting behind its failed one."""
        found(await asyncio.to_thread(store.get_subscription, engine(), sub_id), sub_id)
        return await asyncio.to_thread(
            store.dead_letters, engine(), sub_id, state=state, limit=limit
        )

    @router.post("/{sub_id}/redrive", status_code=202)
    async def redrive(sub_id: SubscriptionId, request: RedriveRequest) -> RedriveAccepted:
        """Deliver the dead letters again (all, or one claim's), in their original order."""
        found(await asyncio.to_thread(store.get_subscription, engine(), sub_id), sub_id)
        queued = await asyncio.to_thread(store.request_redrive, engine(), sub_id, request.claim_id)
        return RedriveAccepted(subscription_id=sub_id, queued=queued)

    return router
