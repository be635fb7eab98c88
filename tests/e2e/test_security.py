"""Who acts, on the real stack: a biller signs in and appeals, and the event names her; an
ops user's write-off is refused; no credential, no entry; a big write-off waits for a
supervisor; every write request is in the claim's audit log; kept X12 is read through the
API only by people allowed to see it."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from claims.roles import Role
from claims.status import ClaimStatus as S
from events import topics
from events.contract import AlertKind, ClaimEvent
from events.reader import read_claim_alerts
from services import x12_store
from services.auth import users
from tests.services.test_cli import cli
from tests.support import Harness, denied_for_auth_payload, message

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]

PASSWORD = "bea's long passphrase"


async def signed_in(h: Harness, name: str, role: Role) -> httpx.AsyncClient:
    """A person signing in to the console: a password, then the session cookie."""
    users.add_user(h.engine, name, PASSWORD, frozenset({role}))
    browser = h.anonymous()
    response = await browser.post("/auth/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return browser


async def event_named(h: Harness, claim_id: str, status: S) -> ClaimEvent:
    for _ in range(100):
        found = [e for e in h.events(claim_id) if e.data.status is status]
        if found:
            return found[-1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {status} event for {claim_id}")


async def test_biller_appeals_and_the_event_names_her_ops_refused_nobody_401(
    claimflow: Harness,
) -> None:
    h = claimflow
    claim_id = await h.submit(denied_for_auth_payload())
    await h.wait_status(claim_id, S.DENIED)

    nobody = await h.anonymous().post(f"/claims/{claim_id}/appeal", json={"reason": "x"})
    assert nobody.status_code == 401
    ops = h.client_for(Role.OPS, name="oscar")
    refused = await ops.post(f"/claims/{claim_id}/write-off", json={"reason": "tidy up"})
    assert refused.status_code == 403
    assert "needs the role biller or supervisor; oscar has ops" in message(refused)
    assert (await ops.get(f"/claims/{claim_id}")).json()["status"] == S.DENIED  # ops may read

    bea = await signed_in(h, "bea", Role.BILLER)
    appealed = await bea.post(
        f"/claims/{claim_id}/appeal", json={"reason": "authorization obtained"}
    )
    assert appealed.status_code == 200, appealed.text
    event = await event_named(h, claim_id, S.APPEALED)
    assert event.data.actor is not None
    assert (event.data.actor.name, event.data.actor.kind, event.data.actor.channel) == (
        "bea",
        "user",
        "console",
    )
    assert event.data.actor.roles == (Role.BILLER,)
    view = await h.wait_status(claim_id, S.PAID)
    [received] = [e for e in view["history"] if e["status"] == S.RECEIVED]
    assert received["actor"]["name"] == "harness"  # who submitted it
    [by_bea] = [e for e in view["history"] if e["status"] == S.APPEALED]
    assert by_bea["actor"]["name"] == "bea"

    trail = (await h.http.get(f"/claims/{claim_id}/audit")).json()
    assert [(e["actor"], e["action"], e["status_code"]) for e in trail] == [
        (None, "appeal", 401),
        ("oscar", "write_off", 403),
        ("bea", "appeal", 200),
    ]
    assert trail[2]["channel"] == "console" and trail[2]["roles"] == "biller"

    status = await asyncio.to_thread(cli, h, "status", claim_id)
    # The history table: one row per step, with why and who (name and channel).
    [appeal_row] = [line for line in status.stdout.splitlines() if " APPEALED " in line]
    cells = [cell.strip() for cell in appeal_row.split("│")]
    assert cells[3:6] == ["APPEALED", "authorization obtained", "bea (console)"], status.stdout
    audit = await asyncio.to_thread(cli, h, "audit", claim_id)
    assert audit.returncode == 0, audit.stderr
    assert "oscar (ops, api)" in audit.stdout and "403 forbidden" in audit.stdout


async def test_write_off_above_the_threshold_waits_for_a_supervisor(claimflow: Harness) -> None:
    h = claimflow
    claim_id = await h.submit(denied_for_auth_payload())  # 1450.00 > 500.00
    await h.wait_status(claim_id, S.DENIED)
    biller = h.client_for(Role.BILLER, name="bill")
    asked = await biller.post(f"/claims/{claim_id}/write-off", json={"reason": "uncollectable"})
    assert asked.status_code == 202, asked.text
    assert asked.json()["pending_write_off"]["amount"] == "1450.00"
    view = await h.view(claim_id)
    assert (view["status"], view["pending_write_off"]["requested_by"]["name"]) == (
        S.DENIED,
        "bill",
    )
    [alert] = read_claim_alerts(
        h.settings.kafka_bootstrap, h.settings.topic(topics.ALERTS), claim_id
    )
    assert alert.data.kind is AlertKind.WRITE_OFF_APPROVAL_REQUESTED
    assert alert.data.actor is not None and alert.data.actor.name == "bill"

    cannot = await biller.post(f"/claims/{claim_id}/write-off/approve", json={})
    assert cannot.status_code == 403 and "needs the role supervisor" in message(cannot)
    supervisor = h.client_for(Role.SUPERVISOR, name="sue")
    approved = await supervisor.post(f"/claims/{claim_id}/write-off/approve", json={"note": "ok"})
    assert approved.status_code == 200, approved.text
    event = await event_named(h, claim_id, S.WRITTEN_OFF)
    assert event.data.actor is not None and event.data.actor.name == "sue"
    assert "asked by bill, approved by sue" in (event.data.reason or "")
    again = await supervisor.post(f"/claims/{claim_id}/write-off/approve", json={})
    assert again.status_code == 409


async def test_kept_x12_is_encrypted_and_read_through_the_api(claimflow: Harness) -> None:
    h = claimflow
    claim_id = await h.submit(denied_for_auth_payload())
    await h.wait_status(claim_id, S.DENIED)
    files = [p for p in h.settings.x12_dir.rglob("*") if p.is_file()]
    assert any(p.parent.name == "sent" for p in files)
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600
        assert b"ISA*" not in path.read_bytes()
    [sent] = list((h.settings.x12_dir / "sent").glob("837P-*.x12"))
    shown = await asyncio.to_thread(cli, h, "x12", "show", str(sent))
    assert shown.returncode == 0, shown.stderr
    # CLM01 is the claim's patient control number (recorded before sending), not its id.
    pcn = x12_store.patient_control_number_of(h.engine, claim_id)
    assert pcn is not None
    assert shown.stdout.startswith("ISA*") and f"~CLM*{pcn}*" in shown.stdout
    intake = await asyncio.to_thread(
        cli, h, "x12", "show", str(sent), token=h.token_for(Role.INTAKE, name="ingrid")
    )
    assert intake.returncode == 1 and "needs the role" in intake.stderr
    anonymous = await asyncio.to_thread(cli, h, "x12", "show", str(sent), token="")
    assert anonymous.returncode == 1 and "CLAIMFLOW_TOKEN" in anonymous.stderr
