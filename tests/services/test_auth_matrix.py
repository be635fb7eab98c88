"""The route x role matrix: every route in the table, every role, and no credential.

A role the table lists gets through authorization (2xx, or the route's own answer: a 404
for a claim that does not exist, a 422 for a body that is not a payer file); a role it does
not list gets 403 naming the roles the route needs; no credential gets 401. Every cell is
one test. Refusals are in the audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, select
from temporalio.client import Client
from ulid import ULID

from claims.roles import Role
from services.api import create_app
from services.auth.audit_log import AuditEntry
from services.auth.policy import PUBLIC, ROUTE_ROLES, check_routes, served_routes
from services.settings import Settings
from tests.services.auth_testkit import Api, api_only
from tests.support import claim_payload, unique_settings

pytestmark = [pytest.mark.stack]

CELLS = [
    pytest.param(method, path, role, id=f"{method} {path} as {role or 'nobody'}")
    for (method, path) in sorted(ROUTE_ROLES)
    for role in [*Role, None]
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(
    test_stack: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    settings = unique_settings(test_stack, Path(tmp_path_factory.mktemp("matrix")))
    async with api_only(settings, client) as running:
        yield running


def request_for(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """A concrete URL and a body the route accepts (or answers with its own refusal)."""
    url = (
        path.replace("{claim_id}", str(ULID()))
        .replace("{file_id}", "no-such-file")
        .replace("{name}", "no-such-name")
        .replace("{alert_id}", "no-such-alert")
        .replace("{message_id}", "no-such-message")
        .replace("{attachment_id}", f"att_{ULID()}")
        .replace("{queue}", "denials")
    )
    if method not in ("POST", "PATCH"):
        return url, {}
    bodies: dict[str, dict[str, Any]] = {
        "/claims": {"json": claim_payload()},
        "/fhir/Claim": {"json": {"resourceType": "Claim"}},
        "/x12/inbound": {"content": b"not x12"},
        "/x12/decrypt": {"content": b"not ours"},
        "/codec/encode": {"json": {"payloads": []}},
        "/codec/decode": {"json": {"payloads": []}},
        "/admin/users": {
            "json": {"name": f"u{uuid.uuid4().hex[:8]}", "password": "x" * 16, "roles": ["ops"]}
        },
        "/admin/api-keys": {"json": {"name": f"k{uuid.uuid4().hex[:8]}", "roles": ["intake"]}},
    }
    if path in bodies:
        return url, bodies[path]
    if path.endswith(("/recode", "/correct", "/replace")):
        return url, {"json": {"claim": claim_payload()}}
    if path.endswith("/appeal") or path.endswith("/void") or path.endswith("/write-off"):
        return url, {"json": {"reason": "matrix"}}
    return url, {"json": {}}


@pytest.mark.parametrize(("method", "path", "role"), CELLS)
async def test_route_role_cell(api: Api, method: str, path: str, role: Role | None) -> None:
    url, body = request_for(method, path)
    allowed = ROUTE_ROLES[(method, path)]
    async with api.as_roles(role) if role else api.client() as http:
        if path == "/stream":  # a live feed never ends: its answer's status is the cell
            async with http.stream(method, url) as streamed:
                if streamed.status_code >= 400:
                    await streamed.aread()
                response = streamed
        else:
            response = await http.request(method, url, **body)
    if role is None:
        assert response.status_code == 401, response.text
        assert response.json()["detail"][0]["rule"] == "credentials_required"
    elif role in allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        [item] = response.json()["detail"]
        assert item["rule"] == "role_required"
        assert all(r.value in item["msg"] for r in allowed), item["msg"]


async def test_refusals_are_in_the_audit_log(api: Api) -> None:
    claim_id = str(ULID())
    async with api.client() as anonymous, api.as_roles(Role.OPS) as ops:
        await anonymous.post(f"/claims/{claim_id}/write-off", json={"reason": "x"})
        await ops.post(f"/claims/{claim_id}/write-off", json={"reason": "x"})
    with Session(api.engine) as session:
        rows = list(session.exec(select(AuditEntry).where(AuditEntry.claim_id == claim_id)))
    assert [(r.actor, r.status_code, r.outcome) for r in rows] == [
        (None, 401, "unauthenticated:credentials_required"),
        ("ops", 403, "forbidden"),
    ]
    assert rows[1].route == "/claims/{claim_id}/write-off" and rows[1].roles == "ops"
    assert "needs the role biller or supervisor" in (rows[1].detail or "")


async def test_every_served_route_is_public_or_in_the_table(api: Api) -> None:
    async with api.client() as http:
        openapi = (await http.get("/openapi.json")).json()
    served = {(m.upper(), p) for p, ops in openapi["paths"].items() for m in ops}
    assert served == set(ROUTE_ROLES) | PUBLIC
    # What the app checks at start-up, read from its routes: the same operations, and a
    # route is guarded by ``authorize`` exactly where the document asks for a credential.
    routes = served_routes(create_app(api.settings))
    assert routes == {
        (m.upper(), p): bool(op.get("security"))
        for p, ops in openapi["paths"].items()
        for m, op in ops.items()
    }
    assert {key for key, guarded in routes.items() if not guarded} <= PUBLIC


def test_a_route_outside_the_table_stops_the_app() -> None:
    from fastapi import APIRouter, FastAPI

    from services.auth.policy import AUTHORIZED

    app = FastAPI()
    open_router = APIRouter()
    open_router.add_api_route("/claims/{claim_id}/secret", lambda: {}, methods=["GET"])
    guarded = APIRouter(dependencies=AUTHORIZED)
    guarded.add_api_route("/not-in-table", lambda: {}, methods=["GET"])
    unguarded = APIRouter()
    unguarded.add_api_route("/claims/{claim_id}/audit", lambda: {}, methods=["GET"])
    app.include_router(open_router)
    app.include_router(guarded)
    app.include_router(unguarded)
    with pytest.raises(RuntimeError) as err:
        check_routes(app)
    assert "GET /claims/{claim_id}/secret has no line in ROUTE_ROLES" in str(err.value)
    assert "GET /not-in-table has no line in ROUTE_ROLES" in str(err.value)
    assert "GET /claims/{claim_id}/audit: its router lacks dependencies=AUTHORIZED" in str(
        err.value
    )
    assert "POST /claims is in ROUTE_ROLES but not served" in str(err.value)


ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


async def test_error_shape_is_in_the_openapi_document(api: Api) -> None:
    async with api.client() as http:
        openapi = (await http.get("/openapi.json")).json()
    schema = openapi["components"]["schemas"]["ErrorItem"]
    assert set(schema["properties"]) == {"field", "rule", "msg"}
    for (method, path), _ in ROUTE_ROLES.items():
        responses = openapi["paths"][path][method.lower()]["responses"]
        for status in ("401", "403", "422"):
            schema = responses[status]["content"]["application/json"]["schema"]
            # ErrorBody, or one of the answers (POST /x12/inbound's 422 may instead be the
            # report of a quarantined unit).
            assert ERROR_BODY in [schema, *schema.get("anyOf", [])], (method, path, status)
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    # Console pages answer HTML (forms redirect to a page), and the document says so.
    pages = [(m, p) for m, p in ROUTE_ROLES if p.startswith("/console")]
    assert pages
    for method, path in pages:
        answer = openapi["paths"][path][method.lower()]["responses"]["200"]["content"]
        assert "text/html" in answer, (method, path, answer)
        refused = openapi["paths"][path][method.lower()]["responses"]["4XX"]["content"]
        assert set(refused) == {"application/json", "text/html"}, (method, path, refused)
