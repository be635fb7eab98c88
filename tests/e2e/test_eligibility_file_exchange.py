"""Eligibility through the file exchange, end to end: the file gateway writes the 270 to
the outbound folder, the payer simulator (playing the clearinghouse) answers it with a 271
file in the inbound folder, the real ``inbox`` process takes it (stored sealed, the plain
file gone), posting delivers it to the claim by the 270's trace number, and the claim,
which waited for it, goes on (active) or is held (inactive). A 271 that answers no claim's
question waits in the unmatched queue."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from temporalio.client import Client

from claims.eligibility import request_for_claim
from claims.model import Claim
from claims.status import ClaimStatus as S
from claims.x12.eligibility_270 import render_270
from claims.x12.envelope import Envelope
from services import apps, inbound_store, payer_files, x12_store
from services.crypto.keyring import KeyRing
from services.payersim.eligibility import answer_270
from services.settings import Settings
from services.stack import process
from tests.e2e.test_eligibility_end_to_end import _findings, _member
from tests.support import harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]


async def test_271_files_through_the_inbox_release_or_hold_the_claim(
    settings: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> None:
    exchange = tmp_path_factory.mktemp("exchange")  # the clearinghouse's, not our state dir
    file_mode = settings.model_copy(
        update={"payer_gateway": "file", "x12_exchange_dir": exchange,
                "eligibility_timeout_seconds": 90.0}
    )  # fmt: skip
    async with harness(file_mode, client) as h:
        apps.start(file_mode, "inbox")
        try:
            active = await h.submit(_member("COPAY100"))
            inactive = await h.submit(_member("INACTIVE77"))

            view = await h.wait_status(active, S.SUBMITTED)
            elig = view["eligibility"]
            assert elig["status"] == "active" and elig["trace_number"] == active
            assert Decimal(elig["copay"]) == Decimal("25.00")
            assert Decimal(elig["expected_patient_share"]["copay"]) == Decimal("25.00")
            assert _findings(view) == []  # answered: no ELIGIBILITY_PENDING warning
            assert elig["reasons"] is None

            held = await h.wait_status(inactive, S.ELIGIBILITY_HOLD)
            [finding] = _findings(held)
            assert finding["code"] == "ELIGIBILITY_INACTIVE"
            assert "inactive (EB 6), terminated on" in finding["message"]
            assert held["payer_claim_control_number"] is None

            # Only the active claim's 837P went out; both 270s were picked up and answered.
            outbound = exchange / "outbound"
            assert len(list(outbound.glob("837P-*.x12"))) == 1
            assert list(outbound.glob("270-*")) == []
            inbound = exchange / "inbound"
            for _ in range(50):  # the inbox leaves its note just after posting starts
                done = sorted(p.name for p in (inbound / "done").iterdir())
                if len(done) == 2:
                    break
                await asyncio.sleep(0.1)
            assert [n[:4] for n in done] == ["271-", "271-"]
            assert sorted(p.name for p in inbound.iterdir()) == ["done"]  # no plain copies
            ring = KeyRing.for_settings(file_mode)
            kept = [f for f in inbound_store.list_files(h.engine) if f.source.startswith("271-")]
            assert len(kept) == 2
            for f in kept:
                assert payer_files.read(h.engine, ring, f.file_id).startswith(b"ISA")
        finally:
            process.stop(file_mode.state_dir, "inbox")

        # A 271 to a question no claim asked: the unmatched queue, never dropped.
        stranger = Claim.model_validate(_member("XJH9", claim_id="01ARZ3NDEKTSV4RRFFQ69G5FAW"))
        assert x12_store.claim_for_eligibility_trace(h.engine, stranger.claim_id or "") is None
        envelope = Envelope(sender_id="CLAIMFLOW", receiver_id="SIMPAYER",
                            interchange_control_number=7, group_control_number=7)  # fmt: skip
        text = answer_270(render_270([request_for_claim(stranger)], envelope=envelope))
        response = await h.http.post(
            "/x12/inbound", content=text.encode(), headers={"content-type": "application/edi-x12"}
        )
        assert response.status_code == 202, response.text
        assert response.json()[0]["kind"] == "271"
        queue: list[dict[str, object]] = []
        for _ in range(100):
            queue = (await h.http.get("/payer-messages/unmatched")).json()
            if queue:
                break
            await asyncio.sleep(0.2)
        [item] = queue
        assert item["kind"] == "EligibilityAnswer" and item["claim_ref"] == stranger.claim_id
        assert "sent a 270" in str(item["reason"])
