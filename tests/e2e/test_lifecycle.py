"""A claim's whole life through the public API, on the real Temporal server and Kafka broker.

Each test asserts three views of the same truth: the workflow (via the API), the events on
the Kafka topic, and the read model the consumer projected from them.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from temporalio.client import Client
from ulid import ULID

from claims.status import ClaimStatus as S
from services import apps, readmodel, x12_store
from services.settings import Settings
from services.stack import process
from tests.support import Harness, claim_payload, denied_for_auth_payload, harness, message
from workflows.messages import workflow_id

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]

CLEAN_PATH = [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED, S.PAID]
APPEAL_PATH = [
    S.RECEIVED,
    S.CODED,
    S.SCRUBBED,
    S.SUBMITTED,
    S.ACCEPTED,
    S.ADJUDICATED,
    S.DENIED,
    S.APPEALED,
    S.ADJUDICATED,
    S.PAID,
]


def assert_stream(h: Harness, claim_id: str, path: list[S], *, dedupe: bool = False) -> None:
    """The topic holds exactly the claim's events: seq 1..n, in order, no gaps, no extras.

    With ``dedupe`` redelivered copies (at-least-once, after a crash) are dropped first.
    """
    events = h.events(claim_id)
    if dedupe:
        events = list({e.seq: e for e in reversed(events)}.values())[::-1]
    assert [e.seq for e in events] == list(range(1, len(path) + 1))
    assert [e.data.status for e in events] == path
    assert [e.type for e in events] == [f"claimflow.claim.{s.lower()}.v1" for s in path]
    assert all(e.subject == claim_id and e.id == f"{claim_id}:{e.seq}" for e in events)
    assert [e.data.previous_status for e in events] == [None, *path[:-1]]


async def test_clean_claim_reaches_paid(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(claim_payload())
    view = await claimflow.wait_status(claim_id, S.PAID)

    assert [entry["status"] for entry in view["history"]] == CLEAN_PATH
    # 99213 at 92.00 + 85025 at 10.50 allowed, 20% coinsurance to the patient.
    assert view["paid_amount"] == "82.00"
    assert view["patient_responsibility"] == "20.50"
    assert view["outstanding_amount"] == "0.00"
    assert_stream(claimflow, claim_id, CLEAN_PATH)
    paid_event = claimflow.events(claim_id)[-1]
    assert {(a.group, a.carc) for a in paid_event.data.adjustments} == {("CO", "45"), ("PR", "2")}

    row = await claimflow.wait_read_model(claim_id, S.PAID, seq=len(CLEAN_PATH))
    assert row.paid_amount is not None and str(row.paid_amount) == "82.00"
    listed = (await claimflow.http.get("/claims", params={"status": "PAID"})).json()
    assert [c["claim_id"] for c in listed] == [claim_id]


async def test_denied_claim_appealed_reaches_paid(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(denied_for_auth_payload())
    denied = await claimflow.wait_status(claim_id, S.DENIED)
    assert denied["denial_reasons"] == ["CO-197"]
    assert denied["appeal_deadline"] is not None

    letter = b"%PDF-1.4 retro authorization AUTH-9913"
    upload = await claimflow.http.post(
        f"/claims/{claim_id}/attachments",
        files={"file": ("auth.pdf", letter, "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["attachment_id"]
    response = await claimflow.http.post(
        f"/claims/{claim_id}/appeal",
        json={"reason": "authorization obtained retroactively", "attachments": [attachment_id]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["level"] == 1
    # The payer got the letter's bytes with the appeal packet.
    # The payer knows the claim by the patient control number it was sent with.
    ref = x12_store.patient_control_number_of(claimflow.engine, claim_id) or claim_id
    received = (await claimflow.http.get(f"{claimflow.settings.payer_url}/v1/appeals/{ref}")).json()
    [sent] = received[0]["attachments"]
    assert (sent["name"], sent["size"]) == ("auth.pdf", len(letter))
    assert sent["sha256"] == hashlib.sha256(letter).hexdigest()

    view = await claimflow.wait_status(claim_id, S.PAID)
    assert [entry["status"] for entry in view["history"]] == APPEAL_PATH
    assert view["appeal_level"] == 1
    assert_stream(claimflow, claim_id, APPEAL_PATH)
    assert claimflow.events(claim_id)[7].data.reason == "authorization obtained retroactively"
    await claimflow.wait_read_model(claim_id, S.PAID, seq=len(APPEAL_PATH))


async def test_appeal_refused_unless_denied(claimflow: Harness) -> None:
    # A claim that waits in CODING_REVIEW is running, so the refusal comes from the validator.
    claim_id = await claimflow.submit(claim_payload(diagnoses=("E11",)))
    before = await claimflow.wait_status(claim_id, S.CODING_REVIEW)
    events_before = claimflow.events(claim_id)

    response = await claimflow.http.post(f"/claims/{claim_id}/appeal", json={"reason": "x"})
    assert response.status_code == 409
    assert "only a DENIED or PARTIALLY_PAID claim can be appealed" in message(response)

    after = await claimflow.view(claim_id)
    assert after["status"] == S.CODING_REVIEW
    assert after["seq"] == before["seq"]
    assert claimflow.events(claim_id) == events_before

    # A finished (PAID) claim is refused too, with the transition table's reason.
    paid_id = await claimflow.submit(claim_payload())
    await claimflow.wait_status(paid_id, S.PAID)
    response = await claimflow.http.post(f"/claims/{paid_id}/appeal", json={"reason": "x"})
    assert response.status_code == 409
    assert "only a DENIED or PARTIALLY_PAID claim can be appealed" in message(response)
    assert len(claimflow.events(paid_id)) == len(CLEAN_PATH)


async def test_bad_appeal_body_is_422(claimflow: Harness) -> None:
    claim_id = str(ULID())
    response = await claimflow.http.post(f"/claims/{claim_id}/appeal", json={"reason": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "reason"


async def test_same_claim_twice_starts_one_workflow(claimflow: Harness, client: Client) -> None:
    payload = claim_payload(claim_id=str(ULID()))
    first = await claimflow.submit(payload)
    second = await claimflow.submit(payload)
    assert first == second == payload["claim_id"]
    await claimflow.wait_status(first, S.PAID)
    # Also after it finished: the id is never reused for a second run.
    assert await claimflow.submit(payload) == first

    runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{workflow_id(first)}'")]
    assert len(runs) == 1
    assert_stream(claimflow, first, CLEAN_PATH)


@pytest.mark.parametrize(
    ("mutate", "field", "rule"),
    [
        (lambda c: c["billing_provider"].update(npi="12345"), "billing_provider.npi", "pattern"),
        (lambda c: c.pop("total_charge"), "total_charge", "missing"),
        (lambda c: c["lines"][0].update(charge="-1.00"), "lines.0.charge", "greater_than_equal"),
        (lambda c: c.update(lines=[]), "lines", "too_short"),
        (lambda c: c["lines"][0].update(diagnosis_pointers=[5]), "lines", "value_error"),
        (lambda c: c.update(surprise="field"), "surprise", "extra_forbidden"),
        (lambda c: c.update(frequency_code="9"), "frequency_code", "literal_error"),
    ],
)
async def test_bad_claim_is_422_naming_the_field(
    claimflow: Harness, client: Client, mutate, field, rule
) -> None:  # type: ignore[no-untyped-def]
    payload = claim_payload(claim_id=str(ULID()))
    mutate(payload)
    response = await claimflow.http.post("/claims", json=payload)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["field"] == field and rule in e["rule"] for e in errors), errors
    # Nothing started.
    runs = [
        wf
        async for wf in client.list_workflows(f"WorkflowId = '{workflow_id(payload['claim_id'])}'")
    ]
    assert runs == []


async def test_unparseable_body_is_422(claimflow: Harness) -> None:
    response = await claimflow.http.post(
        "/claims", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["rule"] == "json_invalid"


async def test_worker_killed_mid_lifecycle(settings: Settings, client: Client) -> None:
    """SIGKILL the worker process while the claim waits on the payer; a new worker finishes it."""
    slow = settings.model_copy(update={"payer_delay_seconds": 3.0})
    async with harness(slow, client, worker=False) as h:
        apps.start(slow, "worker")
        try:  # a failure anywhere must not leave the worker process behind
            claim_id = await h.submit(claim_payload())
            await h.wait_status(claim_id, S.SUBMITTED)
            process.kill(slow.state_dir, "worker")
            assert not process.is_running(slow.state_dir, "worker")
            # The payer's answer arrives while no worker runs; Temporal holds it.
            await asyncio.sleep(4)
            apps.start(slow, "worker")
            view = await h.wait_status(claim_id, S.PAID, timeout=90)
        finally:
            process.stop(slow.state_dir, "worker")

        # Each transition once: de-duplicated, the stream is exactly the path.
        # The payer's 277CA and 835 both arrived while no worker ran, and their postings then
        # raced: when the 835 wins, ACCEPTED never happens (the late A2 raises an alert).
        path = [S(entry["status"]) for entry in view["history"]]
        assert path in (CLEAN_PATH, [s for s in CLEAN_PATH if s is not S.ACCEPTED])
        assert_stream(h, claim_id, path, dedupe=True)
        await h.wait_read_model(claim_id, S.PAID, seq=len(path))

        rows = readmodel.claim_events(h.engine, claim_id)
        assert [(r.seq, r.status) for r in rows] == list(
            zip(range(1, len(path) + 1), [s.value for s in path], strict=True)
        )
