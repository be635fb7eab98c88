"""Ops figures: overview, aging and denials, from the projector's rollups."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from services import analytics
from services.api.deps import EngineDep
from services.auth.policy import AUTHORIZED

router = APIRouter(tags=["analytics"], dependencies=AUTHORIZED)

PayerQuery = Annotated[str | None, Query(max_length=80)]


@router.get("/analytics/overview")
async def overview(engine: EngineDep) -> analytics.Overview:
    """Claims by status and payer, outstanding money, days in A/R, first-pass, denial and
    appeal overturn rates."""
    return await asyncio.to_thread(analytics.overview, engine)


@router.get("/analytics/aging")
async def aging(engine: EngineDep, payer_id: PayerQuery = None) -> analytics.AgingReport:
    """Money the payers may still owe, by payer and days since billed (0-30 ... 120+)."""
    return await asyncio.to_thread(analytics.aging_report, engine, payer_id=payer_id)


@router.get("/analytics/denials")
async def denials(
    engine: EngineDep, payer_id: PayerQuery = None, since: dt.date | None = None
) -> analytics.DenialReport:
    """Denial, first-pass and overturn rates by payer (decisions since ``since``), and
    denials by reason (group-CARC, with descriptions) with the money at risk now."""
    return await asyncio.to_thread(analytics.denial_report, engine, payer_id=payer_id, since=since)
