"""The API's access log: one JSON line per request, with no PHI.

Logged: method, path, status, duration, client address. Not logged: query strings (a
search could carry a name or a member id), headers, bodies. Paths hold only claimflow's own
opaque ids (claims, attachments, payer messages), never PHI.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.observability.logs import logging_configured

log = logging.getLogger("claimflow.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client sees if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client")
            entry: dict[str, Any] = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "client": client[0] if client else None,
            }
            log.info(json.dumps(entry))


def install(app: FastAPI) -> None:
    """Log every request of ``app``.

    A claimflow process sets up logging before it builds its app, so the lines go through
    that handler (JSON like every other record, at the configured level). Only an app built
    where nobody set logging up (an in-process test server) gets a stderr handler of its own.
    """
    if not log.handlers and not logging_configured():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    app.add_middleware(AccessLog)
