"""Coordination of benefits end to end: the API, the worker, the payer simulator's primary
and secondary payers over X12, Kafka and the read model, all real.

The primary's 835 leaves the patient's coinsurance; claimflow bills the secondary payer
(its own claim, linked both ways), and the secondary's 835 lands on the primary's ledger:
nothing is owed by anybody. A crossover payer is not billed at all: its own 835 arrives.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from claims.cob import secondary_claim_id
from claims.status import ClaimStatus as S
from tests.support import Harness, claim_payload

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]

SECONDARY_MEMBER = "SEC7755331"


def with_secondary(payer_id: str) -> dict[str, Any]:
    return claim_payload(
        other_coverages=[
            {
                "responsibility": "S",
                "payer": {"payer_id": payer_id, "name": "Second Mutual"},
                "subscriber": {
                    "member_id": SECONDARY_MEMBER,
                    "first_name": "Alex",
                    "last_name": "Rivera",
                    "sex": "F",
                },  # fmt: skip
            }
        ]
    )


def assert_settled(view: dict[str, Any], paid: str) -> None:
    b = view["balances"]
    assert b["paid"] == paid
    assert b["outstanding"] == "0.00"
    assert b["patient_balance"] == "0.00"


async def test_primary_pays_part_and_the_secondary_pays_the_rest(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(with_secondary("SIMSECOND1"))
    paid = await claimflow.wait_status(claim_id, S.PAID)
    # 99213 + 85025: allowed 102.50, the primary pays 82.00 and leaves 20.50 coinsurance.
    assert paid["paid_amount"] == "82.00"
    sec_id = secondary_claim_id(claim_id, "S")
    assert paid["secondary_claim_id"] == sec_id

    secondary = await claimflow.wait_status(sec_id, S.PAID, timeout=90)
    assert secondary["primary_claim_id"] == claim_id
    assert secondary["payer_id"] == "SIMSECOND1"
    assert secondary["paid_amount"] == "20.50"
    assert secondary["adjudication"]["status_code"] == "2"

    done = paid
    for _ in range(300):
        if done["history"][-1]["reason"] == "coordination of benefits":
            break
        await asyncio.sleep(0.3)
        done = await claimflow.view(claim_id)
    assert done["status"] == S.PAID
    assert_settled(done, "102.50")
    assert [h["reason"] for h in done["history"][-2:]][-1] == "coordination of benefits"

    # The events name each other and carry no PHI of the second coverage.
    primary_events = claimflow.events(claim_id)
    assert any(e.data.secondary_claim_id == sec_id for e in primary_events)
    secondary_events = claimflow.events(sec_id)
    assert all(e.data.primary_claim_id == claim_id for e in secondary_events)
    raw = json.dumps([e.model_dump(mode="json") for e in primary_events + secondary_events])
    assert SECONDARY_MEMBER not in raw and "Rivera" not in raw

    # The read model projected both payers onto the primary's ledger.
    activities: set[str] = set()
    for _ in range(100):
        ledger = (await claimflow.http.get(f"/claims/{claim_id}/ledger")).json()
        activities = {entry["activity"] for entry in ledger}
        if {"cob_transfer", "secondary"} <= activities:
            break
        await asyncio.sleep(0.2)
    assert {"cob_transfer", "secondary"} <= activities


async def test_crossover_is_not_billed_twice(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(with_secondary("XOVERMEDIGAP"))
    paid = await claimflow.wait_status(claim_id, S.PAID)
    assert paid["crossover_payer_id"] == "XOVERMEDIGAP"
    assert paid["secondary_claim_id"] is None
    # The crossover payer's own 835 follows on the same claim (it may already have).
    done = paid
    for _ in range(300):
        if done["history"][-1]["reason"] == "coordination of benefits":
            break
        await asyncio.sleep(0.3)
        done = await claimflow.view(claim_id)
    assert done["history"][-2]["status"] == S.ADJUDICATED
    assert_settled(done, "102.50")
    assert done["balances"]["coinsurance"] == "0.00"
    response = await claimflow.http.get(f"/claims/{secondary_claim_id(claim_id, 'S')}")
    assert response.status_code == 404


async def test_a_tertiary_claim_follows_the_secondary_through_the_simulator(
    claimflow: Harness,
) -> None:
    """Three coverages over X12: the secondary (a COPAY member: it keeps the copay, so it
    leaves the patient what the primary left) is followed by the tertiary claim, started
    by the secondary claim with both earlier decisions in its 837P; the simulator's
    tertiary payer (CLP02 3) pays the rest, and the primary's ledger owes nothing."""
    payload = with_secondary("SIMSECOND1")
    payload["other_coverages"][0]["subscriber"]["member_id"] = "COPAYSEC9"
    payload["other_coverages"].append({
        "responsibility": "T", "payer": {"payer_id": "SIMTHIRD1", "name": "Third Benefit"},
        "subscriber": {"member_id": "TER4455", "first_name": "Alex", "last_name": "Rivera",
                       "sex": "F"},
    })  # fmt: skip
    claim_id = await claimflow.submit(payload)
    await claimflow.wait_status(claim_id, S.PAID)
    sec_id, ter_id = (secondary_claim_id(claim_id, r) for r in ("S", "T"))
    secondary = await claimflow.wait_status(sec_id, S.PAID, timeout=90)
    assert secondary["secondary_claim_id"] == ter_id
    tertiary = await claimflow.wait_status(ter_id, S.PAID, timeout=90)
    assert tertiary["primary_claim_id"] == claim_id
    assert tertiary["adjudication"]["status_code"] == "3"
    assert tertiary["paid_amount"] == "20.50"
    done: dict[str, Any] = {}
    for _ in range(300):
        done = await claimflow.view(claim_id)
        reasons = [h["reason"] for h in done["history"]]
        if any("tertiary payer decided" in (r or "") for r in reasons):
            break
        await asyncio.sleep(0.3)
    assert_settled(done, "102.50")
