"""The audit log: every write request, who made it, on what, and how it ended. Append-only.

One row per POST/PUT/PATCH/DELETE the API receives, whatever its outcome: done (2xx),
refused for want of a credential (401) or a role (403), refused by the claim (409), too
large (413), invalid (422), failed (5xx). It is written by a middleware around the whole
app, once the response is known and before its last byte is sent, so no route can forget
it; sign-in attempts record the name that was tried. Nothing here holds PHI: names of staff
and machines, routes, claim ids, status codes, and the refusal's message (our own text,
never an echo of the input).

Append-only is enforced by the database too (``services.auth.audit_log``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import anyio
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.auth.audit_log import AuditEntry, record
from services.auth.authenticate import FAILURE_KEY, PRINCIPAL_KEY
from services.auth.policy import route_template
from services.auth.principal import Principal

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Set by the sign-in routes: the name that was tried, for failed attempts.
ATTEMPTED_USER_KEY = "claimflow.attempted_user"
# Set by routes whose claim is not in the path (matching a payer message to a claim,
# acknowledging a claim's alert): the claim the entry is about.
AUDIT_CLAIM_KEY = "claimflow.audit_claim_id"
MAX_DETAIL = 1000


def outcome_of(status: int, auth_failure: str | None) -> str:
    if status < 400:
        return "done"
    if status == 401:
        return f"unauthenticated:{auth_failure}" if auth_failure else "unauthenticated"
    return {403: "forbidden", 404: "not_found", 409: "refused", 413: "too_large"}.get(
        status, "invalid" if status < 500 else "failed"
    )


def _detail(chunks: list[bytes]) -> str | None:
    raw = b"".join(chunks)[:8192]
    try:
        items = json.loads(raw)["detail"]
        return "; ".join(str(d["msg"]) for d in items)[:MAX_DETAIL]
    except (ValueError, KeyError, TypeError):
        return None


class AuditMiddleware:
    """Records every write request before the last byte of its response leaves (pure ASGI):
    a client that has its answer can count on the entry, and a crash loses the answer
    rather than the record."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        status = 500
        error_body: list[bytes] = []
        recorded = False

        async def record_once() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                await self._record(scope, status, _detail(error_body) if status >= 400 else None)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                if status >= 400:
                    error_body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await record_once()
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await record_once()

    async def _record(self, scope: Scope, status: int, detail: str | None) -> None:
        engine: Engine | None = getattr(scope["app"].state, "engine", None)
        if engine is None:
            return
        principal: Principal | None = scope.get(PRINCIPAL_KEY)
        route: Any = scope.get("route")
        params = scope.get("path_params") or {}
        claim_id = params.get("claim_id") or scope.get(AUDIT_CLAIM_KEY)
        entry = AuditEntry(
            at=dt.datetime.now(dt.UTC),
            actor=principal.name if principal else scope.get(ATTEMPTED_USER_KEY),
            actor_kind=principal.kind if principal else None,
            roles=",".join(sorted(principal.roles)) if principal else "",
            channel=principal.channel if principal else None,
            method=scope["method"],
            route=(route_template(scope["method"], scope["path"]) or scope["path"])[:300],
            action=getattr(route, "name", None),
            claim_id=claim_id[:32] if isinstance(claim_id, str) else None,
            status_code=status,
            outcome=outcome_of(status, scope.get(FAILURE_KEY)),
            detail=detail,
        )
        await anyio.to_thread.run_sync(record, engine, entry)
