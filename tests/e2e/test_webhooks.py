"""Webhooks on the real broker, with a real HTTP receiver and the real delivery process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from cloudevents.core.bindings import http as ce_http
from kafka import KafkaProducer
from standardwebhooks import Webhook, WebhookVerificationError
from temporalio.client import Client

from claims.roles import Role
from claims.status import ClaimStatus as S
from events import topics
from examples.webhook_receiver import verify as readme_verify
from services.apps import child_env
from services.settings import REPO_ROOT, Settings
from services.webhooks import signing
from tests.events.events_testkit import raw_event
from tests.services.webhooks_testkit import (
    Delivery,
    delivering,
    distinct_claim,
    fast_retries,
    receiver,
    subscribe,
)
from tests.support import Harness, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]

CLEAN = ["received", "coded", "scrubbed", "submitted", "accepted", "adjudicated", "paid"]


def ids(deliveries: list[Delivery], claim_id: str | None = None) -> list[str]:
    return [d.event_id for d in deliveries if claim_id is None or d.event_id.startswith(claim_id)]


def assert_signed(secret: str, d: Delivery) -> None:
    """Three verifiers agree: ours, the Standard Webhooks library, the README's example."""
    signing.verify(secret, d.headers, d.body)
    Webhook(secret).verify(d.body, d.headers)
    assert readme_verify(secret, d.headers, d.body)


async def test_a_lifecycle_arrives_in_order_signed_in_both_modes(
    settings: Settings, client: Client
) -> None:
    async with receiver() as rec, harness(settings, client) as h, delivering(settings):
        structured = await subscribe(h.admin, rec.url)
        binary = await subscribe(h.admin, rec.url + "/binary", content_mode="binary")
        claim_id = await h.submit(distinct_claim())
        await h.wait_status(claim_id, S.PAID)
        got = await rec.wait_for(2 * len(CLEAN))

    expected = [f"{claim_id}:{n}" for n in range(1, len(CLEAN) + 1)]
    by_mode = {
        "structured": [d for d in got if d.path == "/hooks"],
        "binary": [d for d in got if d.path == "/hooks/binary"],
    }
    assert ids(by_mode["structured"]) == expected
    assert ids(by_mode["binary"]) == expected
    for d in by_mode["structured"]:
        assert_signed(structured["secret"], d)
        assert d.headers["content-type"].startswith("application/cloudevents+json")
        event = ce_http.from_structured_event(ce_http.HTTPMessage(d.headers, d.body))
        assert event.get_id() == d.event_id
    for d, status in zip(by_mode["binary"], CLEAN, strict=True):
        assert_signed(binary["secret"], d)
        event = ce_http.from_binary_event(ce_http.HTTPMessage(d.headers, d.body))
        assert event.get_type() == f"claimflow.claim.{status}.v1"
        assert event.get_subject() == claim_id
        assert json.loads(d.body)["status"] == status.upper()

    # A tampered body (or a replayed old timestamp) fails verification, for every verifier.
    d = by_mode["structured"][-1]
    forged = d.body.replace(b'"paid_amount":"82.00"', b'"paid_amount":"8200.00"')
    assert forged != d.body
    with pytest.raises(signing.VerificationFailed):
        signing.verify(structured["secret"], d.headers, forged)
    with pytest.raises(WebhookVerificationError):
        Webhook(structured["secret"]).verify(forged, d.headers)
    assert not readme_verify(structured["secret"], d.headers, forged)
    with pytest.raises(signing.VerificationFailed, match="replay"):
        signing.verify(structured["secret"], d.headers, d.body, now=time.time() + 3600)
    with pytest.raises(signing.VerificationFailed):
        signing.verify(signing.new_secret(), d.headers, d.body)


async def test_a_receiver_failing_three_times_gets_everything_in_order(
    settings: Settings, client: Client
) -> None:
    settings = fast_retries(settings)
    async with receiver() as rec, harness(settings, client) as h, delivering(settings):
        rec.answer = lambda _d, n: 503 if n < 3 else 200
        await subscribe(h.admin, rec.url)
        claim_id = await h.submit(distinct_claim())
        await h.wait_status(claim_id, S.PAID)
        await rec.wait_for(len(CLEAN))
        await asyncio.sleep(0.5)  # nothing more arrives
        subs = (await h.admin.get("/webhooks")).json()

    # The first event was tried four times; nothing overtook it.
    assert [(d.event_id, d.status) for d in rec.requests[:4]] == [(f"{claim_id}:1", 503)] * 3 + [
        (f"{claim_id}:1", 200)
    ]
    assert ids(rec.delivered) == [f"{claim_id}:{n}" for n in range(1, len(CLEAN) + 1)]
    assert [s["dead_letters"] for s in subs] == [0]


