"""Managing webhook subscriptions through the API and the CLI; every refusal names the field."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from claims.roles import Role
from services.apps import child_env
from services.settings import REPO_ROOT, Settings
from tests.support import Harness, harness, message

URL = "https://ehr.example/hooks/claims"


@pytest_asyncio.fixture(loop_scope="session")
async def api(settings: Settings, client: Client) -> AsyncIterator[Harness]:
    async with harness(settings, client, worker=False, consumer=False) as h:
        yield h


async def test_create_show_update_delete(api: Harness) -> None:
    created = await api.admin.post(
        "/webhooks", json={"url": URL, "event_types": ["claimflow.claim.denied.v1"]}
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["secret"].startswith("whsec_") and sub["content_mode"] == "structured"
    shown = (await api.admin.get(f"/webhooks/{sub['id']}")).json()
    assert "secret" not in shown and shown["dead_letters"] == 0

    changed = await api.admin.patch(
        f"/webhooks/{sub['id']}", json={"active": False, "payer_ids": ["SIMPAYER1"]}
    )
    assert changed.status_code == 200
    assert (changed.json()["active"], changed.json()["payer_ids"]) == (False, ["SIMPAYER1"])
    assert changed.json()["event_types"] == ["claimflow.claim.denied.v1"]  # untouched

    assert [s["id"] for s in (await api.admin.get("/webhooks")).json()] == [sub["id"]]
    assert (await api.admin.delete(f"/webhooks/{sub['id']}")).status_code == 204
    assert (await api.admin.get(f"/webhooks/{sub['id']}")).status_code == 404


async def test_the_secret_is_not_in_the_database_file(api: Harness) -> None:
    sub = (
        await api.admin.post(
            "/webhooks", json={"url": URL, "event_types": ["claimflow.claim.*.v1"]}
        )
    ).json()
    database = Path(api.settings.resolved_database_url.removeprefix("sqlite:///"))
    await asyncio.sleep(0)
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert sub["id"].encode() in raw  # the row is there ...
    key = sub["secret"].removeprefix("whsec_").encode()
    assert key not in raw  # ... its secret is not


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "ftp://x/y", "event_types": ["claimflow.claim.paid.v1"]}, "url", "http"),
        ({"url": URL, "event_types": ["claimflow.claim.payed.v1"]}, "event_types", "not an event"),
        ({"url": URL, "event_types": ["billing.*"]}, "event_types", "matches no event type"),
        ({"url": URL, "event_types": []}, "event_types", "at least 1"),
        (
            {"url": URL, "event_types": ["claimflow.claim.paid.v1"], "secret": "s"},
            "secret",
            "whsec_",
        ),
        (
            {"url": URL, "event_types": ["claimflow.claim.paid.v1"], "content_mode": "x"},
            "content_mode",
            "structured",
        ),
        ({"url": URL, "event_types": ["claimflow.claim.paid.v1"], "x": 1}, "x", "not permitted"),
    ],
)
async def test_bad_subscriptions_are_refused_naming_the_field(
    api: Harness, body: dict[str, object], field: str, words: str
) -> None:
    response = await api.admin.post("/webhooks", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert any(d["field"] == field and words in d["msg"] for d in detail), detail
    assert (await api.admin.get("/webhooks")).json() == []  # nothing half-written


async def test_unknown_subscriptions_are_404(api: Harness) -> None:
    for method, path, body in [
        ("GET", "/webhooks/nope", None),
        ("PATCH", "/webhooks/nope", {"active": False}),
        ("DELETE", "/webhooks/nope", None),
        ("GET", "/webhooks/nope/dead-letters", None),
        ("POST", "/webhooks/nope/redrive", {}),
    ]:
        response = await api.admin.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert "no webhook subscription nope" in message(response)
    bad_state = await api.admin.get("/webhooks/x/dead-letters", params={"state": "lost"})
    assert bad_state.status_code == 422 and bad_state.json()["detail"][0]["field"] == "state"


def cli(h: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services", "webhooks", *args],
        capture_output=True,
        text=True,
        env={**child_env(h.settings), "CLAIMFLOW_TOKEN": h.token_for(Role.ADMIN, name="admin")},
        cwd=REPO_ROOT,
        timeout=60,
    )


async def test_the_cli_manages_subscriptions(api: Harness) -> None:
    added = await asyncio.to_thread(
        cli, api, "add", URL, "--type", "claimflow.claim.*.v1", "--payer", "SIMPAYER1", "--json"
    )
    assert added.returncode == 0, added.stderr
    sub = json.loads(added.stdout)
    listed = await asyncio.to_thread(cli, api, "list")
    assert sub["id"] in listed.stdout and "SIMPAYER1" in listed.stdout
    paused = await asyncio.to_thread(cli, api, "update", sub["id"], "--paused", "--all-payers")
    assert paused.returncode == 0 and "paused" in paused.stdout and "all payers" in paused.stdout
    letters = await asyncio.to_thread(cli, api, "dead-letters", sub["id"])
    assert letters.stdout.strip() == "no dead letters"
    redrive = await asyncio.to_thread(cli, api, "redrive", sub["id"])
    assert redrive.stdout.strip() == "0 dead letters queued for delivery"
    removed = await asyncio.to_thread(cli, api, "remove", sub["id"])
    assert removed.returncode == 0

    refused = await asyncio.to_thread(cli, api, "add", URL, "--type", "claimflow.claim.nope.v1")
    assert refused.returncode == 1 and "event_types" in refused.stderr
    missing = await asyncio.to_thread(cli, api, "show", sub["id"])
    assert missing.returncode == 1 and "no webhook subscription" in missing.stderr
    assert "Traceback" not in refused.stderr + missing.stderr
