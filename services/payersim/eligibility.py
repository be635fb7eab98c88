"""The simulated payer's eligibility service: a 270 in, a 271 out, at once.

Real-time eligibility is synchronous, unlike claims: a clearinghouse's real-time API takes
the 270 as the request body and returns the 271 as the response body. ``POST /x12/270``
does that; ``POST /v1/eligibility`` is the same service in JSON (claimflow's JSON gateway).
For the batch file exchange, ``answer_270_file`` turns a 270 file into the 271 file a payer
would return (``services.payersim.folder`` picks the 270s up and drops the 271s). Answers
come from ``eligibility_rules``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time

from fastapi import APIRouter, HTTPException, Request, Response

from claims.eligibility import EligibilityRequest, EligibilityResult
from claims.x12.eligibility_270 import Inquiry, parse_270
from claims.x12.envelope import Envelope
from claims.x12.errors import X12Error
from claims.x12.interchange import read_document
from claims.x12.render_271 import Answer, render_271
from services.payersim import eligibility_rules
from services.payersim.outbox import PAYER_ID, PAYER_NAME

router = APIRouter(tags=["eligibility"])
_numbers = itertools.count(1)


def _answer(inquiry: Inquiry, today: dt.date) -> Answer:
    result = eligibility_rules.decide(
        inquiry.member_id,
        inquiry.date_of_service or today,
        inquiry.service_types,
        trace_number=inquiry.trace_number,
        payer_id=inquiry.payer_id,
    )
    payer_trace = f"{PAYER_ID}-{inquiry.trace_number or inquiry.reference}"[:50]
    return Answer(inquiry=inquiry, result=result, payer_trace=payer_trace)


def answer_270(text: str | bytes, *, today: dt.date | None = None) -> str:
    """The 271 answering every inquiry of a 270 file; raises ``X12Error`` if unreadable."""
    return _respond(text, today)[1]


def answer_270_file(text: str | bytes, *, today: dt.date | None = None) -> str | None:
    """The file exchange's 271 for a 270 file: every inquiry answered but a silent member's
    (a payer that never answers them); None when nobody is. Raises ``X12Error``."""
    inquiries = [q for q in parse_270(text) if not eligibility_rules.is_silent(q.member_id)]
    if not inquiries:
        return None
    return _render(text, inquiries, today)


def _respond(text: str | bytes, today: dt.date | None) -> tuple[list[Inquiry], str]:
    inquiries = parse_270(text)
    return inquiries, _render(text, inquiries, today)


def _render(text: str | bytes, inquiries: list[Inquiry], today: dt.date | None) -> str:
    asker = read_document(text).interchanges[0]
    n = next(_numbers)
    envelope = Envelope(
        sender_id=PAYER_ID,
        receiver_id=asker.sender_id or "CLAIMFLOW",
        interchange_control_number=n,
        group_control_number=n,
        sender_name=PAYER_NAME,
    )
    day = today or dt.date.today()
    return render_271([_answer(q, day) for q in inquiries], envelope=envelope)


async def _silence(request: Request) -> None:
    """A payer that does not answer in time: hold the request until the caller gives up."""
    deadline = time.monotonic() + eligibility_rules.SILENT_SECONDS
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(0.1)


@router.post("/x12/270", response_class=Response)
async def eligibility_270(request: Request) -> Response:
    """A 270 as the body; the 271 as the answer (400 naming the problem if unreadable)."""
    body = await request.body()
    try:
        inquiries, text = _respond(body, None)
    except X12Error as exc:
        raise HTTPException(400, f"unreadable 270: {exc}") from exc
    if any(eligibility_rules.is_silent(q.member_id) for q in inquiries):
        await _silence(request)
    return Response(content=text, media_type="application/edi-x12")


@router.post("/v1/eligibility")
async def eligibility_json(inquiry: EligibilityRequest, request: Request) -> EligibilityResult:
    member = inquiry.subscriber.member_id or ""
    if eligibility_rules.is_silent(member):
        await _silence(request)
    return eligibility_rules.decide(
        member,
        inquiry.date_of_service,
        inquiry.service_types,
        trace_number=inquiry.trace_number,
        payer_id=inquiry.payer.payer_id,
    )
