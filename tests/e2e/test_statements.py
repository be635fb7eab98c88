"""What the patient owes, end to end: the payer simulator pays with PR adjustments, the
ledger is projected, a biller books a patient payment and asks for a statement.

The statement's totals must equal the sums of the projected ledger; the stored statement
and the patient rows hold no plain-text PHI; the event carries ids and amounts only; only
billing roles may see the document or book a payment; every bad payment is refused with
the field and the rule.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from claims.roles import Role
from claims.status import ClaimStatus as S
from events.contract import StatementReady
from events.reader import read_records
from events.topics import STATEMENTS
from services import patient_ledger, statements
from services.apps import child_env
from services.settings import REPO_ROOT
from tests.support import Harness, claim_payload

pytestmark = [pytest.mark.stack, pytest.mark.timeout(420)]

PERSON = {
    "first_name": "Wendeline",
    "last_name": "Oxtabury",
    "date_of_birth": "1961-07-23",
    "sex": "F",
    "address": {
        "line1": "88 Marrowfield Lane",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62704",
    },
}
NEEDLES = ["Wendeline", "Oxtabury", "1961-07-23", "Marrowfield", "HDHPWX77", "COPAYWX77"]
PAID_PATH_SEQ = 7  # RECEIVED .. PAID


def payload(member_id: str, person: dict[str, Any] = PERSON, **extra: Any) -> dict[str, Any]:
    return claim_payload(subscriber={**person, "member_id": member_id}, **extra)


async def paid_and_projected(h: Harness, claim_id: str) -> None:
    await h.wait_status(claim_id, S.PAID)
    await h.wait_read_model(claim_id, S.PAID, seq=PAID_PATH_SEQ)
    # The ledger rows come with the events: wait until the payer's decision is there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ledger = (await h.http.get(f"/claims/{claim_id}/ledger")).json()
        if any(e["activity"] == "adjudicated" for e in ledger):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no payer decision in the projected ledger of {claim_id}")


def ledger_sums(ledger: list[dict[str, Any]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for e in ledger:
        key = e["patient_kind"] if e["kind"] == "patient" else e["kind"]
        sums[key] = sums.get(key, Decimal(0)) + Decimal(str(e["amount"]))
    return sums


def found_in(data: bytes) -> list[str]:
    return [n for n in NEEDLES if n.lower().encode() in data.lower()]


async def test_statement_totals_equal_the_ledger_for_a_known_batch(claimflow: Harness) -> None:
    h = claimflow
    # One patient, two plans (a high-deductible plan, then a copay plan), and a stranger.
    hdhp = await h.submit(payload("HDHPWX77"))
    copay = await h.submit(payload("COPAYWX77", days_ago=5))
    plain = await h.submit(payload("XWX7700001", days_ago=3))  # 20% coinsurance
    other = await h.submit(claim_payload())
    mine = (hdhp, copay, plain)
    for claim_id in (*mine, other):
        await paid_and_projected(h, claim_id)

    balances = {c: (await h.http.get(f"/claims/{c}/patient-balance")).json() for c in mine}
    key = balances[hdhp]["patient_key"]
    assert balances[copay]["patient_key"] == balances[plain]["patient_key"] == key
    assert (await h.http.get(f"/claims/{other}/patient-balance")).json()["patient_key"] != key
    assert Decimal(balances[hdhp]["share"]["deductible"]) > 0
    assert Decimal(balances[copay]["share"]["copay"]) > 0
    assert Decimal(balances[plain]["share"]["coinsurance"]) > 0

    # The patient pays part of the first claim.
    paid = await h.http.post(
        f"/claims/{hdhp}/patient-payments",
        json={"amount": "40.00", "method": "card", "reference": "TX-9911"},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["n"] == 1

    made = await h.http.post("/statements", json={"patient_key": key})
    assert made.status_code == 201, made.text
    summary = made.json()
    assert summary["claim_ids"] == list(mine) and summary["published"]
    totals = {k: Decimal(v) for k, v in summary["totals"].items()}

    # Every total equals the sum of the two claims' projected ledgers.
    sums: dict[str, Decimal] = {}
    for claim_id in mine:
        for k, v in ledger_sums((await h.http.get(f"/claims/{claim_id}/ledger")).json()).items():
            sums[k] = sums.get(k, Decimal(0)) + v
    zero = Decimal(0)
    kinds = ("deductible", "coinsurance", "copay", "non_covered", "other")
    assert totals["charged"] == sums["charge"]
    assert totals["insurance_paid"] == sums.get("payment", zero)
    for kind in kinds:
        assert totals[kind] == sums.get(kind, zero), kind
    responsibility = sum((sums.get(k, zero) for k in kinds), zero)
    assert totals["responsibility"] == responsibility > 0
    assert totals["patient_paid"] == Decimal("40.00")
    assert totals["balance"] == responsibility - Decimal("40.00")
    per_patient = (await h.http.get(f"/patients/{key}/balance")).json()
    assert Decimal(per_patient["total"]["balance"]) == totals["balance"]

    # The document: the patient's name, each reason in words, the amount due.
    doc = await h.http.get(summary["document_url"])
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("text/html")
    assert "Wendeline Oxtabury" in doc.text and "Marrowfield" in doc.text
    assert f"Amount due: ${totals['balance']}" in doc.text
    assert "Deductible Amount" in doc.text and "Co-payment Amount" in doc.text
    assert "Coinsurance Amount" in doc.text and "plan year" in doc.text

    # The event: ids and amounts, no PHI, keyed by the patient key.
    [raw] = read_records(h.settings.kafka_bootstrap, h.settings.topic(STATEMENTS), key)
    event = StatementReady.model_validate_json(raw)
    assert event.type == "claimflow.statement.ready.v1"
    assert event.data.statement_id == summary["statement_id"]
    assert event.data.amount_due == totals["balance"]
    assert event.data.claim_ids == mine
    assert found_in(raw) == []

    # At rest: the statement row, the patient rows and the whole database file hold no PHI.
    with Session(h.engine) as session:
        row = session.exec(select(statements.StatementRecord)).one()
        assert found_in(row.document) == [] and b"<html" not in row.document
        for p in session.exec(select(patient_ledger.ClaimPatient)):
            assert found_in(p.sealed) == [] and found_in(p.patient_key.encode()) == []
    database = Path(h.settings.resolved_database_url.removeprefix("sqlite:///"))
    for path in [database, *database.parent.glob(database.name + "-*")]:
        assert found_in(path.read_bytes()) == [], path


async def test_patient_payment_refusals_and_roles(claimflow: Harness) -> None:
    h = claimflow
    claim_id = await h.submit(payload("HDHPWX77"))
    await paid_and_projected(h, claim_id)
    owed = Decimal(
        (await h.http.get(f"/claims/{claim_id}/patient-balance")).json()["share"]["balance"]
    )
    url = f"/claims/{claim_id}/patient-payments"

    async def refused(body: dict[str, Any], field: str, rule: str, status: int = 422) -> None:
        response = await h.http.post(url, json=body)
        assert response.status_code == status, response.text
        [item] = response.json()["detail"]
        assert item["field"].endswith(field) and item["rule"] == rule, item

    good = {"amount": "10.00", "method": "cash"}
    await refused({**good, "amount": "0"}, "amount", "greater_than")
    await refused({**good, "amount": "-5.00"}, "amount", "greater_than")
    await refused({**good, "amount": "1.005"}, "amount", "decimal_max_places")
    await refused({**good, "amount": "lots"}, "amount", "decimal_parsing")
    await refused({**good, "amount": str(owed + Decimal("0.01"))}, "amount", "exceeds_balance")
    await refused({**good, "method": "bitcoin"}, "method", "literal_error")
    await refused({"amount": "10.00"}, "method", "missing")
    await refused(
        {**good, "reference": "4111 1111 1111 1111"}, "reference", "string_pattern_mismatch"
    )
    await refused({**good, "reference": "X" * 41}, "reference", "string_pattern_mismatch")
    unknown = await h.http.post("/claims/01J0000000000000000000000Z/patient-payments", json=good)
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["field"] == "claim_id"
    assert (await h.http.get(url)).json() == []  # nothing was booked by a refusal

    # Paying it all is fine; a cent more is not.
    assert (await h.http.post(url, json={**good, "amount": str(owed)})).status_code == 201
    await refused({**good, "amount": "0.01"}, "amount", "exceeds_balance")

    # Statements: exactly one of claim_id and patient_key.
    both = await h.http.post("/statements", json={})
    assert both.status_code == 422, both.text
    made = await h.http.post("/statements", json={"claim_id": claim_id})
    assert made.status_code == 201, made.text
    doc_url = made.json()["document_url"]

    # Roles: ops and coders read balances but neither book payments, make statements nor
    # see a statement; nobody without a credential does anything.
    for role in (Role.OPS, Role.CODER):
        http = h.client_for(role)
        assert (await http.get(f"/claims/{claim_id}/patient-balance")).status_code == 200
        for method, path, body in (
            ("POST", url, good),
            ("POST", "/statements", {"claim_id": claim_id}),
            ("GET", doc_url, None),
        ):
            response = await http.request(method, path, json=body)
            assert response.status_code == 403, (role, path, response.text)
            assert response.json()["detail"][0]["rule"] == "role_required"
            assert "Wendeline" not in response.text
    anonymous = h.anonymous()
    assert (await anonymous.get(doc_url)).status_code == 401
    assert (await anonymous.post(url, json=good)).status_code == 401
    assert (await h.client_for(Role.BILLER).get(doc_url)).status_code == 200


def cli(h: Harness, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services", "statements", *args],
        capture_output=True,
        text=True,
        env={**child_env(h.settings), "CLAIMFLOW_TOKEN": token},
        cwd=REPO_ROOT,
        timeout=60,
    )


async def test_the_cli_books_a_payment_and_makes_a_statement(
    claimflow: Harness, tmp_path: Path
) -> None:
    h = claimflow
    claim_id = await h.submit(payload("COPAYWX77"))
    await paid_and_projected(h, claim_id)
    biller = h.token_for(Role.BILLER, name="cli-biller")

    def run(*args: str, token: str = biller) -> subprocess.CompletedProcess[str]:
        return cli(h, *args, token=token)

    paid = await asyncio.to_thread(run, "pay", claim_id, "--amount", "5.00", "--method", "check")
    assert paid.returncode == 0, paid.stderr
    shown = await asyncio.to_thread(run, "balance", claim_id)
    assert shown.returncode == 0 and "paid by the patient 5.00" in shown.stdout, shown.stdout
    bad = await asyncio.to_thread(run, "pay", claim_id, "--amount", "5.001", "--method", "check")
    assert bad.returncode == 1 and "amount:" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr + bad.stdout
    made = await asyncio.to_thread(run, "create", "--claim", claim_id)
    assert made.returncode == 0 and made.stdout.startswith("statement "), made.stderr
    statement_id = made.stdout.split()[1].rstrip(":")
    out = tmp_path / "statement.html"
    got = await asyncio.to_thread(run, "show", statement_id, "--out", str(out))
    assert got.returncode == 0, got.stderr
    assert "Wendeline Oxtabury" in out.read_text() and os.stat(out).st_mode & 0o777 == 0o600
    ops = h.token_for(Role.OPS, name="cli-ops")
    refused = await asyncio.to_thread(run, "show", statement_id, token=ops)
    assert refused.returncode == 1 and "role_required" in refused.stderr + refused.stdout
