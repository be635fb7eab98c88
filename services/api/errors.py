"""One shape for every refusal: ``{"detail": [{"field", "rule", "msg"}]}``.

Every 4xx the API sends has it: validation errors (422), missing or bad credentials (401),
a role the caller lacks (403), an unknown claim (404), a refused action (409), a body too
large (413). ``field`` names the input at fault (dotted path), or is null when the request
as a whole is refused; ``rule`` is a stable machine-readable name; ``msg`` is for people.

Validation errors quote the refused value only where it is not PHI.

A route whose Temporal call fails (the server unreachable or overloaded) answers 503 with a
reason instead of 500. The OpenAPI document carries ``ErrorBody`` on every operation's 4xx
and 503 answers, so that clients (and the schemathesis fuzz test) can rely on the shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from claims.model import is_phi_field


class ErrorItem(BaseModel):
    field: str | None = None
    rule: str
    msg: str


class ErrorBody(BaseModel):
    detail: list[ErrorItem]


# The rule a plain-message refusal gets, by status.
RULES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "refused",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
}

_DESCRIPTIONS = {
    401: "No credential, or one that is not valid (expired, wrong issuer or audience, revoked)",
    403: "The credential's roles do not include one this route needs (the message names it)",
    404: "No such claim or resource",
    409: "The claim's status (or a pending action) does not allow this; the message says why",
    413: "The request body is larger than the configured limit",
    422: "The input breaks a rule; each item names the field and the rule",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}


def error(
    status: int,
    msg: str,
    *,
    rule: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPException:
    """An HTTPException whose detail is already in the one shape."""
    item = {"field": field, "rule": rule or RULES.get(status, "error"), "msg": msg}
    return HTTPException(status, [item], headers=headers)


def body(status: int, msg: str, *, rule: str | None = None) -> dict[str, Any]:
    """The JSON of a refusal sent without an exception (middleware)."""
    return {"detail": [{"field": None, "rule": rule or RULES.get(status, "error"), "msg": msg}]}


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


def _shaped(status: int, detail: Any) -> list[dict[str, Any]]:
    if isinstance(detail, list) and all(isinstance(d, dict) and "msg" in d for d in detail):
        return [{"field": d.get("field"), "rule": d.get("rule"), "msg": d["msg"]} for d in detail]
    items: list[dict[str, Any]] = body(status, str(detail))["detail"]
    return items


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Put ``ErrorBody`` on every operation's 4xx and 503 answers in place of FastAPI's
    ``HTTPValidationError``, which is not the shape this API sends."""
    schema_of_body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema_of_body.pop("$defs", {}))
    components["ErrorBody"] = schema_of_body
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
            if "console" in operation.get("tags", []):
                _console_refusals_are_pages(responses)
    return schema


def _console_refusals_are_pages(responses: dict[str, Any]) -> None:
    """A console form that is refused shows its page again with the reason (no script is
    needed to read it); requests the console itself refuses still answer JSON."""
    for status, response in list(responses.items()):
        if status.startswith("4"):
            content = {**response.get("content", {}), "text/html": {}}
            responses[status] = {**response, "content": content}


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": field_errors(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def _refused(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"detail": _shaped(exc.status_code, exc.detail)},
            headers=exc.headers,
        )

    @app.exception_handler(RPCError)
    async def _temporal_unavailable(_: Request, exc: RPCError) -> JSONResponse:
        msg = f"the workflow service did not answer ({exc.status.name}); retry"
        return JSONResponse(status_code=503, content=body(503, msg))

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
