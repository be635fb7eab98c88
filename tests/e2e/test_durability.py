"""The Temporal server itself goes away mid-lifecycle; the claim still completes.

This test runs a Temporal dev server of its own (other ports, its own db file) so that
restarting it cannot disturb the rest of the suite.
"""

from __future__ import annotations

import asyncio

import pytest

from claims.status import ClaimStatus as S
from services.settings import Settings
from services.stack import temporal
from services.temporal import connect
from tests.support import claim_payload, free_port, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]

PATH = [S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED, S.PAID]


@pytest.mark.parametrize("how", ["restart", "kill9"])
async def test_temporal_server_restart_mid_lifecycle(settings: Settings, how: str) -> None:
    private = settings.model_copy(
        update={
            "temporal_port": free_port(),
            "temporal_http_port": free_port(),
            "temporal_metrics_port": free_port(),
            "temporal_ui": False,
            "payer_delay_seconds": 3.0,
        }
    )
    temporal.up(private)
    try:
        client = await connect(private)
        async with harness(private, client) as h:
            claim_id = await h.submit(claim_payload())
            await h.wait_status(claim_id, S.SUBMITTED)
            db_size = temporal.db_file(private).stat().st_size
            if how == "restart":
                temporal.restart(private)
            else:
                temporal.kill9(private)
                await asyncio.sleep(1)
                temporal.up(private)
            assert temporal.db_file(private).stat().st_size >= db_size

            view = await h.wait_status(claim_id, S.PAID, timeout=120)
            assert [e["status"] for e in view["history"]] == PATH
            events = h.events(claim_id)
            deduped = list({e.seq: e for e in reversed(events)}.values())[::-1]
            assert [e.seq for e in deduped] == list(range(1, len(PATH) + 1))
            assert [e.data.status for e in deduped] == PATH
            await h.wait_read_model(claim_id, S.PAID, seq=len(PATH))
    finally:
        temporal.down(private)
