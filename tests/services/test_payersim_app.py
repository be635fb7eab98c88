"""The payer simulator's answers to an 837P file come in a clearinghouse's order: the file's
999 first, then each claim's 277CA and 835. A late 999 would find a paid claim's workflow
closed and land in the unmatched queue."""

from __future__ import annotations

import asyncio
import time

from fastapi.testclient import TestClient
from ulid import ULID

from claims.model import Claim
from claims.payer_messages import PayerMessage
from claims.remittance import Remittance
from claims.x12.read_837p import SubmittedClaim
from claims.x12.render_837p import render_837p
from services.payersim.app import create_app
from tests.services.test_payersim_cob import ENVELOPE
from tests.support import claim_payload


class SlowAckOutbox:
    """Records what the simulator sends, in order; its 999 takes a while to go out."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def acknowledge(self, x12_837: str) -> None:
        await asyncio.sleep(0.3)
        self.sent.append("999")

    async def send(self, message: PayerMessage, claim: Claim | SubmittedClaim) -> None:
        self.sent.append(type(message).__name__)

    async def send_many(self, messages: list[Remittance], claim: Claim | SubmittedClaim) -> None:
        self.sent.extend(type(m).__name__ for m in messages)


def test_the_999_goes_out_before_any_answer_to_the_file_s_claims() -> None:
    outbox = SlowAckOutbox()

    async def make_outbox() -> SlowAckOutbox:
        return outbox

    claims = [Claim.model_validate(claim_payload(claim_id=str(ULID()))) for _ in range(2)]
    with TestClient(create_app(make_outbox, delay=0)) as client:
        response = client.post("/x12/837", content=render_837p(claims, envelope=ENVELOPE))
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 10
        while len(outbox.sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert outbox.sent[0] == "999", outbox.sent
    assert sorted(outbox.sent[1:]) == ["ClaimStatusReport"] * 2 + ["Remittance"] * 2
