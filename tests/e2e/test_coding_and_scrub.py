"""Coding review, scrub failures, duplicates and FHIR intake, through the API."""

from __future__ import annotations

import json

import pytest

from claims.status import ClaimStatus as S
from services.settings import REPO_ROOT
from tests.support import Harness, claim_payload, message

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]


async def test_category_code_waits_for_recode_then_pays(claimflow: Harness) -> None:
    payload = claim_payload(diagnoses=("E11",))
    claim_id = await claimflow.submit(payload)
    view = await claimflow.wait_status(claim_id, S.CODING_REVIEW)
    [finding] = [f for f in view["reports"]["coding"]["findings"] if f["severity"] == "error"]
    assert finding["code"] == "CODE_ICD10_NOT_BILLABLE"
    assert finding["field"] == "diagnoses[0]"
    assert "E119" in finding["candidates"]
    event = claimflow.events(claim_id)[-1]
    assert event.data.status is S.CODING_REVIEW
    assert event.data.findings[0].code == "CODE_ICD10_NOT_BILLABLE"

    # `correct` is for scrub failures: refused with the reason, nothing changes.
    refused = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": payload})
    assert refused.status_code == 409
    assert "allowed only from ELIGIBILITY_HOLD, REJECTED, SCRUB_FAILED" in message(refused)

    payload["diagnoses"] = ["E119"]
    response = await claimflow.http.post(f"/claims/{claim_id}/recode", json={"claim": payload})
    assert response.status_code == 200, response.text
    view = await claimflow.wait_status(claim_id, S.PAID)
    assert [h["status"] for h in view["history"]][:3] == [S.RECEIVED, S.CODING_REVIEW, S.CODED]


async def test_scrub_failure_corrected_by_biller(claimflow: Harness) -> None:
    payload = claim_payload()
    payload["billing_provider"]["npi"] = "1234567890"  # fails the Luhn check
    claim_id = await claimflow.submit(payload)
    view = await claimflow.wait_status(claim_id, S.SCRUB_FAILED)
    codes = {(f["code"], f["field"]) for f in view["reports"]["scrub"]["findings"]}
    assert ("SCRUB_NPI_INVALID", "billing_provider.npi") in codes

    bad_fix = dict(payload, total_charge="1.00")
    response = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": bad_fix})
    assert response.status_code == 200, response.text
    # The NPI is still wrong and now the total is too: coded again, then back to SCRUB_FAILED.
    view = await claimflow.wait_seq(claim_id, view["seq"] + 2)
    assert [h["status"] for h in view["history"]][-2:] == [S.CODED, S.SCRUB_FAILED]
    errors = {f["code"] for f in view["reports"]["scrub"]["findings"] if f["severity"] == "error"}
    assert errors == {"SCRUB_NPI_INVALID", "SCRUB_TOTAL_MISMATCH"}

    payload["billing_provider"]["npi"] = "1234567893"
    response = await claimflow.http.post(f"/claims/{claim_id}/correct", json={"claim": payload})
    assert response.status_code == 200, response.text
    await claimflow.wait_status(claim_id, S.PAID)


async def test_duplicate_claim_is_stopped_at_scrub(claimflow: Harness) -> None:
    payload = claim_payload()
    first = await claimflow.submit(payload)
    await claimflow.wait_status(first, S.PAID)

    again = await claimflow.submit(dict(payload, account_number="ACCT-again"))
    assert again != first
    view = await claimflow.wait_status(again, S.SCRUB_FAILED)
    [dup] = [
        f for f in view["reports"]["scrub"]["findings"] if f["code"] == "SCRUB_DUPLICATE_CLAIM"
    ]
    assert first in dup["message"]


async def test_fhir_claim_is_accepted_and_paid(claimflow: Harness) -> None:
    resource = json.loads((REPO_ROOT / "examples" / "fhir-claim.json").read_text())
    response = await claimflow.http.post("/fhir/Claim", json=resource)
    assert response.status_code == 202, response.text
    view = await claimflow.wait_status(response.json()["claim_id"], S.PAID)
    assert view["total_charge"] == "135.50"


async def test_unmappable_fhir_claim_is_422_naming_the_element(claimflow: Harness) -> None:
    resource = json.loads((REPO_ROOT / "examples" / "fhir-claim.json").read_text())
    del resource["contained"][0]["birthDate"]
    response = await claimflow.http.post("/fhir/Claim", json=resource)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "Claim.contained[0].birthDate"
    assert error["rule"] == "fhir_mapping"


async def test_fhir_claim_without_identifier_says_what_it_filled_in(claimflow: Harness) -> None:
    resource = json.loads((REPO_ROOT / "examples" / "fhir-claim.json").read_text())
    del resource["identifier"]
    response = await claimflow.http.post("/fhir/Claim", json=resource)
    assert response.status_code == 202, response.text
    assert any("resource id" in note for note in response.json()["notes"])


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        (("subscriber", "member_id"), "XJH*1", "subscriber.member_id"),
        (("account_number",), "ACCT~1", "account_number"),
        (("prior_authorization",), "PA:1", "prior_authorization"),
        (("subscriber", "last_name"), "李", "subscriber.last_name"),
    ],
)
async def test_a_value_x12_cannot_carry_stops_at_scrub_not_at_render(
    claimflow: Harness, where: tuple[str, ...], value: str, field: str
) -> None:
    """Issue 11 #1 / issue 15 #6: the claim ends in SCRUB_FAILED with a finding naming the
    field, where a biller can correct it; it is never submitted (no 837P is rendered)."""
    payload = claim_payload()
    node = payload
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    claim_id = await claimflow.submit(payload)
    view = await claimflow.wait_status(claim_id, S.SCRUB_FAILED)
    errors = [f for f in view["reports"]["scrub"]["findings"] if f["severity"] == "error"]
    assert [(f["code"].startswith("SCRUB_X12_"), f["field"]) for f in errors] == [(True, field)]
    assert not list((claimflow.settings.x12_dir / "sent").glob("837P-*"))