def cli(h: Harness, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an administrator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        env={**child_env(h.settings), "CLAIMFLOW_TOKEN": h.token_for(Role.ADMIN, name="admin")},
        cwd=REPO_ROOT,
        timeout=60,
    )


async def test_a_dead_receiver_leaves_dead_letters_in_order_and_others_flow(
    settings: Settings, client: Client
) -> None:
    """Claim A's receiver never answers 2xx: A is dead-lettered (its later events held
    behind the first), claim B flows past it; once fixed, a re-drive delivers A in order."""
    settings = fast_retries(settings, attempts=3)
    broken: set[str] = set()
    async with receiver() as rec, harness(settings, client) as h, delivering(settings):
        rec.answer = lambda d, _n: 500 if d.event_id.split(":")[0] in broken else 200
        sub = await subscribe(h.admin, rec.url)
        a = await h.submit(distinct_claim())
        broken.add(a)
        b = await h.submit(distinct_claim())
        await h.wait_status(a, S.PAID)
        await h.wait_status(b, S.PAID)
        await rec.wait_for(len(CLEAN))
        assert ids(rec.delivered) == [f"{b}:{n}" for n in range(1, len(CLEAN) + 1)]

        letters: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while len(letters) < len(CLEAN) and time.monotonic() < deadline:
            letters = (await h.admin.get(f"/webhooks/{sub['id']}/dead-letters")).json()
            await asyncio.sleep(0.1)
        assert [x["event_id"] for x in letters] == [f"{a}:{n}" for n in range(1, len(CLEAN) + 1)]
        first, *held = letters
        assert (first["attempts"], first["last_status"], first["held_behind"]) == (3, 500, None)
        assert first["last_error"].startswith("HTTP 500")
        assert all(x["held_behind"] == f"{a}:1" and x["attempts"] == 0 for x in held)
        view = (await h.admin.get(f"/webhooks/{sub['id']}")).json()
        assert view["dead_letters"] == len(CLEAN) and view["last_error"].startswith("HTTP 500")
        assert [d.event_id for d in rec.requests if d.status == 500] == [f"{a}:1"] * 3

        # The receiver is fixed; an operator re-drives from the command line.
        broken.clear()
        redriven = await asyncio.to_thread(cli, h, "webhooks", "redrive", sub["id"])
        assert redriven.returncode == 0, redriven.stderr
        assert f"{len(CLEAN)} dead letters queued" in redriven.stdout
        await rec.wait_for(2 * len(CLEAN))
        assert ids(rec.delivered, a) == [f"{a}:{n}" for n in range(1, len(CLEAN) + 1)]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            view = (await h.admin.get(f"/webhooks/{sub['id']}")).json()
            if view["dead_letters"] == 0:
                break
            await asyncio.sleep(0.1)
        assert view["dead_letters"] == 0
        states = {
            x["state"] for x in (await h.admin.get(f"/webhooks/{sub['id']}/dead-letters")).json()
        }
        assert states == {"delivered"}


async def test_only_the_types_and_payers_asked_for_are_delivered(
    settings: Settings, client: Client
) -> None:
    async with (
        receiver() as rec,
        harness(settings, client, worker=False, consumer=False) as h,
        delivering(settings),
    ):
        exact = await subscribe(
            h.admin, rec.url + "/exact", event_types=["claimflow.claim.paid.v1"]
        )
        pattern = await subscribe(h.admin, rec.url + "/pattern")
        other_payer = await subscribe(h.admin, rec.url + "/payer", payer_ids=["OTHERPAYER"])
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        claim = "01KCLAIMFLOWWEBHOOKTYPES00"
        for seq, type_ in enumerate(
            [
                "claimflow.claim.paid.v1",
                "claimflow.claim.on_hold.v1",  # a type added after this code was written
                "claimflow.claim.paid.v2",  # a breaking successor, on the wrong topic here
            ],
            start=1,
        ):
            producer.send(
                settings.topic(topics.LIFECYCLE),
                key=claim.encode(),
                value=raw_event(claim, seq, "X", type_=type_),
            ).get(timeout=10)
        producer.close()
        await rec.wait_for(3)
        await asyncio.sleep(1.0)  # give a wrong delivery time to show up

    by_path: dict[str, list[tuple[str, str]]] = {}
    for d in rec.delivered:
        by_path.setdefault(d.path, []).append((json.loads(d.body)["type"], d.event_id))
    assert by_path == {
        "/hooks/exact": [("claimflow.claim.paid.v1", f"{claim}:1")],
        "/hooks/pattern": [
            ("claimflow.claim.paid.v1", f"{claim}:1"),
            ("claimflow.claim.on_hold.v1", f"{claim}:2"),
        ],
    }
    assert {exact["id"], pattern["id"], other_payer["id"]}  # three subscriptions, two fed
