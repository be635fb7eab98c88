"""The unmatched payer messages queue: list, match to a claim, or dismiss with a reason.

A payment or status that named no open claim (a mistyped patient control number, a claim
closed before the payer answered) waits here, never dropped. A person either matches it to
the right claim, which delivers it to that claim's workflow as the signal it would have
been, or dismisses it, saying why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import Engine
from temporalio.client import Client

from claims.model import ULID_PATTERN
from services import inbound_store
from services.api.deps import EngineDep, Offset, TemporalDep
from services.auth.audit import AUDIT_CLAIM_KEY
from services.auth.policy import AUTHORIZED, Authorized
from services.inbound_store import PayerMessageOut
from services.signals import temporal_signaller

router = APIRouter(tags=["payer messages"], dependencies=AUTHORIZED)

MessageIdPath = Annotated[str, Path(min_length=1, max_length=120)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claim_id: Annotated[str, StringConstraints(pattern=ULID_PATTERN)]
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class DismissRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Note


@router.get("/payer-messages/unmatched")
async def unmatched(
    engine: EngineDep,
    response: Response,
    state: Annotated[str, Query(pattern="^(open|matched|dismissed|all)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[PayerMessageOut]:
    """Payments and statuses that named no open claim: the queue a person works, newest
    first (``X-Total-Count`` says how many)."""
    rows, total = inbound_store.unmatched(
        engine, state=None if state == "all" else state, limit=limit, offset=offset
    )
    response.headers["X-Total-Count"] = str(total)
    return [PayerMessageOut.of(r) for r in rows]


def _open(engine: Engine, message_id: str) -> inbound_store.UnmatchedPayerMessage:
    row = inbound_store.get_message(engine, message_id)
    if row is None:
        raise HTTPException(404, f"no unmatched payer message {message_id}")
    if row.state != "open":
        raise HTTPException(409, f"message {message_id} was already {row.state}")
    return row


async def match(
    engine: Engine, client: Client, message_id: str, request: MatchRequest, by: str
) -> PayerMessageOut:
    row = _open(engine, message_id)
    message = inbound_store.as_message(row, request.claim_id)
    try:
        await temporal_signaller(client)(message)
    except LookupError as exc:
        raise HTTPException(
            409, f"claim {request.claim_id} cannot take payer messages: {exc}"
        ) from exc
    done = inbound_store.resolve(
        engine, message_id, state="matched", claim_id=request.claim_id, note=request.note, by=by
    )
    if done is None:  # resolved by someone else meanwhile; the claim drops the duplicate
        raise HTTPException(409, f"message {message_id} was resolved meanwhile")
    return PayerMessageOut.of(done)


def dismiss(engine: Engine, message_id: str, request: DismissRequest, by: str) -> PayerMessageOut:
    _open(engine, message_id)
    done = inbound_store.resolve(
        engine, message_id, state="dismissed", claim_id=None, note=request.reason, by=by
    )
    if done is None:
        raise HTTPException(409, f"message {message_id} was resolved meanwhile")
    return PayerMessageOut.of(done)


@router.post("/payer-messages/{message_id}/match")
async def match_message(
    message_id: MessageIdPath,
    request: MatchRequest,
    engine: EngineDep,
    client: TemporalDep,
    principal: Authorized,
    http: Request,
) -> PayerMessageOut:
    """Deliver the message to ``claim_id``'s workflow (readdressed to it) and close it here.

    409 if the claim cannot take payer messages (unknown or finished) or the message was
    already resolved; the claim's workflow drops a message id it has seen.
    """
    http.scope[AUDIT_CLAIM_KEY] = request.claim_id
    return await match(engine, client, message_id, request, principal.name)


@router.post("/payer-messages/{message_id}/dismiss")
async def dismiss_message(
    message_id: MessageIdPath, request: DismissRequest, engine: EngineDep, principal: Authorized
) -> PayerMessageOut:
    """Close the message without delivering it; ``reason`` says why."""
    return dismiss(engine, message_id, request, principal.name)
