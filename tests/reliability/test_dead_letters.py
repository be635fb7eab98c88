"""Poison records on the consumed topic go to the DLQ whole, the projector carries on, and
``claimflow dlq replay`` re-drives them once the cause is fixed.

``claims.lifecycle.v1`` is the one topic claimflow consumes (the projector); every kind of
record it cannot handle is sent to it between a real claim's events: bytes that are not
JSON, not UTF-8, JSON that is not an event, a record with no value, an event under another
claim's key, and a valid event that the read model refuses (a constraint, here a trigger:
the "bug" that is then fixed).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from kafka import KafkaProducer
from sqlalchemy import text
from ulid import ULID

from claims.status import ClaimStatus as S
from events import topics
from events.contract import ClaimEventData, make_event
from events.dead_letters import DeadLetter, read_letters
from services import apps, readmodel
from services.settings import REPO_ROOT
from tests.support import Harness, claim_payload

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]


def _event_bytes(claim_id: str) -> bytes:
    data = ClaimEventData(
        claim_id=claim_id, seq=1, status=S.RECEIVED, payer_id="P1", total_charge=Decimal("10.00")
    )
    return make_event(time=dt.datetime.now(dt.UTC), data=data).to_json_bytes()


def _cli(h: Harness, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "services", *args],
        env=apps.child_env(h.settings),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _letters(h: Harness, count: int) -> list[DeadLetter]:
    dlq = h.settings.topic(topics.DLQ)
    for _ in range(150):
        letters = read_letters(h.settings.kafka_bootstrap, dlq)
        if len(letters) >= count:
            return letters
        await asyncio.sleep(0.2)
    raise AssertionError(f"expected {count} dead letters, got {letters}")


async def test_poison_records_are_dead_lettered_and_replayed_after_the_fix(
    claimflow: Harness,
) -> None:
    h = claimflow
    refused_claim = str(ULID())
    with h.engine.begin() as conn:  # the read model "bug": it refuses this one claim
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON claim_events "
                f"WHEN NEW.claim_id = '{refused_claim}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by a wrong constraint'); END"
            )
        )
    other = str(ULID())
    poison: dict[str, tuple[bytes, bytes | None]] = {
        "not JSON": (b"k1", b"\x00\x01 not json at all"),
        "not UTF-8": (b"k2", b"\xff\xfe\xfa"),
        "not an event": (b"k3", json.dumps({"hello": "world"}).encode()),
        "no value": (b"k4", None),
        "wrong key": (other.encode(), _event_bytes(str(ULID()))),
        "refused by the store": (refused_claim.encode(), _event_bytes(refused_claim)),
    }
    producer = KafkaProducer(bootstrap_servers=h.settings.kafka_bootstrap, acks="all")
    lifecycle = h.settings.topic(topics.LIFECYCLE)
    claim_id = await h.submit(claim_payload())
    for key, value in poison.values():
        producer.send(lifecycle, key=key, value=value).get(timeout=10)
    producer.close()

    # The projector carried on past every one of them.
    await h.wait_status(claim_id, S.PAID)
    await h.wait_read_model(claim_id, S.PAID, seq=7)
    letters = await _letters(h, len(poison))
    assert len(letters) == len(poison)
    by_key = {letter.key: letter for letter in letters}
    for what, (key, value) in poison.items():
        letter = by_key[key.decode()]
        assert letter.topic == lifecycle, what
        assert letter.raw_value() == value, what  # kept whole, byte for byte
    assert "the read model refused it: IntegrityError" in by_key[refused_claim].reason
    assert "no value" in by_key["k4"].reason
    assert "key is not the event's claim id" in by_key[other].reason
    assert readmodel.get_claim(h.engine, refused_claim) is None

    listing = _cli(h, "dlq", "list")
    assert f"{len(poison)} dead letter(s)" in listing

    # The fix, then the replay of what it fixed: the event is projected; junk is not re-sent.
    with h.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    summary = json.loads(
        _cli(h, "dlq", "replay", "--reason-contains", "read model").splitlines()[-1]
    )
    assert summary == {"replayed": 1, "skipped": len(poison) - 1, "dry_run": False}
    for _ in range(150):
        if readmodel.get_claim(h.engine, refused_claim) is not None:
            break
        await asyncio.sleep(0.2)
    assert readmodel.get_claim(h.engine, refused_claim) is not None
    # Each letter is looked at once: a second replay re-drives nothing.
    again = json.loads(_cli(h, "dlq", "replay").splitlines()[-1])
    assert again["replayed"] == 0
    assert len(read_letters(h.settings.kafka_bootstrap, h.settings.topic(topics.DLQ))) == len(
        poison
    )
    assert base64.b64decode(by_key["k1"].value_base64 or "") == poison["not JSON"][1]
