"""Eligibility end to end: the real API, worker, X12 gateway (270 out, 271 back over HTTP)
and the payer simulator's rules by member id (INACTIVE, NOTFOUND, COPAY, SILENT, ...)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from ulid import ULID

from claims.status import ClaimStatus as S
from events import topics
from events.contract import AlertKind
from events.reader import read_claim_alerts
from services import readmodel
from services.settings import Settings
from tests.services.test_cli import cli, no_traceback
from tests.support import Harness, claim_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]


def _member(member_id: str, **overrides: Any) -> dict[str, Any]:
    payload = claim_payload(**overrides)
    payload["subscriber"] = dict(payload["subscriber"], member_id=member_id)
    return payload


def _findings(view: dict[str, Any], stage: str = "eligibility") -> list[dict[str, Any]]:
    return list(view["reports"].get(stage, {}).get("findings", []))


async def test_active_coverage_is_paid_and_shows_the_expected_share(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(_member("COPAY100"))
    view = await claimflow.wait_status(claim_id, S.PAID)
    statuses = [e["status"] for e in view["history"]]
    assert statuses[:4] == [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED]
    elig = view["eligibility"]
    assert elig["status"] == "active"
    assert elig["plan_name"] == "SIMULATED COPAY PLAN"
    assert Decimal(elig["copay"]) == Decimal("25.00")
    assert Decimal(elig["expected_patient_share"]["copay"]) == Decimal("25.00")
    assert _findings(view) == []
    submitted = next(e for e in claimflow.events(claim_id) if e.data.status is S.SUBMITTED)
    assert submitted.data.eligibility is not None
    assert "COPAY100" not in submitted.model_dump_json()  # the member id never in events
    # The read model folds the same events: it shows the same answer.
    await claimflow.wait_read_model(claim_id, S.PAID, seq=len(view["history"]))
    stored = readmodel.view_of(claimflow.engine, claim_id)
    assert stored is not None and stored.eligibility is not None
    assert stored.eligibility.model_dump(mode="json") == elig


async def test_inactive_member_is_held_then_corrected_and_paid(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(_member("INACTIVE77"))
    view = await claimflow.wait_status(claim_id, S.ELIGIBILITY_HOLD)
    [finding] = _findings(view)
    assert finding["code"] == "ELIGIBILITY_INACTIVE"
    assert "inactive (EB 6), terminated on" in finding["message"]
    assert view["eligibility"]["status"] == "inactive"
    assert view["payer_claim_control_number"] is None  # never reached the payer
    # The read model knows the status: the biller's queue of held claims.
    await claimflow.wait_read_model(claim_id, S.ELIGIBILITY_HOLD, seq=4)
    queue = await claimflow.http.get("/claims", params={"status": "ELIGIBILITY_HOLD"})
    assert queue.status_code == 200, queue.text
    assert claim_id in {c["claim_id"] for c in queue.json()}

    # Asking again on demand says the same, and changes nothing.
    asked = await claimflow.http.post(f"/claims/{claim_id}/eligibility")
    assert asked.status_code == 200, asked.text
    assert asked.json()["result"]["status"] == "inactive"
    assert asked.json()["expected_patient_share"] is None

    fixed = _member("XJH777")
    response = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": fixed})
    assert response.status_code == 200, response.text
    view = await claimflow.wait_status(claim_id, S.PAID)
    assert view["eligibility"]["status"] == "active"
    assert _findings(view) == []
    statuses = [e["status"] for e in view["history"]]
    assert statuses[3:7] == [S.ELIGIBILITY_HOLD, S.CODED, S.SCRUBBED, S.SUBMITTED]


async def test_member_not_found_is_held_and_written_off(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(_member("NOTFOUND12"))
    view = await claimflow.wait_status(claim_id, S.ELIGIBILITY_HOLD)
    [finding] = _findings(view)
    assert finding["code"] == "ELIGIBILITY_NOT_FOUND"
    assert "AAA 75 in loop 2100C" in finding["message"]
    assert "please correct and resubmit" in finding["message"]

    # A held claim refuses what only a claim at the payer allows.
    refused = await claimflow.http.post(f"/claims/{claim_id}/void", json={"reason": "x"})
    assert refused.status_code == 409, refused.text
    response = await claimflow.http.post(
        f"/claims/{claim_id}/write-off", json={"reason": "self-pay: bill the patient"}
    )
    assert response.status_code == 200, response.text
    await claimflow.wait_status(claim_id, S.WRITTEN_OFF)
    # A finished claim cannot be asked about by id any more: the file can.
    closed = await claimflow.http.post(f"/claims/{claim_id}/eligibility")
    assert closed.status_code == 409, closed.text
    assert "finished" in closed.json()["detail"][0]["msg"]


async def test_silent_payer_lets_the_claim_go_with_a_warning_and_an_alert(
    settings: Settings, client: Client
) -> None:
    fast = settings.model_copy(update={"eligibility_timeout_seconds": 2.0})
    async with harness(fast, client) as claimflow:
        claim_id = await claimflow.submit(_member("SILENT5"))
        view = await claimflow.wait_status(claim_id, S.PAID)
        [finding] = _findings(view)
        assert (finding["code"], finding["severity"]) == ("ELIGIBILITY_UNANSWERED", "warning")
        assert view["eligibility"]["status"] == "timeout"
        alerts = []
        for _ in range(100):
            alerts = read_claim_alerts(fast.kafka_bootstrap, fast.topic(topics.ALERTS), claim_id)
            if alerts:
                break
            await asyncio.sleep(0.1)
        assert [a.data.kind for a in alerts] == [AlertKind.ELIGIBILITY_UNANSWERED]


async def test_eligibility_of_a_claim_file_and_its_refusals(claimflow: Harness) -> None:
    response = await claimflow.http.post("/eligibility", json=_member("HDHP3"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["result"]["status"] == "active"
    assert Decimal(answer["summary"]["deductible_remaining"]) == Decimal("250.00")
    assert Decimal(answer["expected_patient_share"]["deductible"]) == Decimal("185.00")
    assert "HDHP3" not in response.text  # the answer holds no member id

    bad = await claimflow.http.post("/eligibility", json={"lines": []})
    assert bad.status_code == 422
    fields = {item["field"] for item in bad.json()["detail"]}
    assert "subscriber" in fields
    unknown = await claimflow.http.post(f"/claims/{ULID()}/eligibility")
    assert unknown.status_code == 404, unknown.text


async def test_claimflow_eligibility_command(claimflow: Harness, tmp_path: Path) -> None:
    covered = tmp_path / "covered.json"
    covered.write_text(json.dumps(_member("COPAY8")))
    result = await asyncio.to_thread(cli, claimflow, "eligibility", str(covered))
    assert result.returncode == 0, result.stderr
    assert "eligibility: active (SIMULATED COPAY PLAN)" in result.stdout
    assert "copay 25.00" in result.stdout
    assert "expected patient share of 185.00: 25.00" in result.stdout

    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps(_member("NOTFOUND8")))
    result = await asyncio.to_thread(cli, claimflow, "eligibility", str(unknown))
    assert result.returncode == 1, result.stderr
    assert "eligibility: not_found" in result.stdout and "AAA 75" in result.stdout

    claim_id = await claimflow.submit(_member("INACTIVE8"))
    await claimflow.wait_status(claim_id, S.ELIGIBILITY_HOLD)
    result = await asyncio.to_thread(cli, claimflow, "eligibility", claim_id, "--json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["result"]["status"] == "inactive"

    result = await asyncio.to_thread(cli, claimflow, "eligibility", "neither")
    assert result.returncode == 2 and "neither a claim file nor a claim id" in result.stderr
    result = await asyncio.to_thread(cli, claimflow, "eligibility", str(ULID()))
    assert result.returncode == 1 and "no claim" in result.stderr
    no_traceback(result)
