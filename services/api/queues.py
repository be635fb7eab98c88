"""Work queues: what needs doing, where, and how much of it.

Six claim queues are filtered views of the read model (coding review, scrub failures,
rejections, eligibility holds (with the payer's reasons), denials by appeal deadline,
payer follow-ups overdue); write-offs awaiting approval and unmatched payer messages have
tables of their own. Each takes the list's narrowing filters (payer, CARC, amount, age) and
pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from services import approvals, claim_queries, inbound_store
from services.api.claims import AgingBucket, ClaimSummary, summaries
from services.api.deps import EngineDep, Offset
from services.auth.policy import AUTHORIZED
from services.claim_queries import CLAIM_QUEUES, QUEUE_TITLES, Queue
from services.readmodel import ClaimRecord

router = APIRouter(tags=["queues"], dependencies=AUTHORIZED)


class QueueSize(BaseModel):
    queue: Queue
    title: str
    count: int
    # True: at least ``count`` (counting stops at 10,000).
    capped: bool = False
    href: str


class ClaimQueuePage(BaseModel):
    queue: Queue
    title: str
    total: int
    capped: bool
    items: list[ClaimSummary]


class WriteOffRequestOut(BaseModel):
    request_id: str
    claim_id: str
    payer_id: str
    amount: Decimal | None
    reason: str
    requested_by: str | None
    requested_at: dt.datetime


def queue_sizes(engine: Engine) -> list[QueueSize]:
    sizes = []
    for queue, n in claim_queries.queue_counts(engine).items():
        sizes.append(
            QueueSize(
                queue=queue,
                title=QUEUE_TITLES[queue],
                count=n.value,
                capped=n.capped,
                href=f"/queues/{queue.value}",
            )
        )
    _, write_offs = approvals.pending(engine, limit=1)
    _, messages = inbound_store.unmatched(engine, limit=1)
    sizes.append(
        QueueSize(
            queue=Queue.WRITE_OFFS,
            title=QUEUE_TITLES[Queue.WRITE_OFFS],
            count=write_offs,
            href="/write-off-requests",
        )
    )
    sizes.append(
        QueueSize(
            queue=Queue.UNMATCHED,
            title=QUEUE_TITLES[Queue.UNMATCHED],
            count=messages,
            href="/payer-messages/unmatched",
        )
    )
    return sizes


@router.get("/queues")
async def queues(engine: EngineDep) -> list[QueueSize]:
    """Every work queue and how many items wait in it."""
    return await asyncio.to_thread(queue_sizes, engine)


def claim_queue_page(
    engine: Engine, queue: Queue, *, limit: int, offset: int, **narrowing: object
) -> ClaimQueuePage:
    if queue not in CLAIM_QUEUES:
        raise HTTPException(
            404,
            f"{queue.value} is not a claim queue; see /write-off-requests and "
            "/payer-messages/unmatched",
        )
    f = claim_queries.queue_filter(queue, **narrowing)
    rows = claim_queries.find(engine, f, limit=limit, offset=offset)
    total = claim_queries.count(engine, f)
    return ClaimQueuePage(
        queue=queue,
        title=QUEUE_TITLES[queue],
        total=total.value,
        capped=total.capped,
        items=queue_items(engine, queue, rows),
    )


def queue_items(engine: Engine, queue: Queue, rows: list[ClaimRecord]) -> list[ClaimSummary]:
    """The page's rows; a claim held for eligibility says why (the payer's reasons)."""
    items = summaries(rows)
    if queue is Queue.ELIGIBILITY_HOLD:
        reasons = claim_queries.eligibility_reasons(engine, [r.claim_id for r in rows])
        items = [
            i.model_copy(update={"eligibility_reasons": reasons.get(i.claim_id)}) for i in items
        ]
    return items


@router.get("/queues/{queue}")
async def claim_queue(
    queue: Queue,
    engine: EngineDep,
    payer_id: Annotated[str | None, Query(max_length=80)] = None,
    carc: Annotated[str | None, Query(pattern=r"^([A-Z]{2}-)?[A-Z0-9]{1,5}$")] = None,
    outstanding_above: Annotated[Decimal | None, Query(ge=0)] = None,
    aging_bucket: AgingBucket | None = None,
    min_age_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ClaimQueuePage:
    """A claim queue in its working order (denials: soonest appeal deadline first)."""
    return await asyncio.to_thread(
        claim_queue_page,
        engine,
        queue,
        limit=limit,
        offset=offset,
        payer_id=payer_id or None,
        carc=carc,
        outstanding_above=outstanding_above,
        aging_bucket=aging_bucket,
        min_age_days=min_age_days,
    )


@router.get("/write-off-requests")
async def write_off_requests(
    engine: EngineDep,
    response: Response,
    payer_id: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[WriteOffRequestOut]:
    """Write-offs awaiting approval, oldest first (``X-Total-Count`` says how many)."""
    rows, total = approvals.pending(engine, payer_id=payer_id, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [WriteOffRequestOut.model_validate(r.model_dump()) for r in rows]
