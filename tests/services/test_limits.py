"""Body size limits: 413 before the body is read whole, nothing of it kept, in the audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlmodel import Session, select
from temporalio.client import Client

from claims.roles import Role
from services.auth.audit_log import AuditEntry
from services.settings import Settings
from tests.services.auth_testkit import Api, api_only
from tests.support import claim_payload, unique_settings

pytestmark = [pytest.mark.stack]

LIMIT = 4096
UPLOAD_LIMIT = 8192


@pytest_asyncio.fixture(loop_scope="session")
async def api(test_stack: Settings, client: Client, tmp_path: Path) -> AsyncIterator[Api]:
    settings = unique_settings(
        test_stack, tmp_path, max_request_bytes=LIMIT, max_upload_bytes=UPLOAD_LIMIT
    )
    async with api_only(settings, client) as running:
        yield running


def kept(api: Api) -> list[Path]:
    folder = api.settings.x12_dir / "received"
    return list(folder.iterdir()) if folder.exists() else []


async def test_declared_length_over_the_limit_is_413_and_not_kept(api: Api) -> None:
    async with api.as_roles(Role.INTAKE) as intake:
        big = await intake.post("/x12/inbound", content=b"ISA*" + b"x" * UPLOAD_LIMIT)
        assert big.status_code == 413
        [item] = big.json()["detail"]
        assert item["rule"] == "too_large" and str(UPLOAD_LIMIT) in item["msg"]
        claim = claim_payload(note="y" * LIMIT)
        too_big_json = await intake.post("/claims", json=claim)
        assert too_big_json.status_code == 413
    assert kept(api) == []


async def test_streamed_body_over_the_limit_is_413_and_not_kept(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(UPLOAD_LIMIT // 1024 + 2):
            yield b"x" * 1024

    async with api.as_roles(Role.INTAKE) as intake:
        # No Content-Length: counted as it streams.
        response = await intake.post("/x12/inbound", content=chunks())
        assert response.status_code == 413, response.text
        json_stream = await intake.post(
            "/claims", content=chunks(), headers={"content-type": "application/json"}
        )
        assert json_stream.status_code == 413
    assert kept(api) == []


async def test_limits_apply_before_credentials_and_are_audited(api: Api) -> None:
    async with api.client() as anonymous:
        response = await anonymous.post("/x12/inbound", content=b"x" * (UPLOAD_LIMIT + 1))
    assert response.status_code == 413
    with Session(api.engine) as session:
        rows = list(session.exec(select(AuditEntry).where(AuditEntry.status_code == 413)))
    assert rows and rows[-1].outcome == "too_large" and rows[-1].route == "/x12/inbound"


async def test_under_the_limit_passes(api: Api) -> None:
    async with api.as_roles(Role.INTAKE) as intake:
        response = await intake.post("/x12/inbound", content=b"not x12 at all")
    assert response.status_code == 422  # read, and refused for what it is
