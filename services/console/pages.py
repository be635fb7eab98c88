"""The console's list pages: overview, work queues, claims, alerts, payer messages.

Each reads through the same functions as the API endpoints it mirrors (noted per route), so
the console shows what an integrating service would get.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from claims import aging
from claims.roles import Role
from claims.status import ClaimStatus
from events.contract import AlertKind
from services import alerts_store, analytics, approvals, claim_queries, inbound_store
from services.api import alerts as alerts_api
from services.api import payer_messages
from services.api.claims import summaries
from services.api.deps import EngineDep, TemporalDep
from services.api.queues import queue_items, queue_sizes
from services.auth.audit import AUDIT_CLAIM_KEY
from services.claim_queries import QUEUE_TITLES, ClaimFilter, Queue, Sort
from services.console import charts
from services.console.render import console_router, page, refusal_text
from services.console.roles import Task, require, viewer
from services.inbound_store import PayerMessageOut

router = console_router("/console")

PAGE = 50


@router.get("")
async def home(request: Request) -> Response:
    """Ops land on the overview; billers and coders on their queues."""
    roles = viewer(request).roles
    works = {Role.CODER, Role.BILLER, Role.SUPERVISOR}
    target = "/console/queues" if roles & works and Role.OPS not in roles else "/console/overview"
    return RedirectResponse(target, status_code=303)


@router.get("/overview")
async def overview(request: Request, engine: EngineDep) -> HTMLResponse:
    """GET /analytics/overview, /analytics/aging, /analytics/denials."""
    figures, aging_report, denials = await asyncio.gather(
        asyncio.to_thread(analytics.overview, engine),
        asyncio.to_thread(analytics.aging_report, engine),
        asyncio.to_thread(analytics.denial_report, engine),
    )
    statuses = [s.value for s in ClaimStatus if s.value in figures.by_status]
    over_90 = sum((aging_report.totals.buckets[b].amount for b in ("91-120", "120+")), Decimal(0))
    return page(
        request,
        "overview.html",
        {
            "title": "Overview",
            "figures": figures,
            "aging": aging_report,
            "denials": denials,
            "statuses": statuses,
            "over_90": over_90,
            "aging_chart": charts.aging_chart(aging_report),
            "denial_chart": charts.denial_chart(denials),
            "buckets": aging.BUCKET_NAMES,
        },
    )


@router.get("/queues")
async def queues(request: Request, engine: EngineDep) -> HTMLResponse:
    """GET /queues."""
    sizes = await asyncio.to_thread(queue_sizes, engine)
    return page(request, "queues.html", {"title": "Work queues", "sizes": sizes})


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise HTTPException(422, f"amount: {text!r} is not a number") from exc
    if value < 0:
        raise HTTPException(422, "amount: must be 0 or more")
    return value


def _int(text: str | None, name: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise HTTPException(422, f"{name}: {text!r} is not a whole number of days")
    return int(text)


def _filters(request: Request) -> tuple[dict[str, str], dict[str, Any]]:
    """The page's filters: as typed (to refill the form) and as ClaimFilter fields."""
    q = request.query_params
    raw = {k: q.get(k, "").strip() for k in ("payer_id", "carc", "amount", "age", "bucket")}
    bucket = raw["bucket"] or None
    if bucket is not None and bucket not in aging.BUCKET_NAMES:
        raise HTTPException(422, f"bucket: one of {', '.join(aging.BUCKET_NAMES)}")
    carc = raw["carc"].upper() or None
    return raw, {
        "payer_id": raw["payer_id"] or None,
        "carc": carc,
        "outstanding_above": _decimal(raw["amount"]),
        "min_age_days": _int(raw["age"], "age"),
        "aging_bucket": bucket,
    }


def _offset(request: Request) -> int:
    return _int(request.query_params.get("offset"), "offset") or 0


