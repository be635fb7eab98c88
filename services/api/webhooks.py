"""Webhook subscriptions and their dead letters, over HTTP (an admin's job: see the route x
role table in ``services.auth.policy``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.api.deps import EngineDep, SettingsDep
from services.api.errors import error
from services.auth.policy import AUTHORIZED
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
from services.webhooks.secrets import secret_box

SubscriptionId = Annotated[str, Path(max_length=40, description="webhook subscription id")]
LetterState = Annotated[str | None, Query(pattern="^(dead|queued|delivered)$")]


router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=AUTHORIZED)


def found(view: SubscriptionView | None, sub_id: str) -> SubscriptionView:
    if view is None:
        raise error(404, f"no webhook subscription {sub_id}", rule="not_found", field="sub_id")
    return view


@router.post("", status_code=201)
async def create(
    request: SubscriptionCreate, engine: EngineDep, settings: SettingsDep
) -> SubscriptionCreated:
    """Subscribe a URL to event types (exact, or patterns like claimflow.claim.*.v1),
    optionally for some payers only. The answer holds the signing secret: keep it, it
    is not shown again."""
    box = secret_box(settings)
    return await asyncio.to_thread(store.create_subscription, engine, box, request)


@router.get("")
async def list_all(engine: EngineDep) -> list[SubscriptionView]:
    return await asyncio.to_thread(store.list_subscriptions, engine)


@router.get("/{sub_id}")
async def show(sub_id: SubscriptionId, engine: EngineDep) -> SubscriptionView:
    """The subscription, its count of dead letters and its last delivery failure."""
    return found(await asyncio.to_thread(store.get_subscription, engine, sub_id), sub_id)


@router.patch("/{sub_id}")
async def change(
    sub_id: SubscriptionId, request: SubscriptionUpdate, engine: EngineDep, settings: SettingsDep
) -> SubscriptionView:
    """Change the URL, types, payers, mode or secret, or pause it (``active: false``:
    events published meanwhile are not delivered)."""
    box = secret_box(settings)
    view = await asyncio.to_thread(store.update_subscription, engine, box, sub_id, request)
    return found(view, sub_id)


@router.delete("/{sub_id}", status_code=204)
async def remove(sub_id: SubscriptionId, engine: EngineDep) -> None:
    """Delete the subscription and its dead letters."""
    if not await asyncio.to_thread(store.delete_subscription, engine, sub_id):
        found(None, sub_id)


@router.get("/{sub_id}/dead-letters")
async def dead_letters(
    sub_id: SubscriptionId,
    engine: EngineDep,
    state: LetterState = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterView]:
    """Events that could not be delivered (``dead``), with the last status and error;
    ``held_behind`` marks a claim's later events waiting behind its failed one."""
    found(await asyncio.to_thread(store.get_subscription, engine, sub_id), sub_id)
    return await asyncio.to_thread(store.dead_letters, engine, sub_id, state=state, limit=limit)


@router.post("/{sub_id}/redrive", status_code=202)
async def redrive(
    sub_id: SubscriptionId, request: RedriveRequest, engine: EngineDep
) -> RedriveAccepted:
    """Deliver the dead letters again (all, or one claim's), in their original order."""
    found(await asyncio.to_thread(store.get_subscription, engine, sub_id), sub_id)
    queued = await asyncio.to_thread(store.request_redrive, engine, sub_id, request.claim_id)
    return RedriveAccepted(subscription_id=sub_id, queued=queued)
