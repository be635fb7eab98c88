"""No patient data in plain text anywhere claimflow keeps things, after a whole run.

claimflow runs as ``make run`` runs it (separate processes: payer simulator, worker,
consumer, API, inbox) on a Temporal dev server of this test's own, so every byte of its
database file is from this run. A patient with unmistakable details goes through a paid
claim, a denial appealed and paid, and a quarantined ERA. Then:
- the raw history, read from the server without the codec, holds none of them;
- no file under the state dir (Temporal's SQLite files, the read model, X12 copies,
  quarantine, logs) holds any of them, nor does the Kafka broker's data;
- while the decrypted 837P does (so the search would have found them).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from claims.roles import Role
from services import apps
from services.auth import apikeys
from services.consumer import prepare_topics
from services.crypto.files import MAGIC, read_decrypted
from services.crypto.keyring import KeyRing
from services.db import init_db, make_engine
from services.settings import Settings
from services.stack import temporal
from tests.e2e.test_x12_exchange import era
from tests.support import (
    claim_payload,
    denied_for_auth_payload,
    free_port,
    make_token,
    unique_settings,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(420)]

PATIENT = {
    "member_id": "QVX5550001",
    "first_name": "Quillon",
    "last_name": "Vandersnoot",
    "date_of_birth": "1957-03-09",
    "sex": "M",
    "address": {
        "line1": "4711 Juniper Hollow Rd",
        "city": "Quaxtonbury",
        "state": "IL",
        "postal_code": "62704",
    },
}
ACCOUNT = "ACCT-QVX-77123"
NEEDLES = [
    "QVX5550001",
    "Quillon",
    "Vandersnoot",
    "1957-03-09",
    "19570309",  # X12 D8
    "Juniper Hollow",
    "Quaxtonbury",
    ACCOUNT,
]


def with_patient(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "subscriber": PATIENT, "account_number": ACCOUNT}


def found_in(data: bytes) -> list[str]:
    low = data.lower()
    return [n for n in NEEDLES if n.lower().encode() in low]


def found_in_file(path: Path) -> list[str]:
    """The needles in a file, read one written extent at a time.

    Kafka preallocates every partition's offset and time indexes (10 MB each, sparse): once a
    session's broker holds a thousand partitions, reading their holes as zeros made this scan
    take minutes. A hole reads as zeros and no needle holds a zero byte, so a needle lies
    wholly inside one extent and skipping the holes misses nothing.
    """
    hits: set[str] = set()
    with path.open("rb") as file:
        fd = file.fileno()
        size = os.fstat(fd).st_size
        offset = 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError as error:
                if error.errno == errno.ENXIO:  # nothing but a hole from here to the end
                    break
                return found_in(path.read_bytes())  # no SEEK_DATA on this file system
            offset = os.lseek(fd, start, os.SEEK_HOLE)
            hits.update(found_in(os.pread(fd, offset - start, start)))
    return [n for n in NEEDLES if n in hits]


def payload_bytes(node: Any) -> list[bytes]:
    """Every payload's data in a history's JSON, base64-decoded."""
    out: list[bytes] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data" and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    out.append(base64.b64decode(value, validate=True))
            else:
                out += payload_bytes(value)
    elif isinstance(node, list):
        for item in node:
            out += payload_bytes(item)
    return out


async def wait_status(api: httpx.AsyncClient, claim_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await api.get(f"/claims/{claim_id}")
        if response.status_code == 200:
            view = response.json()
            if view["status"] == status:
                return view
        await asyncio.sleep(0.5)
    raise AssertionError(f"{claim_id} never reached {status}: {view}")


async def test_no_phi_in_temporal_the_state_dir_logs_or_events(
    test_stack: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    settings = unique_settings(
        test_stack,
        state,
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        temporal_http_port=free_port(),
        temporal_metrics_port=free_port(),
        temporal_ui=False,
        key_file=None,  # a key ring of this run's own, in its state dir, as make run has
        payer_delay_seconds=0.3,
    )
    temporal.up(settings)
    try:
        await run_and_check(settings)
    finally:
        apps.stop_all(settings)
        temporal.down(settings)
    # Stopped: Temporal has checkpointed its WAL into the database file. Every file now.
    leaks = {
        str(path.relative_to(state)): hits
        for path in state.rglob("*")
        if path.is_file() and (hits := found_in_file(path))
    }
    assert leaks == {}, f"PHI in plain text under the state dir: {leaks}"
    assert (state / "temporal" / "temporal.db").stat().st_size > 0
    assert list((state / "logs").glob("*.log"))
    kafka_leaks = {
        str(path): hits
        for path in (test_stack.state_dir / "kafka").rglob("*")
        if path.is_file() and (hits := found_in_file(path))
    }
    assert kafka_leaks == {}, f"PHI in Kafka's data: {kafka_leaks}"


async def run_and_check(settings: Settings) -> None:
    prepare_topics(settings)
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    _, payer_key = apikeys.create_key(engine, "payer-sim", frozenset({Role.INTAKE}))
    token = make_token(settings, engine, "phi-check", (Role.INTAKE, Role.BILLER, Role.OPS))
    engine.dispose()
    apps.start_all(settings.model_copy(update={"payer_api_key": SecretStr(payer_key)}))

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=settings.api_url, headers=headers, timeout=60) as api:
        paid = (await api.post("/claims", json=with_patient(claim_payload()))).json()["claim_id"]
        denied = (await api.post("/claims", json=with_patient(denied_for_auth_payload()))).json()
        denied_id = denied["claim_id"]
        await wait_status(api, denied_id, "DENIED")
        appeal = await api.post(f"/claims/{denied_id}/appeal", json={"reason": "auth obtained"})
        assert appeal.status_code == 200, appeal.text
        unbalanced = era(paid, "PHI-TRACE", paid="95.00", charge="95.00").replace("*95*", "*96*", 1)
        quarantined = await api.post("/x12/inbound", content=unbalanced.encode())
        assert quarantined.status_code == 422, quarantined.text
        await wait_status(api, paid, "PAID")
        await wait_status(api, denied_id, "PAID")

    # The search works: the decrypted 837P holds the patient.
    ring = KeyRing.for_settings(settings)
    sent = sorted((settings.x12_dir / "sent").glob("837P-*.x12"))
    assert sent and set(found_in(read_decrypted(ring, sent[0]))) >= {"QVX5550001", "19570309"}
    assert all(
        p.read_bytes().startswith(MAGIC) for p in (settings.state_dir / "quarantine").glob("*.x12")
    )

    raw = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,  # no codec: what the server holds
    )
    ids = [wf.id async for wf in raw.list_workflows()]
    assert f"claim-{paid}" in ids and f"claim-{denied_id}" in ids
    assert any(i.startswith("inbound-") for i in ids)
    for workflow_id in ids:
        history = await raw.get_workflow_handle(workflow_id).fetch_history()
        text = history.to_json()
        hits = found_in(text.encode()) + [
            n for data in payload_bytes(json.loads(text)) for n in found_in(data)
        ]
        assert hits == [], f"PHI in the raw history of {workflow_id}: {hits}"