def _paging(request: Request, offset: int, shown: int, total: str) -> dict[str, Any]:
    params = {k: v for k, v in request.query_params.items() if k != "offset" and v}

    def link(at: int) -> str:
        return f"{request.url.path}?{urlencode({**params, 'offset': at})}"

    return {
        "first": offset + 1 if shown else 0,
        "last": offset + shown,
        "total": total,
        "prev": link(max(offset - PAGE, 0)) if offset else None,
        "next": link(offset + PAGE) if shown == PAGE else None,
    }


@router.get("/queues/{queue}")
async def queue_page(queue: Queue, request: Request, engine: EngineDep) -> Response:
    """GET /queues/{queue}, /write-off-requests, /payer-messages/unmatched."""
    if queue is Queue.UNMATCHED:
        return await unmatched(request, engine)
    if queue is Queue.WRITE_OFFS:
        return await write_offs(request, engine)
    raw, narrowing = _filters(request)
    offset = _offset(request)
    f = claim_queries.queue_filter(queue, **narrowing)
    rows, total = await asyncio.gather(
        asyncio.to_thread(claim_queries.find, engine, f, limit=PAGE, offset=offset),
        asyncio.to_thread(claim_queries.count, engine, f),
    )
    return page(
        request,
        "queue.html",
        {
            "title": QUEUE_TITLES[queue],
            "queue": queue.value,
            "rows": await asyncio.to_thread(queue_items, engine, queue, rows),
            "filters": raw,
            "paging": _paging(request, offset, len(rows), str(total)),
            "show_deadline": queue is Queue.DENIALS,
            "show_eligibility": queue is Queue.ELIGIBILITY_HOLD,
            "show_follow_up": queue is Queue.FOLLOW_UP,
            "buckets": aging.BUCKET_NAMES,
        },
    )


@router.get("/claims")
async def claims_page(request: Request, engine: EngineDep) -> HTMLResponse:
    """GET /claims with its filters."""
    raw, narrowing = _filters(request)
    q = request.query_params
    try:
        statuses = tuple(ClaimStatus(s) for s in q.getlist("status") if s)
        sort = Sort(q.get("sort") or (Sort.AGE if q.get("bucket") else Sort.UPDATED))
        before = dt.datetime.fromisoformat(q["before"]) if q.get("before") else None
    except ValueError as exc:
        raise HTTPException(422, f"filter: {exc}") from exc
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=dt.UTC)
    f = ClaimFilter(
        statuses=statuses,
        payer_id=narrowing["payer_id"],
        carc=narrowing["carc"],
        aging_bucket=narrowing["aging_bucket"],
        appeal_deadline_before=before,
        outstanding_above=narrowing["outstanding_above"],
        min_age_days=narrowing["min_age_days"],
        sort=sort,
    )
    offset = _offset(request)
    rows, total = await asyncio.gather(
        asyncio.to_thread(claim_queries.find, engine, f, limit=PAGE, offset=offset),
        asyncio.to_thread(claim_queries.count, engine, f),
    )
    return page(
        request,
        "claims.html",
        {
            "title": "Claims",
            "rows": summaries(rows),
            "filters": {**raw, "before": q.get("before", ""), "sort": sort.value},
            "selected": {s.value for s in statuses},
            "all_statuses": [s.value for s in ClaimStatus],
            "sorts": [s.value for s in Sort],
            "paging": _paging(request, offset, len(rows), str(total)),
            "buckets": aging.BUCKET_NAMES,
        },
    )


async def write_offs(request: Request, engine: EngineDep) -> HTMLResponse:
    raw, narrowing = _filters(request)
    offset = _offset(request)
    rows, total = await asyncio.to_thread(
        approvals.pending, engine, payer_id=narrowing["payer_id"], limit=PAGE, offset=offset
    )
    return page(
        request,
        "write_offs.html",
        {
            "title": QUEUE_TITLES[Queue.WRITE_OFFS],
            "rows": rows,
            "filters": raw,
            "paging": _paging(request, offset, len(rows), f"{total:,}"),
        },
    )


