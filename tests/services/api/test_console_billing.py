"""The console's eligibility and patient-money pages on the real stack: the eligibility-hold
queue (API and page) with the payer's reasons, a held claim's page and the coverage
correction, the coverage and expected share of a covered claim, and the patient's balance,
payment form and statement, with every refusal (wrong role, bad amount, bad form)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlmodel import Session, col, select
from temporalio.client import Client

from claims.roles import Role
from claims.status import ClaimStatus as S
from services.auth.audit_log import AuditEntry
from services.settings import Settings
from tests.support import Harness, claim_payload, harness, unique_settings

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

HTML = {"accept": "text/html"}
PAID_PATH_SEQ = 7  # RECEIVED .. PAID


def member(member_id: str, days_ago: int) -> dict[str, Any]:
    payload = claim_payload(days_ago=days_ago)
    payload["subscriber"]["member_id"] = member_id
    return payload


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(
    test_stack: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    settings = unique_settings(test_stack, tmp_path_factory.mktemp("console-billing"))
    async with harness(settings, client) as h:
        yield h


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def claims(api: Harness) -> dict[str, str]:
    """Two claims held for eligibility (inactive, not found) and a paid high-deductible one."""
    ids = {
        "inactive": await api.submit(member("INACTIVE301", 12)),
        "unknown": await api.submit(member("NOTFOUND302", 13)),
        "hdhp": await api.submit(member("HDHP303", 14)),
    }
    targets = {"inactive": S.ELIGIBILITY_HOLD, "unknown": S.ELIGIBILITY_HOLD, "hdhp": S.PAID}
    for name, claim_id in ids.items():
        view = await api.wait_status(claim_id, targets[name])
        await api.wait_read_model(claim_id, targets[name], seq=view["seq"])
    await ledger_decided(api, ids["hdhp"])
    return ids


async def ledger_decided(api: Harness, claim_id: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ledger = (await api.http.get(f"/claims/{claim_id}/ledger")).json()
        if any(e["activity"] == "adjudicated" for e in ledger):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no payer decision in the projected ledger of {claim_id}")


async def page(http: Any, claim_id: str) -> str:
    response = await http.get(f"/console/claims/{claim_id}", headers=HTML)
    assert response.status_code == 200, response.text
    text: str = response.text
    return text


async def test_eligibility_hold_queue_lists_the_payers_reasons(
    api: Harness, claims: dict[str, str]
) -> None:
    sizes = {q["queue"]: q for q in (await api.http.get("/queues")).json()}
    assert sizes["eligibility_hold"]["count"] == 2
    assert sizes["eligibility_hold"]["href"] == "/queues/eligibility_hold"
    queue = (await api.http.get("/queues/eligibility_hold")).json()
    assert queue["total"] == 2 and queue["title"] == "Eligibility holds"
    reasons = {r["claim_id"]: r["eligibility_reasons"] for r in queue["items"]}
    assert set(reasons) == {claims["inactive"], claims["unknown"]}
    assert "inactive (EB 6), terminated" in reasons[claims["inactive"]]
    assert "AAA" in reasons[claims["unknown"]]  # the reject reason and follow-up, in words
    # Paged like the others.
    first = (await api.http.get("/queues/eligibility_hold", params={"limit": 1})).json()
    second = (
        await api.http.get("/queues/eligibility_hold", params={"limit": 1, "offset": 1})
    ).json()
    assert first["total"] == 2 and len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0]["claim_id"] != second["items"][0]["claim_id"]
    # Other queues do not carry the column.
    assert all(r["eligibility_reasons"] is None for r in
               (await api.http.get("/queues/rejected")).json()["items"])  # fmt: skip

    biller = api.client_for(Role.BILLER)
    cards = (await biller.get("/console/queues", headers=HTML)).text
    assert 'data-queue="eligibility_hold"' in cards and "Eligibility holds" in cards
    listing = (await biller.get("/console/queues/eligibility_hold", headers=HTML)).text
    assert "Why the payer says there is no coverage" in listing
    assert "inactive (EB 6), terminated" in listing
    assert claims["inactive"] in listing and claims["unknown"] in listing
    assert claims["hdhp"] not in listing
    assert '2 of <strong class="total">2</strong>' in listing
    narrowed = await biller.get(
        "/console/queues/eligibility_hold", params={"offset": "1"}, headers=HTML
    )
    assert "2–2 of" in narrowed.text


async def test_held_claim_page_shows_the_finding_and_the_biller_its_actions(
    api: Harness, claims: dict[str, str]
) -> None:
    claim_id = claims["inactive"]
    biller_page = await page(api.client_for(Role.BILLER), claim_id)
    assert 'id="claim-eligibility-hold"' in biller_page
    assert "Correct the member id or payer if the patient has other coverage" in biller_page
    assert 'data-eligibility="inactive"' in biller_page
    assert 'id="coverage-form"' in biller_page and 'id="write-off-form"' in biller_page
    assert "Write the claim off</a> to bill the patient" in biller_page
    assert 'id="no-payment-due"' in biller_page and 'id="payment-form"' not in biller_page
    # A coder and ops read the same finding, without actions they may not take.
    for role in (Role.CODER, Role.OPS):
        text = await page(api.client_for(role), claim_id)
        assert "Correct the member id or payer" in text and 'id="hold-no-actions"' in text
        assert 'id="coverage-form"' not in text and 'id="write-off-form"' not in text


async def test_coverage_correction_refusals(api: Harness, claims: dict[str, str]) -> None:
    claim_id = claims["unknown"]
    for role in (Role.CODER, Role.OPS, Role.INTAKE):
        refused = await api.client_for(role).post(
            f"/console/claims/{claim_id}/coverage", data={"member_id": "HDHP1"}
        )
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["detail"][0]["rule"] == "role_required"
    biller = api.client_for(Role.BILLER)
    empty = await biller.post(f"/console/claims/{claim_id}/coverage", data={"member_id": " "})
    assert empty.status_code == 422
    assert "give the corrected member id or payer" in empty.text
    assert 'id="claim-eligibility-hold"' in empty.text  # the page again, with the reason
    bad = await biller.post(f"/console/claims/{claim_id}/coverage", data={"payer_id": "no way!"})
    assert bad.status_code == 422 and "payer.payer_id" in bad.text
    assert (await api.view(claim_id))["status"] == "ELIGIBILITY_HOLD"  # nothing changed


async def test_corrected_member_goes_out_and_the_page_shows_coverage_and_share(
    api: Harness, claims: dict[str, str]
) -> None:
    claim_id = claims["inactive"]
    biller = api.client_for(Role.BILLER, name="billie")
    sent = await biller.post(
        f"/console/claims/{claim_id}/coverage",
        data={"member_id": "HDHP304", "note": "new card from the front desk"},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/console/claims/{claim_id}?done=coverage"
    view = await api.wait_status(claim_id, S.PAID)
    assert view["eligibility"]["status"] == "active"
    text = await page(biller, claim_id)
    assert 'id="claim-eligibility-hold"' not in text
    assert 'data-eligibility="active"' in text and "Covered: the payer confirmed" in text
    assert re.search(r'id="elig-deductible">\$[\d,]+\.\d\d<', text)
    assert 'id="elig-oop">' in text and 'id="elig-copay">' in text
    assert "the patient is expected to pay about $" in text
    assert "toward the deductible" in text
    with Session(api.engine) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.claim_id == claim_id)
            .where(col(AuditEntry.route) == "/console/claims/{claim_id}/coverage")
        ).all()  # fmt: skip
    assert [(e.actor, e.status_code) for e in entries if e.actor == "billie"] == [("billie", 303)]


async def test_patient_money_payment_form_and_statement(
    api: Harness, claims: dict[str, str]
) -> None:
    claim_id = claims["hdhp"]
    balance = (await api.http.get(f"/claims/{claim_id}/patient-balance")).json()["share"]
    biller = api.client_for(Role.BILLER, name="bea")
    text = await page(biller, claim_id)
    assert 'id="claim-patient"' in text and 'id="payment-form"' in text
    assert 'data-kind="deductible"' in text and "Deductible: the amount you pay" in text
    assert f'id="patient-balance">${balance["balance"]}<' in text
    assert 'id="patient-paid">$0.00<' in text and "No statement yet." in text

    url = f"/console/claims/{claim_id}/patient-payments"
    # Refusals: the role, then the amount, the method and the reference, each named.
    for role in (Role.CODER, Role.OPS, Role.INTAKE):
        refused = await api.client_for(role).post(url, data={"amount": "5", "method": "cash"})
        assert refused.status_code == 403, (role, refused.text)
    assert 'id="payment-form"' not in await page(api.client_for(Role.CODER), claim_id)
    for form, expected in [
        ({"amount": "-5", "method": "cash"}, "amount: Input should be greater than 0"),
        ({"amount": "0", "method": "cash"}, "amount: Input should be greater than 0"),
        ({"amount": "ten", "method": "cash"}, "amount: Input should be a valid decimal"),
        ({"amount": "1.234", "method": "cash"}, "amount: Decimal input should have no more"),
        ({"amount": "5", "method": "bitcoin"}, "method: Input should be"),
        ({"amount": "5", "method": "card", "reference": "4111 1111"}, "reference: String"),
        ({"amount": "99999", "method": "cash"}, f"the patient owes {balance['balance']}"),
    ]:
        refused = await biller.post(url, data=form)
        assert refused.status_code == 422, (form, refused.text)
        assert expected in refused.text, (form, refused.text)
        assert 'id="payment-form"' in refused.text  # the page, with the reason shown
    assert (await api.http.get(f"/claims/{claim_id}/patient-payments")).json() == []

    paid = await biller.post(url, data={"amount": "25.00", "method": "check",
                                        "reference": "CHK-1001"})  # fmt: skip
    assert paid.status_code == 303, paid.text
    [payment] = (await api.http.get(f"/claims/{claim_id}/patient-payments")).json()
    assert payment["recorded_by"] == "bea" and payment["reference"] == "CHK-1001"
    text = await page(biller, claim_id)
    assert 'id="patient-paid">$25.00<' in text and "CHK-1001" in text

    # The statement: made from the page, opened only by billing roles.
    refused = await api.client_for(Role.CODER).post(f"/console/claims/{claim_id}/statements")
    assert refused.status_code == 403
    made = await biller.post(f"/console/claims/{claim_id}/statements")
    assert made.status_code == 303, made.text
    text = await page(biller, claim_id)
    found = re.search(r'href="/statements/([0-9A-Z]{26})"', text)
    assert found and 'id="statement-link"' in text
    document = await biller.get(f"/statements/{found.group(1)}")
    assert document.status_code == 200 and "Alex" in document.text  # decrypted for her
    assert document.headers["cache-control"] == "no-store"
    coder = api.client_for(Role.CODER)
    assert (await coder.get(f"/statements/{found.group(1)}")).status_code == 403
    assert 'id="statement-link"' not in await page(api.client_for(Role.CODER), claim_id)
    with Session(api.engine) as session:
        routes = {
            e.route for e in session.exec(select(AuditEntry).where(AuditEntry.actor == "bea")).all()
        }
    assert {f"/console/claims/{{claim_id}}/{p}" for p in ("patient-payments", "statements")} <= (
        routes
    )
