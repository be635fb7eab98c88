"""The payer simulator's check runs: one 277CA and one 835 for many claims, posted whole."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from claims.status import ClaimStatus as S
from services import inbound_store
from services.settings import Settings
from tests.support import claim_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]


async def test_claims_answered_in_one_check_run_are_each_paid_once(
    settings: Settings, client: Client
) -> None:
    # A window long enough that claims submitted together under load share a run.
    settings = settings.model_copy(update={"payer_check_run_seconds": 3.0})
    async with harness(settings, client) as h:
        payloads = []
        for k in range(4):
            payload = claim_payload()
            payload["subscriber"]["member_id"] = f"RUN{k:05d}"
            payloads.append(payload)
        claim_ids = await asyncio.gather(*(h.submit(p) for p in payloads))
        views = await asyncio.gather(*(h.wait_status(c, S.PAID, timeout=90) for c in claim_ids))
        # Each claim went the clean way once: no message applied twice, none lost.
        assert [v["status"] for v in views] == ["PAID"] * 4
        assert {v["seq"] for v in views} == {7}  # RECEIVED .. ACCEPTED, ADJUDICATED, PAID
        files = inbound_store.list_files(h.engine, limit=100)
        by_kind: dict[str, list[inbound_store.InboundFile]] = {}
        for f in files:
            by_kind.setdefault(f.kind, []).append(f)
        # Fewer files than claims: answers were batched (a 999 is per 837P, one per claim).
        assert len(by_kind["835"]) < 4 and len(by_kind["277CA"]) < 4, files
        assert len(by_kind["999"]) == 4
        units = [u for f in by_kind["835"] for u in inbound_store.units_of(h.engine, f.file_id)]
        assert sum(u.delivered for u in units) == 4
        assert max(u.messages for u in units) > 1