async def unmatched(
    request: Request, engine: EngineDep, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    offset = _offset(request)
    rows, total = await asyncio.to_thread(
        inbound_store.unmatched, engine, limit=PAGE, offset=offset
    )
    return page(
        request,
        "unmatched.html",
        {
            "title": QUEUE_TITLES[Queue.UNMATCHED],
            "rows": [PayerMessageOut.of(r) for r in rows],
            "paging": _paging(request, offset, len(rows), f"{total:,}"),
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/unmatched/{message_id}/match")
async def match_message(
    message_id: str,
    request: Request,
    engine: EngineDep,
    client: TemporalDep,
    claim_id: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """POST /payer-messages/{id}/match."""
    principal = viewer(request)
    require(principal, Task.MATCH_MESSAGE)
    try:
        body = payer_messages.MatchRequest(claim_id=claim_id.strip(), note=note.strip() or None)
        request.scope[AUDIT_CLAIM_KEY] = body.claim_id
        await payer_messages.match(engine, client, message_id, body, principal.name)
    except ValidationError:
        return await unmatched(
            request, engine, error="claim id: a claimflow claim id (26 letters and digits)",
            status_code=422,
        )  # fmt: skip
    except HTTPException as exc:
        return await unmatched(
            request, engine, error=refusal_text(exc), status_code=exc.status_code
        )
    return RedirectResponse("/console/queues/unmatched", status_code=303)


@router.post("/unmatched/{message_id}/dismiss")
async def dismiss_message(
    message_id: str,
    request: Request,
    engine: EngineDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """POST /payer-messages/{id}/dismiss."""
    principal = viewer(request)
    require(principal, Task.DISMISS_MESSAGE)
    try:
        body = payer_messages.DismissRequest(reason=reason)
        payer_messages.dismiss(engine, message_id, body, principal.name)
    except ValidationError:
        return await unmatched(
            request, engine, error="reason: say why the message is dismissed", status_code=422
        )
    except HTTPException as exc:
        return await unmatched(
            request, engine, error=refusal_text(exc), status_code=exc.status_code
        )
    return RedirectResponse("/console/queues/unmatched", status_code=303)


@router.get("/alerts")
async def alerts_page(request: Request, engine: EngineDep) -> HTMLResponse:
    """GET /alerts."""
    q = request.query_params
    try:
        kind = AlertKind(q["kind"]) if q.get("kind") else None
    except ValueError as exc:
        raise HTTPException(422, f"kind: {exc}") from exc
    show_all = q.get("all") == "1"
    offset = _offset(request)
    rows, total = await asyncio.to_thread(
        alerts_store.list_alerts,
        engine,
        kind=kind,
        include_acknowledged=show_all,
        limit=PAGE,
        offset=offset,
    )
    return page(
        request,
        "alerts.html",
        {
            "title": "Alerts",
            "rows": rows,
            "kinds": [k.value for k in AlertKind],
            "kind": kind.value if kind else "",
            "show_all": show_all,
            "paging": _paging(request, offset, len(rows), f"{total:,}"),
        },
    )


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(
    alert_id: str,
    request: Request,
    engine: EngineDep,
    back: Annotated[str, Form()] = "/console/alerts",
    note: Annotated[str, Form()] = "",
) -> Response:
    """POST /alerts/{id}/acknowledge."""
    principal = viewer(request)
    require(principal, Task.ACKNOWLEDGE_ALERT)
    found = await asyncio.to_thread(alerts_store.get_alert, engine, alert_id)
    if found is not None:
        request.scope[AUDIT_CLAIM_KEY] = found.claim_id
    alerts_api.acknowledge(engine, alert_id, note.strip()[:500] or None, principal.name)
    # Only back to a console page: never an open redirect.
    target = back if back.startswith("/console/") else "/console/alerts"
    return RedirectResponse(target, status_code=303)
