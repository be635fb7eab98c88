"""Request body size limits: 413 before a body larger than the limit is read whole.

A declared ``Content-Length`` above the limit is refused before a byte of the body is read;
a body without one (chunked) is counted as it streams and refused the moment it passes the
limit. Either way the route never sees it, so a refused upload is never stored. Payer file
uploads (``/x12/...``) and attachments (``/claims/{id}/attachments``, the console's appeal
form) have their own, larger limit (settings ``max_upload_bytes``); every other route has
``max_request_bytes``.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import body
from services.settings import Settings

UPLOAD_PREFIXES = ("/x12/",)
# Attachment uploads: the API's, and the console's appeal form that carries them.
UPLOAD_SUFFIXES = ("/attachments", "/appeal")


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing lets it through (as a 413) rather than
    turning it into "error parsing the body"; raised anywhere else, the middleware answers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, body(413, _message(limit))["detail"])


def _message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default = settings.max_request_bytes
        self.upload = settings.max_upload_bytes

    def limit_for(self, path: str) -> int:
        uploads = path.startswith(UPLOAD_PREFIXES) or (
            path.endswith(UPLOAD_SUFFIXES)
            and (path.startswith("/console/") or path.endswith("/attachments"))
        )
        return self.upload if uploads else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    content = json.dumps(body(413, _message(limit))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
