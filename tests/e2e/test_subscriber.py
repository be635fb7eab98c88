"""The reference subscriber (examples/subscriber.py) against the real broker, beside the
real engine: its view of every claim must end equal to the read model."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaProducer
from temporalio.client import Client

from claims.status import ClaimStatus as S
from events import topics
from services import readmodel
from services.consumer import prepare_topics
from services.settings import REPO_ROOT, Settings
from tests.events.events_testkit import raw_event
from tests.services.webhooks_testkit import distinct_claim
from tests.support import Harness, claim_payload, denied_for_auth_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]

SUBSCRIBER = REPO_ROOT / "examples" / "subscriber.py"


def start(settings: Settings, db: Path, group: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SUBSCRIBER), "--bootstrap", settings.kafka_bootstrap,
         "--group", group, "--db", str(db), "--prefix", settings.topic_prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO_ROOT,
    )  # fmt: skip


def stop(sub: subprocess.Popen[str]) -> str:
    sub.terminate()
    out, _ = sub.communicate(timeout=30)
    return out


def view(db: Path) -> dict[str, tuple[int, str, dict[str, object]]]:
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute("SELECT claim_id, seq, status, event FROM claims").fetchall()
        except sqlite3.OperationalError:  # the table is not there yet
            return {}
    return {c: (seq, status, json.loads(event)["data"]) for c, seq, status, event in rows}


def read_model(h: Harness, claim_ids: list[str]) -> dict[str, tuple[int, str, str | None]]:
    out = {}
    for claim_id in claim_ids:
        row = readmodel.get_claim(h.engine, claim_id)
        if row is not None:
            paid = None if row.paid_amount is None else f"{row.paid_amount:.2f}"
            out[claim_id] = (row.last_seq, row.status, paid)
    return out


async def wait_equal(h: Harness, db: Path, claim_ids: list[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        mine = {c: (seq, st, data.get("paid_amount")) for c, (seq, st, data) in view(db).items()}
        theirs = read_model(h, claim_ids)
        if mine == theirs and set(theirs) == set(claim_ids):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"subscriber {mine} != read model {theirs}")
        await asyncio.sleep(0.3)


async def test_the_subscriber_bootstraps_mid_run_and_keeps_up(
    settings: Settings, client: Client, tmp_path: Path
) -> None:
    db, group = tmp_path / "view.db", settings.topic("reference-subscriber")
    async with harness(settings, client) as h:
        early = [await h.submit(distinct_claim()), await h.submit(denied_for_auth_payload())]
        await h.wait_status(early[0], S.PAID)  # some history exists before it starts
        sub = start(settings, db, group)
        try:
            late = [
                await h.submit(distinct_claim()),
                await h.submit(claim_payload(diagnoses=("E11",))),
            ]
            claims = early + late
            await h.wait_status(early[1], S.DENIED)
            await h.wait_status(late[0], S.PAID)
            await h.wait_status(late[1], S.CODING_REVIEW)
            await wait_equal(h, db, claims)
        finally:
            first_run = stop(sub)
        assert "bootstrapped" in first_run

        # Restarted, it resumes from its committed offsets instead of bootstrapping again.
        sub = start(settings, db, group)
        try:
            appeal = await h.http.post(
                f"/claims/{early[1]}/appeal", json={"reason": "authorization obtained"}
            )
            assert appeal.status_code == 200, appeal.text
            await h.wait_status(early[1], S.PAID)
            await wait_equal(h, db, claims)
        finally:
            second_run = stop(sub)
        assert "bootstrapped" not in second_run
        assert view(db)[early[1]][1] == "PAID"


async def test_a_gap_after_bootstrap_is_filled_by_re_reading(
    settings: Settings, tmp_path: Path
) -> None:
    """The state topic holds seq 2 (its seq 3 record not written yet when read); the
    lifecycle's seq 3 is older than the subscriber's look-back, so the first event it sees
    is seq 4: a gap, which it fills by re-reading the partition. Duplicates change nothing."""
    prepare_topics(settings)
    claim, old = "01KGAPCLAIM000000000000000", int(time.time() * 1000) - 3_600_000
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    life, state = settings.topic(topics.LIFECYCLE), settings.topic(topics.STATE)
    for seq, status in [(1, "RECEIVED"), (2, "CODED"), (3, "SCRUBBED")]:
        producer.send(
            life, key=claim.encode(), value=raw_event(claim, seq, status), timestamp_ms=old
        )
    producer.send(state, key=claim.encode(), value=raw_event(claim, 2, "CODED")).get(timeout=10)
    producer.flush()
    db = tmp_path / "view.db"
    sub = start(settings, db, settings.topic("gap-subscriber"))
    try:
        deadline = time.monotonic() + 60
        while view(db).get(claim, (0,))[0] != 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        for _ in range(2):  # seq 4, twice (at-least-once)
            producer.send(life, key=claim.encode(), value=raw_event(claim, 4, "SUBMITTED"))
        producer.flush()
        while view(db).get(claim, (0,))[0] != 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        out = stop(sub)
        producer.close()
    assert view(db)[claim][:2] == (4, "SUBMITTED"), out
    assert f"gap: {claim} seq 3..3 missing" in out
