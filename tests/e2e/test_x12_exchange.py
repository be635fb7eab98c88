"""The lifecycle on real X12: 837P out; 999, 277CA and 835 in, through the API and a folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import Client

from claims.model import Claim
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.status import ClaimStatus as S
from claims.x12 import ack_999
from claims.x12.envelope import Envelope
from claims.x12.interchange import read_document
from claims.x12.read_837p import parse_837p
from claims.x12.render_remits import (
    ClaimStatusEntry,
    PayeeInfo,
    PayerInfo,
    render_277ca,
    render_835,
    render_999,
)
from claims.x12.status_277ca import StatusCode
from claims.x12.validate import validate
from services import inbound_store, payer_files, x12_store
from services.crypto.files import is_encrypted, read_decrypted
from services.crypto.keyring import KeyRing
from services.inbox import take_folder
from services.payersim.outbox import PAYER_ADDRESS
from services.settings import Settings
from tests.services.test_cli import cli
from tests.support import Harness, claim_payload, harness

pytestmark = [pytest.mark.stack, pytest.mark.timeout(180)]

PAYER = PayerInfo(name="TEST PLAN", payer_id="TESTPLAN", address=PAYER_ADDRESS)
PAYEE = PayeeInfo(name="RIVERSIDE", npi="1234567893")


def envelope(n: int) -> Envelope:
    return Envelope(sender_id="TESTPLAN", receiver_id="CLAIMFLOW", interchange_control_number=n,
                    group_control_number=n)  # fmt: skip


def era(claim_id: str, trace: str, *, paid: str = "100.00", charge: str = "185.00") -> str:
    # Posting ids come from trace numbers and the test stack outlives a test run: unique ones.
    trace = f"{trace}-{uuid.uuid4().hex[:10]}"
    remittance = Remittance(
        remittance_id=trace,
        claim_id=claim_id,
        payer_claim_control_number="PCN9",
        decision=Decision.PAID,
        total_charge=Decimal(charge),
        paid_amount=Decimal(paid),
        adjustments=(
            Adjustment(group=GroupCode.CO, carc="45", amount=Decimal(charge) - Decimal(paid)),
        ),
    )
    return render_835([remittance], envelope=envelope(7), trace_number=trace, payer=PAYER,
                      payee=PAYEE, payment_date=dt.date.today())  # fmt: skip


async def post(h: Harness, text: str, name: str = "test.835") -> tuple[int, object]:
    response = await h.http.post(
        "/x12/inbound", content=text.encode(), headers={"x-filename": name}
    )
    return response.status_code, response.json()


async def test_clean_claim_goes_out_as_a_valid_837p_and_comes_back_as_x12(
    claimflow: Harness,
) -> None:
    claim_id = await claimflow.submit(claim_payload())
    view = await claimflow.wait_status(claim_id, S.PAID)
    assert view["payer_claim_control_number"]  # from the 277CA's REF*1K
    [sent] = list((claimflow.settings.x12_dir / "sent").glob("837P-*.x12"))
    assert sent.stat().st_mode & 0o777 == 0o600
    text = read_decrypted(KeyRing.for_settings(claimflow.settings), sent).decode()
    assert validate(text) == []
    # CLM01 is the claim's 20-character patient control number, recorded before sending.
    pcn = x12_store.patient_control_number_of(claimflow.engine, claim_id)
    assert pcn is not None and len(pcn) == 20
    assert [c.claim_id for c in parse_837p(text)] == [pcn]
    files = (await claimflow.http.get("/inbound-files")).json()
    assert {f["kind"] for f in files} == {"999", "277CA", "835"}
    assert {f["status"] for f in files} <= {"received", "taken"}
    # The payer's files are kept in the payer file store, not on disk; the only received
    # copies on disk are eligibility answers (271s), and those are sealed (0600).
    ring = KeyRing.for_settings(claimflow.settings)
    received = claimflow.settings.x12_dir / "received"
    for path in received.iterdir() if received.exists() else ():
        assert path.stat().st_mode & 0o777 == 0o600
        assert is_encrypted(path.read_bytes()), path
        assert "ST*271*" in read_decrypted(ring, path).decode(), path


async def test_the_same_era_is_never_posted_twice(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(claim_payload(procedures=(("97810", "95.00"),)))
    await claimflow.wait_status(claim_id, S.DENIED)
    # The payer changes its mind and pays: an ERA for a denied claim.
    text = era(claim_id, "TRACE-1", paid="95.00", charge="95.00")
    status, body = await post(claimflow, text)
    assert status == 202, body
    await claimflow.wait_status(claim_id, S.PAID)
    seq = (await claimflow.view(claim_id))["seq"]

    status, body = await post(claimflow, text)
    assert status == 409
    assert isinstance(body, list) and body[0]["outcome"] == "duplicate"
    await asyncio.sleep(1)
    assert (await claimflow.view(claim_id))["seq"] == seq


async def test_an_era_that_does_not_balance_is_quarantined_whole(claimflow: Harness) -> None:
    claim_id = await claimflow.submit(claim_payload(procedures=(("97810", "95.00"),)))
    await claimflow.wait_status(claim_id, S.DENIED)
    text = era(claim_id, "TRACE-2", paid="95.00", charge="95.00").replace("*95*", "*96*", 1)
    status, body = await post(claimflow, text)
    assert status == 422, body
    assert isinstance(body, list) and body[0]["outcome"] == "quarantined"
    assert any("BPR02" in p or "CLP" in p for p in body[0]["problems"])
    # The file is kept (in the payer file store) with the unit's report.
    kept = (await claimflow.http.get(f"/inbound-files/{body[0]['payer_file_id']}")).json()
    assert kept["file"]["status"] == "taken"
    [unit] = kept["units"]
    assert unit["status"] == "quarantined" and "BPR02" in unit["report"]
    await asyncio.sleep(1)
    assert (await claimflow.view(claim_id))["status"] == S.DENIED  # nothing posted


async def test_a_payment_for_no_open_claim_is_queued_not_dropped(claimflow: Harness) -> None:
    stranger = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    status, _ = await post(claimflow, era(stranger, "TRACE-3"))
    assert status == 202
    for _ in range(100):
        queue = (await claimflow.http.get("/payer-messages/unmatched")).json()
        if queue:
            break
        await asyncio.sleep(0.2)
    [item] = queue
    assert item["claim_ref"] == stranger
    assert "no open claim" in item["reason"]


async def test_unreadable_file_is_refused_naming_the_segment(claimflow: Harness) -> None:
    text = era("01ARZ3NDEKTSV4RRFFQ69G5FAV", "TRACE-4")
    truncated = text[: len(text) // 2]
    status, body = await post(claimflow, truncated)
    assert status == 422
    assert isinstance(body, dict) and "segment" in body["detail"][0]["msg"]


async def test_remit_cli(claimflow: Harness, tmp_path: Path) -> None:
    path = tmp_path / "era.835"
    path.write_text(era("01ARZ3NDEKTSV4RRFFQ69G5FAV", "TRACE-5"))
    first = await asyncio.to_thread(cli, claimflow, "remit", str(path))
    assert first.returncode == 0 and "posting" in first.stdout, first.stderr
    again = await asyncio.to_thread(cli, claimflow, "remit", str(path))
    assert again.returncode == 1 and "duplicate" in again.stdout
    path.write_text("ISA*garbage")
    bad = await asyncio.to_thread(cli, claimflow, "remit", str(path))
    assert bad.returncode == 2 and "segment" in bad.stderr


async def test_file_exchange_with_a_clearinghouse(
    settings: Settings, client: Client, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """837P files out to a folder; the test plays the clearinghouse and answers in files."""
    exchange = tmp_path_factory.mktemp("exchange")  # the clearinghouse's, not our state dir
    file_mode = settings.model_copy(update={"payer_gateway": "file", "x12_exchange_dir": exchange})
    async with harness(file_mode, client) as h:
        claim = Claim.model_validate(claim_payload())
        claim_id = await h.submit(claim.model_dump(mode="json"))
        outbound = exchange / "outbound"
        for _ in range(100):
            # The claim waits for its 271 first: the simulator answers the 270 file, the
            # inbox takes the answer.
            await take_folder(file_mode, h.engine, client)
            sent = list(outbound.glob("837P-*.x12"))
            if sent:
                break
            await asyncio.sleep(0.1)
        [file_837] = sent
        text = file_837.read_text()
        [submitted] = parse_837p(text)
        await h.wait_status(claim_id, S.SUBMITTED)

        gs = next(g for _, g, _ in read_document(text).transactions())
        answers = {
            "a.999": render_999(
                [ack_999.group_ack("HC", gs.control_number, gs.version,
                                   [ack_999.TransactionAck(submitted.transaction_control_number,
                                                           ack_999.AckStatus.ACCEPTED)])],
                envelope=envelope(1),
            ),
            "b.277": render_277ca(
                [ClaimStatusEntry(submitted, StatusCode("A2", "20", "PR"), "PCN-F1")],
                envelope=envelope(2), payer_name="TEST PLAN", payer_id="TESTPLAN",
                batch_reference="B1", trace_number="T1",
            ),
            "c.835": era(claim_id, "TRACE-F1", paid="150.00"),
        }  # fmt: skip
        inbound = exchange / "inbound"
        inbound.mkdir(parents=True, exist_ok=True)
        for name, answer in answers.items():
            (inbound / name).write_text(answer)
        engine = h.engine
        assert await take_folder(file_mode, engine, client) == 3
        view = await h.wait_status(claim_id, S.PAID)
        assert [e["status"] for e in view["history"]][3:] == [
            S.SUBMITTED,
            S.ACCEPTED,
            S.ADJUDICATED,
            S.PAID,
        ]
        assert view["payer_claim_control_number"] == "PCN9"
        done = sorted(p.name for p in (inbound / "done").iterdir())
        assert done[1:] == ["a.999.result", "b.277.result", "c.835.result"]
        assert done[0].startswith("271-")
        # The plain files left the exchange folder; the payer file store keeps them sealed.
        assert sorted(p.name for p in inbound.iterdir()) == ["done"]
        ring = KeyRing.for_settings(file_mode)
        kept = {f.source: f for f in inbound_store.list_files(engine)}
        assert set(kept) - set(answers) == {done[0].removesuffix(".result")}
        for name, answer in answers.items():
            assert payer_files.read(engine, ring, kept[name].file_id).decode() == answer
        assert not (file_mode.x12_dir / "received").exists()  # no copies of them on disk
