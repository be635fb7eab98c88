"""One shape for every refusal: ``{"detail": [{"field", "rule", "msg"}]}`` or a message.

Validation errors name the field and the rule it broke, and never echo the input back: the
input may hold PHI. The shape is documented in the OpenAPI document for every 4xx and 503
answer (``ErrorBody``), so that clients (and the schemathesis fuzz test) can rely on it.
When Temporal does not answer, a route says 503 with a reason instead of failing with 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.service import RPCError


class FieldError(BaseModel):
    field: str
    rule: str | None = None
    msg: str


class ErrorBody(BaseModel):
    """Every 4xx and 503 answer: a sentence, or one entry per field at fault."""

    detail: str | list[FieldError]


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's errors, minus the echoed input (it may hold PHI), plus a dotted field path."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path", "query")]
        out.append({"field": ".".join(loc) or "body", "rule": err.get("type"), "msg": err["msg"]})
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Put ``ErrorBody`` on every operation's 4xx and 503 answers in place of FastAPI's
    ``HTTPValidationError``, which is not the shape this API sends."""
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(body.pop("$defs", {}))
    components["ErrorBody"] = body
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    content = {"application/json": {"schema": _ref("ErrorBody")}}
    error = {"description": "Refused, with the reason", "content": content}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "HTTPValidationError" in str(responses.get("422", "")):
                responses["422"] = error
            responses.setdefault("4XX", error)
            responses.setdefault("503", error)
    return schema


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc)})

    @app.exception_handler(RPCError)
    async def _temporal_unavailable(_: Request, exc: RPCError) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            content={"detail": f"the workflow service did not answer ({exc.status.name}); retry"},
        )

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
