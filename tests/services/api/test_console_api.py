"""The API behind the console, on the real stack: every new endpoint, and its refusals.

One claimflow (worker, projector, payer simulator, API) serves the whole module: starting
one per test would cost more than the tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client

from claims.roles import Role
from claims.status import RESTING
from claims.status import ClaimStatus as S
from events.contract import Actor, AlertKind, ClaimAlertData, make_alert
from services import x12_store
from services.crypto.keyring import KeyRing
from services.settings import Settings
from services.worker import make_producer
from tests.e2e.test_x12_exchange import era
from tests.support import Harness, claim_payload, denied_for_auth_payload, harness, unique_settings

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(
    test_stack: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    settings = unique_settings(test_stack, tmp_path_factory.mktemp("console-api"))
    async with harness(settings, client) as h:
        yield h


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def claims(api: Harness) -> dict[str, str]:
    """A denied, a partially paid, a paid and a coding-review claim, projected."""
    ids = {
        "denied": await api.submit(denied_for_auth_payload()),
        "partial": await api.submit(
            claim_payload(procedures=(("99214", "210.00"), ("36415", "25.00")))
        ),
        "paid": await api.submit(claim_payload()),
        # Another day: once recoded it must not be a duplicate of the paid one.
        "review": await api.submit(claim_payload(diagnoses=("E11",), days_ago=11)),
    }
    targets = {"denied": S.DENIED, "partial": S.PARTIALLY_PAID, "paid": S.PAID,
               "review": S.CODING_REVIEW}  # fmt: skip
    for name, claim_id in ids.items():
        view = await api.wait_status(claim_id, targets[name])
        await api.wait_read_model(claim_id, targets[name], seq=view["seq"])
    return ids


async def test_list_rows_carry_the_deadline_and_one_type_of_denial_reasons(
    api: Harness, claims: dict[str, str]
) -> None:
    response = await api.http.get("/claims", params={"status": "DENIED"})
    assert response.status_code == 200
    [row] = response.json()
    assert row["claim_id"] == claims["denied"]
    assert row["appeal_deadline"] and 115 <= row["appeal_days_left"] <= 120
    detail = await api.view(claims["denied"])
    assert row["denial_reasons"] == detail["denial_reasons"] == ["CO-197"]
    assert response.headers["x-total-count"] == "1"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"carc": "197"}, {"denied"}),
        ({"carc": "CO-97"}, {"partial"}),
        ({"status": ["DENIED", "PARTIALLY_PAID"], "outstanding_above": "100"}, {"denied"}),
        ({"aging_bucket": "0-30", "payer_id": "SIMPAYER1"}, {"denied", "partial"}),
        ({"aging_bucket": "31-60"}, set()),
        ({"appeal_deadline_before": "2999-01-01T00:00:00Z"}, {"denied", "partial"}),
        ({"status": "CODING_REVIEW"}, {"review"}),
    ],
)
async def test_list_filters(
    api: Harness, claims: dict[str, str], params: dict[str, Any], expected: set[str]
) -> None:
    response = await api.http.get("/claims", params=params)
    assert response.status_code == 200, response.text
    names = {k for k, v in claims.items() if v in {r["claim_id"] for r in response.json()}}
    assert names == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "BOGUS"}, "status.0"),
        ({"carc": "1;drop"}, "carc"),
        ({"aging_bucket": "7-8"}, "aging_bucket"),
        ({"outstanding_above": "-1"}, "outstanding_above"),
        ({"appeal_deadline_before": "soon"}, "appeal_deadline_before"),
        ({"limit": "0"}, "limit"),
        ({"sort": "random"}, "sort"),
    ],
)
async def test_list_refuses_bad_filters(api: Harness, params: dict[str, str], field: str) -> None:
    response = await api.http.get("/claims", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    "path",
    ["/claims", "/queues/rejected", "/write-off-requests", "/alerts", "/payer-messages/unmatched"],
)
async def test_every_page_refuses_an_offset_past_its_bound(api: Harness, path: str) -> None:
    """A 64-bit overflow in the database was a 500 (the API fuzzer found one on a queue)."""
    response = await api.http.get(path, params={"offset": str(2**64)})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "offset"
    assert (await api.http.get(path, params={"offset": "1000000000"})).status_code == 200


async def test_events_of_an_unknown_claim_are_404(api: Harness, claims: dict[str, str]) -> None:
    assert (await api.http.get(f"/claims/{UNKNOWN}/events")).status_code == 404
    assert (await api.http.get(f"/claims/{UNKNOWN}")).status_code == 404
    known = await api.http.get(f"/claims/{claims['paid']}/events")
    assert known.status_code == 200 and known.json()[-1]["data"]["status"] == "PAID"


async def test_queues_and_analytics(api: Harness, claims: dict[str, str]) -> None:
    sizes = {q["queue"]: q for q in (await api.http.get("/queues")).json()}
    assert sizes["denials"]["count"] == 2 and sizes["coding_review"]["count"] == 1
    assert set(sizes) == {"coding_review", "scrub_failed", "rejected", "eligibility_hold",
                          "denials", "follow_up", "write_offs", "unmatched"}  # fmt: skip
    page = (await api.http.get("/queues/denials")).json()
    assert page["total"] == 2
    deadlines = [r["appeal_deadline"] for r in page["items"]]
    assert deadlines == sorted(deadlines)
    narrowed = (await api.http.get("/queues/denials", params={"carc": "97"})).json()
    assert [r["claim_id"] for r in narrowed["items"]] == [claims["partial"]]
    assert (await api.http.get("/queues/unmatched")).status_code == 404
    assert (await api.http.get("/queues/everything")).status_code == 422

    aging = (await api.http.get("/analytics/aging")).json()
    assert Decimal(aging["totals"]["buckets"]["0-30"]["amount"]) == Decimal("1475.00")
    assert aging["totals"]["buckets"]["0-30"]["claims"] == 2
    denials = (await api.http.get("/analytics/denials", params={"payer_id": "SIMPAYER1"})).json()
    assert denials["totals"]["decided"] == 3 and denials["totals"]["denied"] == 2
    reasons = {r["reason"]: r for r in denials["reasons"]}
    assert Decimal(reasons["CO-197"]["at_risk_amount"]) == Decimal("1450.00")
    assert "authorization" in reasons["CO-197"]["description"]
    overview = (await api.http.get("/analytics/overview")).json()
    assert overview["by_status"]["DENIED"] == 1 and overview["first_pass_rate"] == 1 / 3
    assert (await api.http.get("/analytics/denials", params={"since": "May"})).status_code == 422


async def _eventually(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_alerts_list_acknowledge_and_write_off_requests(
    api: Harness, claims: dict[str, str]
) -> None:
    producer = make_producer(api.settings)
    claim_id = claims["denied"]
    seq_now = (await api.view(claim_id))["seq"]
    dana = Actor(name="dana", kind="user", roles=("biller",), channel="console")
    pending = {"amount": Decimal("1450.00"), "actor": dana, "claim_seq": seq_now}
    for seq, kind, extra in (
        (901, AlertKind.APPEAL_DEADLINE, {"days_left": 7}),
        (902, AlertKind.WRITE_OFF_APPROVAL_REQUESTED, pending),
    ):
        alert = make_alert(
            time=dt.datetime.now(dt.UTC),
            data=ClaimAlertData(claim_id=claim_id, alert_seq=seq, kind=kind, status=S.DENIED,
                                payer_id="SIMPAYER1", message=f"test {kind}", **extra),
        )  # fmt: skip
        await asyncio.to_thread(producer.publish_alert, alert)
    producer.close()

    ours = {"appeal_deadline", "write_off_approval_requested"}

    async def listed() -> list[dict[str, Any]]:
        # The claim's own alerts from the payer simulator may be there too; these are ours.
        items: list[dict[str, Any]] = (await api.http.get("/alerts")).json()
        return [a for a in items if a["claim_id"] == claim_id and a["kind"] in ours]

    async def both() -> list[dict[str, Any]]:
        found = await listed()
        return found if len(found) == 2 else []

    alerts = await _eventually(both)
    assert {a["kind"] for a in alerts} == ours
    deadline_alert = next(a for a in alerts if a["kind"] == "appeal_deadline")
    requests = await api.http.get("/write-off-requests")
    assert requests.headers["x-total-count"] == "1"
    assert requests.json()[0]["requested_by"] == "dana"

    ack = await api.http.post(
        f"/alerts/{deadline_alert['alert_id']}/acknowledge", json={"note": "appealing today"}
    )
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    assert ack.json()["acknowledged_by"] == "harness"
    audited = await api.http.get(f"/claims/{claim_id}/audit")
    assert any(
        e["route"] == "/alerts/{alert_id}/acknowledge" and e["actor"] == "harness"
        for e in audited.json()
    ), audited.text
    ops = api.client_for(Role.OPS)
    assert (await ops.post(f"/alerts/{deadline_alert['alert_id']}/acknowledge")).status_code == 200
    intake = api.client_for(Role.INTAKE)
    refused = await intake.post(f"/alerts/{deadline_alert['alert_id']}/acknowledge")
    assert refused.status_code == 403, refused.text
    again = await api.http.post(f"/alerts/{deadline_alert['alert_id']}/acknowledge")
    assert again.json()["acknowledged_at"] == ack.json()["acknowledged_at"]
    assert [a["kind"] for a in await listed()] == ["write_off_approval_requested"]
    everything = await api.http.get("/alerts", params={"include_acknowledged": "true"})
    assert int(everything.headers["x-total-count"]) >= 2
    assert (await api.http.post(f"/alerts/{claim_id}:alert:77/acknowledge")).status_code == 404
    assert (await api.http.get("/alerts", params={"kind": "bogus"})).status_code == 422
    bad_note = await api.http.post(
        f"/alerts/{deadline_alert['alert_id']}/acknowledge", json={"note": "x" * 501}
    )
    assert bad_note.status_code == 422


async def test_unmatched_messages_are_objects_and_can_be_matched_or_dismissed(
    api: Harness, claims: dict[str, str]
) -> None:
    # Two payments for a claim nobody has: they land in the queue.
    for trace in ("LOST-1", "LOST-2"):
        response = await api.http.post(
            "/x12/inbound", content=era(UNKNOWN, trace, paid="95.00", charge="95.00").encode()
        )
        assert response.status_code == 202, response.text

    async def queued() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await api.http.get("/payer-messages/unmatched")).json()
        return items if len(items) >= 2 else []

    first, second = (await _eventually(queued))[:2]
    assert isinstance(first["message"], dict) and first["message"]["claim_id"] == UNKNOWN
    assert first["state"] == "open" and first["kind"] == "Remittance"

    target = await api.submit(claim_payload(procedures=(("97810", "95.00"),)))
    await api.wait_status(target, S.DENIED)
    refused = await api.http.post(
        f"/payer-messages/{first['message_id']}/match", json={"claim_id": UNKNOWN}
    )
    assert refused.status_code == 409  # no such claim to deliver to
    matched = await api.http.post(
        f"/payer-messages/{first['message_id']}/match",
        json={"claim_id": target, "note": "CLP01 mistyped by the payer"},
    )
    assert matched.status_code == 200, matched.text
    assert matched.json()["state"] == "matched" and matched.json()["resolved_claim_id"] == target
    assert matched.json()["resolved_by"] == "harness"
    audited = (await api.http.get(f"/claims/{target}/audit")).json()
    assert [e["outcome"] for e in audited if e["route"].endswith("/match")] == ["done"]
    await api.wait_status(target, S.PAID)  # delivered as the claim's own remittance
    twice = await api.http.post(
        f"/payer-messages/{first['message_id']}/match", json={"claim_id": target}
    )
    assert twice.status_code == 409

    ops = api.client_for(Role.OPS)
    forbidden = await ops.post(
        f"/payer-messages/{second['message_id']}/dismiss", json={"reason": "not mine to do"}
    )
    assert forbidden.status_code == 403 and "biller" in forbidden.json()["detail"][0]["msg"]
    assert (
        await api.http.post(f"/payer-messages/{second['message_id']}/dismiss", json={"reason": " "})
    ).status_code == 422
    dismissed = await api.http.post(
        f"/payer-messages/{second['message_id']}/dismiss", json={"reason": "duplicate of LOST-1"}
    )
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    assert (
        await api.http.post("/payer-messages/nope/dismiss", json={"reason": "x"})
    ).status_code == 404
    bad = await api.http.post(
        f"/payer-messages/{second['message_id']}/match", json={"claim_id": "not-a-ulid"}
    )
    assert bad.status_code == 422
    left = (await api.http.get("/payer-messages/unmatched")).json()
    assert first["message_id"] not in {m["message_id"] for m in left}
    closed = await api.http.get("/payer-messages/unmatched", params={"state": "all"})
    assert {first["message_id"], second["message_id"]} <= {m["message_id"] for m in closed.json()}


async def test_attachments_are_stored_encrypted_and_checked_on_appeal(
    api: Harness, claims: dict[str, str]
) -> None:
    claim_id = claims["partial"]
    secret = b"Medical record of Alex Rivera, DOB 1980-04-12"
    upload = await api.http.post(
        f"/claims/{claim_id}/attachments",
        files={"file": ("rivera-records.txt", secret, "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    info = upload.json()
    assert info["name"] == "rivera-records.txt" and info["size"] == len(secret)
    path = Path(api.settings.state_dir, "attachments", f"{info['attachment_id']}.bin")
    stored = path.read_bytes()
    assert b"Rivera" not in stored and secret not in stored  # encrypted at rest
    assert path.stat().st_mode & 0o777 == 0o600
    # Sealed with the data key ring (key id first), as payer files are.
    ring = KeyRing.for_settings(api.settings)
    assert stored[1 : 1 + stored[0]].decode() == ring.active
    coder = api.client_for(Role.CODER)
    refused_upload = await coder.post(
        f"/claims/{claim_id}/attachments", files={"file": ("a.txt", b"x", "text/plain")}
    )
    assert refused_upload.status_code == 403
    download = await api.http.get(f"/attachments/{info['attachment_id']}")
    assert download.content == secret
    listed = (await api.http.get(f"/claims/{claim_id}/attachments")).json()
    assert [a["attachment_id"] for a in listed] == [info["attachment_id"]]

    empty = await api.http.post(
        f"/claims/{claim_id}/attachments", files={"file": ("empty.pdf", b"", "application/pdf")}
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["rule"] == "empty"
    nobody = await api.http.post(
        f"/claims/{UNKNOWN}/attachments", files={"file": ("a.txt", b"x", "text/plain")}
    )
    assert nobody.status_code == 404
    assert (await api.http.get(f"/attachments/att_{UNKNOWN}")).status_code == 404
    assert (await api.http.get(f"/claims/{UNKNOWN}/attachments")).status_code == 404

    # Another claim's attachment, or a made-up id, is refused before anything is sent.
    for attachment in (f"att_{UNKNOWN}", "auth.pdf"):
        refused = await api.http.post(
            f"/claims/{claims['denied']}/appeal",
            json={"reason": "see records", "attachments": [info["attachment_id"], attachment]},
        )
        assert refused.status_code == 422
        assert [d["field"] for d in refused.json()["detail"]] == ["attachments.0", "attachments.1"]

    appealed = await api.http.post(
        f"/claims/{claim_id}/appeal",
        params={"wait": "true"},
        json={"reason": "36415 is separately payable", "attachments": [info["attachment_id"]]},
    )
    assert appealed.status_code == 200, appealed.text
    body = appealed.json()
    assert body["settled"] is True and body["status"] in RESTING
    assert body["result"]["level"] == 1
    # The payer knows the claim by the patient control number it was sent with.
    ref = x12_store.patient_control_number_of(api.engine, claim_id) or claim_id
    received = (await api.http.get(f"{api.settings.payer_url}/v1/appeals/{ref}")).json()
    assert received[0]["attachments"][0]["size"] == len(secret)
    await api.wait_status(claim_id, S.PAID)


async def test_code_editor_recodes_and_wait_answers_the_resting_status(
    api: Harness, claims: dict[str, str]
) -> None:
    claim_id = claims["review"]
    sheet = (await api.http.get(f"/claims/{claim_id}/codes")).json()
    assert sheet["diagnoses"] == ["E11"] and sheet["status"] == "CODING_REVIEW"
    assert "subscriber" not in sheet  # codes only: no patient details
    lines = sheet["lines"]
    wrong_count = await api.http.post(
        f"/claims/{claim_id}/codes",
        json={"action": "recode", "diagnoses": ["E119"], "lines": lines[:1]},
    )
    assert wrong_count.status_code == 422 and wrong_count.json()["detail"][0]["field"] == "lines"
    bad_code = await api.http.post(
        f"/claims/{claim_id}/codes",
        json={"action": "recode", "diagnoses": ["e11.9!"], "lines": lines},
    )
    assert bad_code.status_code == 422 and bad_code.json()["detail"][0]["field"].startswith(
        "diagnoses"
    )
    not_allowed = await api.http.post(
        f"/claims/{claim_id}/codes",
        json={"action": "replace", "diagnoses": ["E119"], "lines": lines},
    )
    assert not_allowed.status_code == 409
    assert (
        await api.http.post(
            f"/claims/{claim_id}/codes", json={"action": "void", "diagnoses": [], "lines": lines}
        )
    ).status_code == 422
    recoded = await api.http.post(
        f"/claims/{claim_id}/codes",
        params={"wait": "true"},
        json={
            "action": "recode",
            "diagnoses": ["E119", "I10"],
            "lines": lines,
            "note": "leaf code",
        },
    )
    assert recoded.status_code == 200, recoded.text
    body = recoded.json()
    assert body["settled"] is True
    assert body["status"] in {"SUBMITTED", "ACCEPTED", "ADJUDICATED", "PAID"}
    assert (await api.http.get(f"/claims/{UNKNOWN}/codes")).status_code == 404


async def test_write_off_with_wait_and_refusal(api: Harness) -> None:
    claim_id = await api.submit(claim_payload(procedures=(("97810", "95.00"),), days_ago=12))
    await api.wait_status(claim_id, S.DENIED)
    done = await api.http.post(
        f"/claims/{claim_id}/write-off", params={"wait": "true"}, json={"reason": "not covered"}
    )
    assert done.status_code == 200 and done.json()["status"] == "WRITTEN_OFF"
    again = await api.http.post(f"/claims/{claim_id}/write-off", json={"reason": "again"})
    assert again.status_code == 409


async def test_stream_tells_of_transitions(api: Harness) -> None:
    seen: list[dict[str, Any]] = []
    claim_id: str | None = None

    async def listen() -> None:
        async with (
            httpx.AsyncClient(
                base_url=api.api, timeout=60, headers={"Authorization": f"Bearer {api.token}"}
            ) as http,
            http.stream("GET", "/stream") as response,
        ):
            event = None
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "claim":
                    seen.append(json.loads(line.split(":", 1)[1]))
                    if claim_id and any(
                        s["claim_id"] == claim_id and s["status"] == "PAID" for s in seen
                    ):
                        return

    task = asyncio.create_task(listen())
    await asyncio.sleep(1.0)
    claim_id = await api.submit(claim_payload(days_ago=13))  # not a duplicate of another
    await asyncio.wait_for(task, timeout=60)
    mine = [s["status"] for s in seen if s["claim_id"] == claim_id]
    assert mine[0] == "RECEIVED" and mine[-1] == "PAID"
    # Sent only once the read model had it: the page that re-reads sees the new status.
    row = (await api.http.get("/claims", params={"status": "PAID"})).json()
    assert claim_id in {r["claim_id"] for r in row}
    assert (await api.http.get("/stream", params={"claim_id": "nope"})).status_code == 422
    assert (await api.anonymous().get("/stream")).status_code == 401


async def test_docs_work_offline_and_the_access_log_has_no_query_strings(api: Harness) -> None:
    docs = (await api.http.get("/docs")).text
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    redoc = (await api.http.get("/redoc")).text
    assert "/static-offline-docs/redoc.standalone.js" in redoc and "cdn" not in redoc.lower()
    assert (await api.http.get("/static-offline-docs/swagger-ui-bundle.js")).status_code == 200
    plotly = await api.http.get("/console/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("claimflow.access").addHandler(handler)
    try:
        tag = uuid.uuid4().hex
        await api.http.get("/claims", params={"payer_id": f"XJH123456789-{tag}"})
    finally:
        logging.getLogger("claimflow.access").removeHandler(handler)
    entry = json.loads(next(line for line in lines if '"/claims"' in line))
    assert entry["method"] == "GET" and entry["status"] == 200 and entry["ms"] >= 0
    assert tag not in " ".join(lines)


async def test_console_write_off_waits_for_a_supervisor_who_approves_it_there(
    api: Harness,
) -> None:
    payload = denied_for_auth_payload()
    day = (dt.date.today() - dt.timedelta(days=14)).isoformat()  # not a duplicate of another
    for line in payload["lines"]:
        line["service_date_from"] = day
    claim_id = await api.submit(payload)
    await api.wait_status(claim_id, S.DENIED)
    biller, supervisor = api.client_for(Role.BILLER), api.client_for(Role.SUPERVISOR)
    asked = await biller.post(
        f"/console/claims/{claim_id}/write-off", data={"reason": "not worth appealing"}
    )
    assert asked.status_code == 303, asked.text
    view = await api.view(claim_id)
    assert view["status"] == "DENIED" and view["pending_write_off"]["amount"] == "1450.00"

    html = {"accept": "text/html"}
    page = (await supervisor.get(f"/console/claims/{claim_id}", headers=html)).text
    assert "approve-write-off-form" in page and "waits for a supervisor" in page
    assert (
        "approve-write-off-form"
        not in (await biller.get(f"/console/claims/{claim_id}", headers=html)).text
    )
    refused = await biller.post(f"/console/claims/{claim_id}/write-off/approve", data={})
    assert refused.status_code == 403
    approved = await supervisor.post(
        f"/console/claims/{claim_id}/write-off/approve", data={"note": "ok"}
    )
    assert approved.status_code == 303, approved.text
    await api.wait_status(claim_id, S.WRITTEN_OFF)
    # A browser without a session is sent to sign in, an API client gets the 401.
    gone = await api.anonymous().get(f"/console/claims/{claim_id}", headers=html)
    assert gone.status_code == 303
    assert gone.headers["location"].startswith("/console/login?next=%2Fconsole%2Fclaims%2F")
    assert (await api.anonymous().get(f"/console/claims/{claim_id}")).status_code == 401
