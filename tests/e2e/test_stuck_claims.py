"""Stuck paths a new user found, through the real API, X12 gateway and payer simulator.

Each test failed before its fix: a member id with an X12 delimiter looped in SCRUBBED; a
void (or write-off) left the claim in the duplicate index, so its honest successor was
refused; GET /claims/{id} waited ~29 s for a worker that was not there; an action retried
after a lost answer was applied twice.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliverInput, Delivery, DeliveryActivities
from claims.payer_messages import Acknowledgment
from claims.remittance import Decision, Remittance
from claims.status import ClaimStatus as S
from services.inbound_store import SqlUnmatchedStore
from services.settings import Settings
from services.signals import temporal_signaller
from services.worker import running_worker
from tests.support import Harness, claim_payload, denied_for_auth_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]


def _member(payload: dict[str, Any], member_id: str) -> dict[str, Any]:
    payload["subscriber"] = dict(payload["subscriber"], member_id=member_id)
    return payload


async def test_member_id_with_a_delimiter_ends_in_scrub_failed_not_a_loop(
    claimflow: Harness,
) -> None:
    claim_id = await claimflow.submit(_member(claim_payload(), "XJH*1"))
    view = await claimflow.wait_status(claim_id, S.SCRUB_FAILED)
    findings = [f for report in view["reports"].values() for f in report["findings"]]
    assert any("member" in (f["field"] + f["message"]).lower() for f in findings), findings
    fixed = _member(claim_payload(), "XJH1")
    response = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": fixed})
    assert response.status_code == 200, response.text
    await claimflow.wait_status(claim_id, S.PAID)


@pytest.mark.parametrize("ending", ["void", "write-off"])
async def test_a_new_claim_after_a_void_or_write_off_is_not_a_duplicate(
    claimflow: Harness, ending: str
) -> None:
    payload = denied_for_auth_payload() if ending == "write-off" else claim_payload()
    first = await claimflow.submit(payload)
    await claimflow.wait_status(first, S.DENIED if ending == "write-off" else S.PAID)
    response = await claimflow.http.post(f"/claims/{first}/{ending}", json={"reason": "redo"})
    assert response.status_code == 200, response.text

    again = await claimflow.submit(dict(payload, account_number="ACCT-redo"))
    view = await claimflow.wait_seq(again, 4)  # RECEIVED CODED SCRUBBED SUBMITTED
    assert [e["status"] for e in view["history"]][:3] == [S.RECEIVED, S.CODED, S.SCRUBBED]


async def test_get_claim_answers_from_the_read_model_at_once_without_a_worker(
    settings: Settings, client: Any
) -> None:
    settings = settings.model_copy(update={"api_query_timeout_seconds": 1.0})
    async with harness(settings, client, worker=False) as h:
        async with running_worker(settings, client, threads=8):
            claim_id = await h.submit(claim_payload())
            await h.wait_status(claim_id, S.PAID)
            response = await h.http.get(f"/claims/{claim_id}")
            assert response.json()["source"] == "workflow"
            assert response.headers["x-claimflow-source"] == "workflow"
            await h.wait_read_model(claim_id, S.PAID, seq=7)
        # The worker is gone: the workflow cannot answer, the read model does, quickly.
        started = time.monotonic()
        response = await h.http.get(f"/claims/{claim_id}")
        took = time.monotonic() - started
        assert response.status_code == 200, response.text
        assert response.json()["source"] == "read_model"
        assert response.headers["x-claimflow-source"] == "read_model"
        assert response.json()["status"] == S.PAID
        assert took < 10, took  # the bound (1 s) plus a loaded machine; it was 29 s


async def test_an_action_repeated_with_its_idempotency_key_is_applied_once(
    claimflow: Harness,
) -> None:
    claim_id = await claimflow.submit(claim_payload())
    await claimflow.wait_status(claim_id, S.PAID)
    body = {"claim": claim_payload(diagnoses=("I10", "E119"))}
    key = {"Idempotency-Key": f"{claim_id}-replace-1"}
    first = await claimflow.http.post(f"/claims/{claim_id}/replace", json=body, headers=key)
    assert first.status_code == 200, first.text
    await claimflow.wait_seq(claim_id, 10)  # ... PAID SCRUBBED SUBMITTED (at the payer again)
    # The same request again (a client retrying after a lost answer): the first outcome.
    second = await claimflow.http.post(f"/claims/{claim_id}/replace", json=body, headers=key)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    view = await claimflow.wait_status(claim_id, S.PAID)
    statuses = [e["status"] for e in view["history"]]
    assert statuses.count(S.SCRUBBED) == 2, statuses  # the original and one replacement


async def test_an_acknowledgment_of_a_finished_claim_is_late_not_unmatched(
    claimflow: Harness,
) -> None:
    """The payer's 999 for a void arrives after the claim is VOIDED: nothing to work."""
    claim_id = await claimflow.submit(claim_payload())
    await claimflow.wait_status(claim_id, S.PAID)
    response = await claimflow.http.post(f"/claims/{claim_id}/void", json={"reason": "x"})
    assert response.status_code == 200, response.text
    handle = claimflow.client.get_workflow_handle(f"claim-{claim_id}")
    await handle.result()

    store = SqlUnmatchedStore(claimflow.engine)
    delivery = DeliveryActivities(temporal_signaller(claimflow.client), store)
    late = Acknowledgment(message_id=f"999-{claim_id}", claim_id=claim_id, accepted=True)
    money = Remittance(
        remittance_id=f"835-{claim_id}",
        claim_id=claim_id,
        payer_claim_control_number="PCN1",
        decision=Decision.PAID,
        total_charge=Decimal("185.00"),
        paid_amount=Decimal("185.00"),
    )
    result = await ActivityEnvironment().run(
        delivery.deliver_payer_messages, DeliverInput(file_id="f1", messages=[late, money])
    )
    assert result.outcomes == [Delivery.LATE, Delivery.UNMATCHED]
    queued = await claimflow.http.get("/payer-messages/unmatched")
    assert [m["kind"] for m in queued.json()] == ["Remittance"]  # money for a closed claim
