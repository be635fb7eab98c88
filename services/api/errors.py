"""One shape for every refusal: ``{"detail": [{"field", "rule", "msg"}]}`` or a message.

Validation errors name the field and the rule it broke, and never echo the input back: the
input may hold PHI.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's errors, minus the echoed input (it may hold PHI), plus a dotted field path."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        out.append({"field": ".".join(loc) or "body", "rule": err.get("type"), "msg": err["msg"]})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc)})
