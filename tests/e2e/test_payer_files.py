"""Payer files taken by reference: stored first, posted in pages, completely and once.

Every refusal path of intake: a file that cannot be read (stored, recorded refused), a
unit that does not balance (quarantined with its report, its trace number not burnt), a
unit taken before (a duplicate); and the inbox, which no one bad file stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import Client

from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from claims.x12.envelope import Envelope
from claims.x12.render_remits import PayeeInfo, PayerInfo, render_835
from services import inbound_store
from services.inbox import take_folder
from services.payersim.outbox import PAYER_ADDRESS
from services.settings import Settings
from tests.support import Harness, claim_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(300)]

PAYER = PayerInfo(name="TEST PLAN", payer_id="TESTPLAN", address=PAYER_ADDRESS)
PAYEE = PayeeInfo(name="RIVERSIDE", npi="1234567893")
STRANGER = "01ARZ3NDEKTSV4RRFFQ69G{:04d}"


def paid(claim_id: str, n: int, charge: str = "185.00", paid: str = "100.00") -> Remittance:
    return Remittance(
        remittance_id=f"R{n}", claim_id=claim_id, payer_claim_control_number=f"PCN{n}",
        decision=Decision.PAID, total_charge=Decimal(charge), paid_amount=Decimal(paid),
        adjustments=(Adjustment(group=GroupCode.CO, carc="45",
                                amount=Decimal(charge) - Decimal(paid)),),
    )  # fmt: skip


def era(remittances: list[Remittance], trace: str) -> str:
    envelope = Envelope(sender_id="TESTPLAN", receiver_id="CLAIMFLOW",
                        interchange_control_number=7, group_control_number=7)  # fmt: skip
    return render_835(remittances, envelope=envelope, trace_number=trace, payer=PAYER,
                      payee=PAYEE, payment_date=dt.date.today())  # fmt: skip


async def post(h: Harness, text: str, name: str = "test.835") -> tuple[int, Any]:
    response = await h.http.post(
        "/x12/inbound", content=text.encode(), headers={"x-filename": name}
    )
    return response.status_code, response.json()


async def file_view(h: Harness, file_id: str, *, status: str, timeout: float = 120) -> Any:
    view: Any = None
    for _ in range(int(timeout * 5)):
        view = (await h.http.get(f"/inbound-files/{file_id}")).json()
        if view["file"]["status"] == status:
            return view
        await asyncio.sleep(0.2)
    raise AssertionError(f"file {file_id} never became {status}: {view}")


def with_exchange(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """``settings`` with a file exchange folder: the clearinghouse's, outside the state dir
    (claimflow refuses one inside it: files there are plain X12)."""
    exchange = tmp_path_factory.mktemp("exchange")
    return settings.model_copy(update={"x12_exchange_dir": exchange})


async def test_a_multi_page_era_posts_completely_and_once(
    settings: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The file gateway: the 837P waits in the exchange folder, no simulator answers it.
    paged = with_exchange(settings, tmp_path_factory).model_copy(
        update={"posting_page_size": 50, "payer_gateway": "file"}
    )
    async with harness(paged, client) as h:
        claim_id = await h.submit(claim_payload())
        await h.wait_status(claim_id, S.SUBMITTED)
        trace = f"EFT-{uuid.uuid4().hex[:8]}"
        remittances = [paid(STRANGER.format(n), n) for n in range(1, 130)]
        remittances.insert(64, paid(claim_id, 999))  # on the second page
        status, body = await post(h, era(remittances, trace))
        assert status == 202, body
        [unit] = body
        assert unit["outcome"] == "posting" and unit["messages"] == 130
        view = await file_view(h, unit["payer_file_id"], status="taken")
        [posted] = view["units"]
        assert (posted["status"], posted["delivered"], posted["unmatched"]) == ("posted", 1, 129)
        claim = await h.wait_status(claim_id, S.PAID)
        assert claim["paid_amount"] == "100.00"
        assert claim["balances"]["paid"] == "100.00"  # claim-level: this ERA has no SVC
        assert [line["charge"] for line in claim["lines"]] == ["150.00", "35.00"]
        # The check reconciles: every claim payment booked, sum(CLP04) - PLB = BPR02.
        [payment] = (await h.http.get("/payments", params={"trace_number": trace})).json()
        check = (await h.http.get(f"/payments/{payment['payment_id']}")).json()
        assert check["balance"]["complete"] and check["balance"]["balanced"]
        assert check["balance"]["claims_posted"] == 130
        queue = (await h.http.get("/payer-messages/unmatched", params={"limit": 1000})).json()
        assert len(queue) == 129
        # Once: the same ERA again is a duplicate and posts nothing.
        status, again = await post(h, era(remittances, trace))
        assert status == 409 and again[0]["outcome"] == "duplicate"
        await asyncio.sleep(1)
        queue = (await h.http.get("/payer-messages/unmatched", params={"limit": 1000})).json()
        assert len(queue) == 129


async def test_a_quarantined_era_keeps_its_trace_number_for_the_resend(
    claimflow: Harness,
) -> None:
    trace = f"CHK/2026/{uuid.uuid4().hex[:6]}"  # a slash, as some payers write them
    good = era([paid(STRANGER.format(1), 1)], trace)
    broken = good.replace("*100*", "*101*", 1)  # BPR02 no longer the sum of CLP04
    assert broken != good
    status, body = await post(claimflow, broken, name="../../etc/passwd")
    assert status == 422 and body[0]["outcome"] == "quarantined"
    assert any("BPR02" in p for p in body[0]["problems"])
    view = await file_view(claimflow, body[0]["payer_file_id"], status="taken")
    assert view["file"]["source"] == "etc_passwd"
    assert view["units"][0]["status"] == "quarantined" and "BPR02" in view["units"][0]["report"]
    status, body = await post(claimflow, good)  # the corrected resend, same trace number
    assert status == 202 and body[0]["outcome"] == "posting", body


async def test_a_file_that_cannot_be_read_is_stored_and_recorded_refused(
    claimflow: Harness,
) -> None:
    status, body = await post(claimflow, "ISA*this is not x12~")
    assert status == 422
    [detail] = body["detail"]  # the one error shape: {field, rule, msg}
    assert detail["rule"] == "x12"
    assert "segment" in detail["msg"] or "ISA" in detail["msg"]
    # The message names the stored file (a ULID) so the sender can look it up.
    kept = re.search(r"the file is kept as ([0-9A-HJKMNP-TV-Z]{26})\b", detail["msg"])
    assert kept, detail["msg"]
    view = (await claimflow.http.get(f"/inbound-files/{kept.group(1)}")).json()
    assert view["file"]["status"] == "refused" and view["file"]["reason"]


async def test_no_one_bad_file_stops_the_inbox(
    claimflow: Harness, tmp_path_factory: pytest.TempPathFactory
) -> None:
    exchanging = with_exchange(claimflow.settings, tmp_path_factory)
    assert exchanging.x12_exchange_dir is not None
    inbound = exchanging.x12_exchange_dir / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    trace = f"TR/{uuid.uuid4().hex[:6]}"
    (inbound / "a-garbage.835").write_bytes(b"\x00\xffnot x12 at all")
    (inbound / "b-unbalanced.835").write_text(
        era([paid(STRANGER.format(2), 2)], trace).replace("*100*", "*99*", 1)
    )
    (inbound / "c-good.835").write_text(era([paid(STRANGER.format(3), 3)], trace + "X"))
    taken = await take_folder(exchanging, claimflow.engine, claimflow.client)
    assert taken == 3
    assert [p.name for p in inbound.iterdir() if p.is_file()] == []  # no PHI left on disk
    assert (inbound / "failed" / "a-garbage.835.result").exists()
    assert sorted(p.name for p in (inbound / "done").iterdir()) == [
        "b-unbalanced.835.result",
        "c-good.835.result",
    ]
    statuses = {f.source: f.status for f in inbound_store.list_files(claimflow.engine)}
    assert statuses["a-garbage.835"] == "refused"
