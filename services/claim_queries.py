"""Finding claims in the read model: the filtered list and the work queues.

Every query here is shaped to stay fast at a million claims on PostgreSQL: it filters on an
indexed column (status, payer, billing day, appeal deadline, CARC via ``claim_denials``),
sorts on the index's second column and reads one page. Counting a filtered list exactly
would mean reading every match, so counts stop at ``COUNT_CAP`` ("10,000+"); the exact
per-status totals come from the rollups instead.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from claims import aging
from claims.status import ClaimStatus
from services.readmodel import ClaimDenial, ClaimEventRecord, ClaimRecord
from services.rollups import StatusRollup

S = ClaimStatus
COUNT_CAP = 10_000


class Sort(StrEnum):
    UPDATED = "updated"  # newest change first
    OLDEST = "oldest"  # longest untouched first
    APPEAL_DEADLINE = "appeal_deadline"  # soonest deadline first
    FOLLOW_UP = "follow_up"  # longest overdue first
    OUTSTANDING = "outstanding"  # most money first
    AGE = "age"  # billed longest ago first (the aging buckets' own order)


@dataclass(frozen=True)
class ClaimFilter:
    statuses: tuple[ClaimStatus, ...] = ()
    payer_id: str | None = None
    carc: str | None = None
    aging_bucket: str | None = None
    appeal_deadline_before: dt.datetime | None = None
    outstanding_above: Decimal | None = None
    follow_up_overdue: bool = False
    # Claims last changed at least this many days ago (a queue's "age" filter).
    min_age_days: int | None = None
    sort: Sort = Sort.UPDATED


class Queue(StrEnum):
    CODING_REVIEW = "coding_review"
    SCRUB_FAILED = "scrub_failed"
    REJECTED = "rejected"
    ELIGIBILITY_HOLD = "eligibility_hold"
    DENIALS = "denials"
    FOLLOW_UP = "follow_up"
    WRITE_OFFS = "write_offs"
    UNMATCHED = "unmatched"


QUEUE_TITLES: dict[Queue, str] = {
    Queue.CODING_REVIEW: "Coding review",
    Queue.SCRUB_FAILED: "Scrub failures",
    Queue.REJECTED: "Rejections",
    Queue.ELIGIBILITY_HOLD: "Eligibility holds",
    Queue.DENIALS: "Denials and partial payments",
    Queue.FOLLOW_UP: "Payer follow-up overdue",
    Queue.WRITE_OFFS: "Write-offs awaiting approval",
    Queue.UNMATCHED: "Unmatched payer messages",
}

# The claim queues, as filters; write-offs and unmatched messages have tables of their own.
CLAIM_QUEUES: dict[Queue, ClaimFilter] = {
    Queue.CODING_REVIEW: ClaimFilter(statuses=(S.CODING_REVIEW,), sort=Sort.OLDEST),
    Queue.SCRUB_FAILED: ClaimFilter(statuses=(S.SCRUB_FAILED,), sort=Sort.OLDEST),
    Queue.REJECTED: ClaimFilter(statuses=(S.REJECTED,), sort=Sort.OLDEST),
    # No coverage on the date of service (a 271 said inactive or not found): a biller
    # corrects the member or payer, or bills the patient.
    Queue.ELIGIBILITY_HOLD: ClaimFilter(statuses=(S.ELIGIBILITY_HOLD,), sort=Sort.OLDEST),
    Queue.DENIALS: ClaimFilter(statuses=(S.DENIED, S.PARTIALLY_PAID), sort=Sort.APPEAL_DEADLINE),
    # The mark is set only while the claim waits on the payer, and cleared when it moves.
    Queue.FOLLOW_UP: ClaimFilter(follow_up_overdue=True, sort=Sort.FOLLOW_UP),
}


def queue_filter(queue: Queue, **narrowing: Any) -> ClaimFilter:
    """A queue's filter, narrowed by the person's own filters (payer, CARC, amount, age)."""
    return replace(CLAIM_QUEUES[queue], **{k: v for k, v in narrowing.items() if v is not None})


def _where(query: Any, f: ClaimFilter, today: dt.date) -> Any:
    # With a CARC the page is driven from claim_denials, whose (carc, payer, list key)
    # indexes give it in order; status and payer are then tested on the denial's copies of
    # them (kept equal to the claim's by the projector). Tested on the claims' columns, the
    # planner took the two tables' filters as independent, expected almost no rows, and
    # scanned all denials (PostgreSQL, 1M claims: 70 ms instead of under 10).
    keys = _keys(f)
    if f.carc:
        query = query.join(
            ClaimDenial, col(ClaimDenial.claim_id) == col(ClaimRecord.claim_id)
        ).where(col(ClaimDenial.carc) == _carc(f.carc))
    if len(f.statuses) == 1:
        query = query.where(keys.status == f.statuses[0].value)
    elif f.statuses:
        query = query.where(col(keys.status).in_([s.value for s in f.statuses]))
    if f.payer_id:
        query = query.where(keys.payer_id == f.payer_id)
    if f.aging_bucket:
        first, last = aging.billed_on_range(aging.by_name(f.aging_bucket), today)
        query = query.where(col(ClaimRecord.billed_on) <= last)
        if first is not None:
            query = query.where(col(ClaimRecord.billed_on) >= first)
        query = query.where(col(ClaimRecord.outstanding_amount) > 0)
    if f.appeal_deadline_before is not None:
        query = query.where(col(ClaimRecord.appeal_deadline) < f.appeal_deadline_before)
    if f.outstanding_above is not None:
        query = query.where(col(ClaimRecord.outstanding_amount) > f.outstanding_above)
    if f.follow_up_overdue:
        query = query.where(col(ClaimRecord.follow_up_overdue_at).is_not(None))
    if f.min_age_days is not None:
        since = dt.datetime.combine(today, dt.time(), dt.UTC) - dt.timedelta(days=f.min_age_days)
        query = query.where(col(ClaimRecord.updated_at) <= since)
    return query


def _keys(f: ClaimFilter) -> Any:
    """The table whose copies of status, payer and the list keys a query filters and sorts
    on: with a CARC filter, claim_denials' (the page is read from its indexes)."""
    return ClaimDenial if f.carc else ClaimRecord


