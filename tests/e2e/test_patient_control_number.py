"""A payer's truncation cannot lose a payment (issue 15 #1), end to end on real X12.

The simulator can keep only the first N characters of CLM01 in its 277CA TRN02 and 835
CLP01 (``payer_truncate_clm01_to``), as real payers keep 20: claims still reach PAID, and
an appeal (sent by the patient control number the payer knows) is still paid. Claims sent
before patient control numbers existed (CLM01 = the 26-character claim id) are answered by
their id or its 20-character truncation and still match.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from temporalio.client import Client

from claims.status import ClaimStatus as S
from claims.x12.remit_835 import parse_835
from services import inbound_store, payer_files, x12_store
from services.crypto.keyring import KeyRing
from services.settings import Settings
from tests.e2e.test_x12_exchange import era, post
from tests.support import claim_payload, denied_for_auth_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(240)]


def received_835s(settings: Settings, engine: Engine) -> list[str]:
    """Every 835 the payer sent, as received: payer files are kept (encrypted) in the payer
    file store, not as files, and read back through it."""
    ring = KeyRing.for_settings(settings)
    return [
        payer_files.read(engine, ring, f.file_id).decode()
        for f in inbound_store.list_files(engine)
        if f.kind == "835"
    ]


async def test_a_payer_that_keeps_20_characters_still_pays(
    settings: Settings, client: Client
) -> None:
    truncating = settings.model_copy(update={"payer_truncate_clm01_to": 20})
    async with harness(truncating, client) as h:
        claim_id = await h.submit(claim_payload())
        await h.wait_status(claim_id, S.PAID)
        pcn = x12_store.patient_control_number_of(h.engine, claim_id)
        [text] = received_835s(truncating, h.engine)
        [payment] = [c for e in parse_835(text) for c in e.claims]
        assert payment.claim_id == pcn and len(pcn) == 20


async def test_a_payer_that_keeps_fewer_still_pays_and_an_appeal_still_pays(
    settings: Settings, client: Client
) -> None:
    truncating = settings.model_copy(update={"payer_truncate_clm01_to": 14})
    async with harness(truncating, client) as h:
        claim_id = await h.submit(denied_for_auth_payload())
        await h.wait_status(claim_id, S.DENIED)
        pcn = x12_store.patient_control_number_of(h.engine, claim_id)
        assert pcn is not None
        # The payer answered with 14 characters; they found the claim.
        denials = received_835s(truncating, h.engine)
        assert denials and all(pcn[:14] in text for text in denials)
        response = await h.http.post(
            f"/claims/{claim_id}/appeal", json={"reason": "authorization obtained"}
        )
        assert response.status_code == 200, response.text
        view = await h.wait_status(claim_id, S.PAID)
        assert view["appeal_level"] == 1
        unmatched = (await h.http.get("/payer-messages/unmatched")).json()
        assert unmatched == []


async def test_claims_sent_with_their_id_as_clm01_still_match(
    settings: Settings, client: Client
) -> None:
    """Answers for claims sent before patient control numbers: the whole claim id, or the
    first 20 characters of it from a payer that truncates (found by what was sent)."""
    async with harness(settings, client) as h:
        claim_id = await h.submit(claim_payload(procedures=(("97810", "95.00"),)))
        await h.wait_status(claim_id, S.DENIED)
        # Which claim ids went out is recorded with every 837P (for the 999), so a payer
        # answering with the first 20 characters of an id is matched by what was sent.
        status, body = await post(h, era(claim_id[:20], "LEGACY-20", paid="95.00", charge="95.00"))
        assert status == 202, body
        await h.wait_status(claim_id, S.PAID)
