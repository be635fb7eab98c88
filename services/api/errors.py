"""One shape for every refusal: ``{"detail": [{"field", "rule", "msg"}]}`` or a message.

Validation errors name the field and the rule it broke, and quote the refused value only
where it is not PHI.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from claims.model import is_phi_field


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's errors with a dotted field path. The refused value is quoted when it is
    not PHI (a procedure code, an NPI), so the sender sees what they wrote; PHI is not
    echoed."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        msg = err["msg"]
        value = err.get("input")
        if isinstance(value, str | int | float) and not is_phi_field(loc):
            msg = f"{msg} (got {value!r})"
        out.append({"field": ".".join(loc) or "body", "rule": err.get("type"), "msg": msg})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc)})