def _carc(text: str) -> str:
    return text.rsplit("-", 1)[-1].upper()


def _ordered(query: Any, f: ClaimFilter) -> Any:
    sort = f.sort
    key = col(ClaimRecord.claim_id)  # a tie-break, so pages never overlap
    keys = _keys(f)
    if sort is Sort.OLDEST:
        return query.order_by(col(keys.updated_at), key)
    if sort is Sort.APPEAL_DEADLINE:
        # Ascending puts no-deadline claims last on both databases, as the index has them.
        return query.order_by(col(keys.appeal_deadline), key)
    if sort is Sort.AGE:
        return query.order_by(col(ClaimRecord.billed_on), key)
    if sort is Sort.FOLLOW_UP:
        return query.order_by(col(ClaimRecord.follow_up_overdue_at), key)
    if sort is Sort.OUTSTANDING:
        return query.order_by(col(ClaimRecord.outstanding_amount).desc(), key.desc())
    return query.order_by(col(keys.updated_at).desc(), key)


def find(
    engine: Engine,
    f: ClaimFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    today: dt.date | None = None,
) -> list[ClaimRecord]:
    today = today or dt.datetime.now(dt.UTC).date()
    with Session(engine) as session:
        query = _ordered(_where(select(ClaimRecord), f, today), f)
        return list(session.exec(query.offset(offset).limit(limit)))


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool  # True: at least ``value``

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


def count(engine: Engine, f: ClaimFilter, *, today: dt.date | None = None) -> Count:
    """How many claims match, counting no further than ``COUNT_CAP``."""
    today = today or dt.datetime.now(dt.UTC).date()
    with Session(engine) as session:
        matches = _where(select(col(ClaimRecord.claim_id)), f, today).limit(COUNT_CAP + 1)
        n = int(session.exec(select(func.count()).select_from(matches.subquery())).one())
    return Count(min(n, COUNT_CAP), capped=n > COUNT_CAP)


def status_counts(engine: Engine, *, payer_id: str | None = None) -> dict[str, int]:
    """Claims by status (exact, from the rollup)."""
    with Session(engine) as session:
        query = select(StatusRollup.status, func.sum(StatusRollup.claims)).group_by(
            StatusRollup.status
        )
        if payer_id:
            query = query.where(StatusRollup.payer_id == payer_id)
        return {status: int(n) for status, n in session.exec(query) if n}


def queue_counts(engine: Engine) -> dict[Queue, Count]:
    """Each claim queue's size: exact for the status queues, capped for follow-ups."""
    by_status = status_counts(engine)
    out: dict[Queue, Count] = {}
    for queue, f in CLAIM_QUEUES.items():
        if f.follow_up_overdue:
            out[queue] = count(engine, f)
        else:
            out[queue] = Count(sum(by_status.get(s.value, 0) for s in f.statuses), capped=False)
    return out


def eligibility_reasons(engine: Engine, claim_ids: list[str]) -> dict[str, str]:
    """The payer's reasons (the 271's AAA reject reason and follow-up action, in words) the
    listed claims were held for, read from each claim's latest event (one page of them,
    each by its primary key)."""
    if not claim_ids:
        return {}
    with Session(engine) as session:
        rows = session.exec(
            select(ClaimEventRecord.claim_id, ClaimEventRecord.payload)
            .join(
                ClaimRecord,
                (col(ClaimRecord.claim_id) == col(ClaimEventRecord.claim_id))
                & (col(ClaimRecord.last_seq) == col(ClaimEventRecord.seq)),
            )
            .where(col(ClaimEventRecord.claim_id).in_(claim_ids))
        )
        out = {}
        for claim_id, payload in rows:
            eligibility = json.loads(payload)["data"].get("eligibility") or {}
            if eligibility.get("reasons"):
                out[claim_id] = str(eligibility["reasons"])
        return out
