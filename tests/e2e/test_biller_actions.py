"""A biller drives claims to an end through the API and the CLI, against the real stack."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from temporalio.client import Client

from claims.status import ClaimStatus as S
from services.settings import REPO_ROOT
from tests.services.test_cli import cli
from tests.support import Harness, claim_payload, denied_for_auth_payload, message
from workflows.messages import workflow_id

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]


def example(name: str) -> dict[str, object]:
    payload: dict[str, object] = json.loads((REPO_ROOT / "examples" / name).read_text())
    return payload


async def test_partial_payment_appealed_through_the_api(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(
        claim_payload(procedures=(("99214", "210.00"), ("36415", "25.00")))
    )
    view = await claimflow.wait_status(claim_id, S.PARTIALLY_PAID)
    assert view["denial_reasons"] == ["CO-97"]
    # 235.00 charged; 131.00 allowed for 99214 less 26.20 coinsurance paid; 25.00 denied.
    assert (view["paid_amount"], view["outstanding_amount"]) == ("104.80", "25.00")
    response = await claimflow.http.post(
        f"/claims/{claim_id}/appeal", json={"reason": "36415 is separately payable here"}
    )
    assert response.status_code == 200, response.text
    await claimflow.wait_status(claim_id, S.PAID)


async def test_rejected_claim_corrected_through_the_api(claimflow: Harness) -> None:
    payload = claim_payload()
    payload["subscriber"]["member_id"] = "REJECT77"  # active, yet the 277CA rejects it
    claim_id = await claimflow.submit(payload)
    view = await claimflow.wait_status(claim_id, S.REJECTED)
    assert view["history"][-1]["reason"].startswith("277CA A3 A3:33")

    payload["subscriber"]["member_id"] = "XJH123456789"
    response = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": payload})
    assert response.status_code == 200, response.text
    view = await claimflow.wait_status(claim_id, S.PAID)
    assert [h["status"] for h in view["history"]][4:] == [
        S.REJECTED,
        S.CODED,
        S.SCRUBBED,
        S.SUBMITTED,
        S.ACCEPTED,
        S.ADJUDICATED,
        S.PAID,
    ]


async def test_void_and_refused_void_through_the_api(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(claim_payload())
    await claimflow.wait_status(claim_id, S.PAID)
    response = await claimflow.http.post(f"/claims/{claim_id}/void", json={"reason": "duplicate"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == S.VOIDED
    # The claim is over: a second void is refused with the table's reason.
    response = await claimflow.http.post(f"/claims/{claim_id}/void", json={"reason": "again"})
    assert response.status_code == 409
    assert "cannot go from VOIDED to VOIDED" in message(response)
    await claimflow.wait_read_model(claim_id, S.VOIDED, seq=8)


async def test_replace_through_the_api_refuses_a_bad_replacement(claimflow: Harness) -> None:
    payload = denied_for_auth_payload()
    claim_id = await claimflow.submit(payload)
    await claimflow.wait_status(claim_id, S.DENIED)
    bad = dict(payload, diagnoses=["E11"])
    response = await claimflow.http.post(f"/claims/{claim_id}/replace", json={"claim": bad})
    assert response.status_code == 409
    assert "CODE_ICD10_NOT_BILLABLE" in message(response)

    fixed = dict(payload, prior_authorization="AUTH-9913")
    response = await claimflow.http.post(f"/claims/{claim_id}/replace", json={"claim": fixed})
    assert response.status_code == 200, response.text
    view = await claimflow.wait_status(claim_id, S.PAID)
    assert view["frequency_code"] == "7"


async def test_write_off_and_void_through_the_cli(claimflow: Harness, tmp_path: Path) -> None:
    claim_id = await claimflow.submit(claim_payload(procedures=(("97810", "95.00"),)))
    await claimflow.wait_status(claim_id, S.DENIED)
    result = await asyncio.to_thread(
        cli, claimflow, "write-off", claim_id, "--reason", "not covered; patient informed"
    )
    assert result.returncode == 0, result.stderr
    assert "WRITTEN_OFF" in result.stdout
    again = await asyncio.to_thread(cli, claimflow, "write-off", claim_id, "--reason", "x")
    assert again.returncode == 1 and "refused" in again.stderr

    other = await claimflow.submit(claim_payload(procedures=(("99213", "150.00"),)))
    await claimflow.wait_status(other, S.PAID)
    result = await asyncio.to_thread(cli, claimflow, "void", other, "--reason", "wrong payer")
    assert result.returncode == 0 and "VOIDED" in result.stdout, result.stderr


async def test_ops_find_denials_by_appeal_deadline_in_temporal(
    claimflow: Harness, client: Client
) -> None:
    claim_id = await claimflow.submit(claim_payload(procedures=(("97810", "95.00"),)))
    view = await claimflow.wait_status(claim_id, S.DENIED)
    deadline = dt.datetime.fromisoformat(view["appeal_deadline"])
    horizon = (deadline + dt.timedelta(days=1)).isoformat()
    query = (
        f"ClaimStatus = 'DENIED' AND AppealDeadline < '{horizon}' "
        f"AND PayerId = 'SIMPAYER1' AND TaskQueue = '{claimflow.settings.task_queue}'"
    )
    found: list[str] = []
    for _ in range(50):  # visibility is eventually consistent
        found = [wf.id async for wf in client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [workflow_id(claim_id)]
