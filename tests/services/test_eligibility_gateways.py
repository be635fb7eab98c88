"""Eligibility end to end over real HTTP: the simulator's real-time endpoint through each
payer gateway and the eligibility activity, including a payer that never answers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.testing import ActivityEnvironment
from ulid import ULID

from activities.eligibility import EligibilityActivities, EligibilityInput
from claims.eligibility import EligibilityStatus, request_for_claim
from claims.model import Claim
from claims.payer_messages import PayerMessage
from claims.x12.eligibility_270 import parse_270
from claims.x12.read_271 import answer_for, results_of
from claims.x12.validate import validate
from services import x12_store
from services.crypto.files import decrypt_bytes
from services.crypto.keyring import KeyRing
from services.db import init_db, make_engine
from services.gateway import HttpPayerGateway
from services.payersim.app import create_app
from services.payersim.eligibility import answer_270
from services.payersim.folder import answer_folder
from services.payersim.outbox import Outbox, SignalOutbox
from services.settings import Settings
from services.x12_gateway import FileExchangeGateway, X12HttpGateway
from tests.support import claim_payload, free_port, serve

pytestmark = pytest.mark.timeout(120)


async def _no_signal(message: PayerMessage) -> None:
    raise AssertionError(f"eligibility sends no payer messages, got {message}")


async def _outbox() -> Outbox:
    return SignalOutbox(_no_signal)


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    state = tmp_path / "state"
    return Settings(
        state_dir=state, database_url=f"sqlite:///{state / 'db.sqlite'}",
        payer_port=free_port(), x12_exchange_dir=tmp_path / "exchange",
    )  # fmt: skip


def kept(local: Settings, folder: str, name: str) -> str:
    """A kept copy (``sent/``, ``received/``), decrypted: copies are sealed with the key ring."""
    sealed = (local.x12_dir / folder / name).read_bytes()
    return decrypt_bytes(KeyRing.for_settings(local), sealed).decode()


@pytest.fixture
def db(local: Settings) -> Iterator[Engine]:
    """Control numbers for the 270s (the shared ``engine`` fixture also runs PostgreSQL)."""
    eng = make_engine(local.resolved_database_url)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def payer(local: Settings) -> AsyncIterator[str]:
    async with serve(create_app(_outbox, delay=0.1), local.payer_port) as url:
        yield url


def claim(member_id: str) -> Claim:
    payload = claim_payload(claim_id=str(ULID()))
    payload["subscriber"]["member_id"] = member_id
    return Claim.model_validate(payload)


@pytest.mark.parametrize(
    ("member_id", "status"),
    [("XJH1", "active"), ("COPAY5", "active"), ("INACTIVE2", "inactive"),
     ("NOTFOUND4", "not_found"), ("UNAVAILABLE8", "error")],
)  # fmt: skip
async def test_x12_gateway_sends_a_270_and_reads_the_271(
    payer: str, local: Settings, db: Engine, member_id: str, status: str
) -> None:
    gateway = X12HttpGateway(local, db)
    try:
        c = claim(member_id)
        result = await gateway.check_eligibility(request_for_claim(c))
    finally:
        await gateway.aclose()
    assert (result.status, result.claim_id, result.trace_number) == (status, c.claim_id, c.claim_id)
    assert result.reference == "270-000000001.x12" and result.findings == ()
    sent = kept(local, "sent", "270-000000001.x12")
    received = kept(local, "received", "271-000000001.x12")
    assert validate(sent) == [] and validate(received) == []
    assert answer_for(
        c.claim_id or "", received.encode(), claim_id=c.claim_id
    ) == result.model_copy(update={"reference": None})


async def test_json_gateway_gives_the_same_answer(payer: str, local: Settings) -> None:
    gateway = HttpPayerGateway(payer)
    try:
        for member_id, copay in (("COPAY5", Decimal(25)), ("HDHP3", None)):
            c = claim(member_id)
            result = await gateway.check_eligibility(request_for_claim(c))
            assert result.status is EligibilityStatus.ACTIVE and result.claim_id == c.claim_id
            assert result.summary(service_type="98").copay == copay
        missing = await gateway.check_eligibility(request_for_claim(claim("NOTFOUND1")))
        assert missing.rejections[0].reason == "75"
    finally:
        await gateway.aclose()


async def test_file_gateway_writes_the_270_and_is_pending(local: Settings, db: Engine) -> None:
    c = claim("HDHP3")
    result = await FileExchangeGateway(local, db).check_eligibility(request_for_claim(c))
    assert result.status is EligibilityStatus.PENDING and result.trace_number == c.claim_id
    out = local.x12_exchange_dir / "outbound" / (result.reference or "")  # type: ignore[operator]
    assert out.is_file() and not list(out.parent.glob(".*.tmp"))
    assert validate(out.read_text()) == []
    assert kept(local, "sent", out.name) == out.read_text()
    # What the payer's side of the file exchange does with it, and how the answer maps back.
    answer = answer_for(c.claim_id or "", answer_270(out.read_text()), claim_id=c.claim_id)
    assert answer.status is EligibilityStatus.ACTIVE
    assert answer.summary().deductible_remaining == 250
    # The question is recorded against its claim before the file leaves: the 271 that comes
    # back through the inbox finds the claim by its trace number.
    assert x12_store.claim_for_eligibility_trace(db, c.claim_id or "") == c.claim_id
    assert x12_store.claim_for_eligibility_trace(db, "NO-SUCH-TRACE") is None


async def test_file_exchange_simulator_answers_270_files_with_271_files(
    local: Settings, db: Engine
) -> None:
    """The simulator on the payer's side of the folder: each 270 picked up and answered in
    inbound/ (never half-written), a silent member's picked up and never answered."""
    gateway = FileExchangeGateway(local, db)
    exchange = local.x12_exchange_dir
    assert exchange is not None
    answered, silent = claim("INACTIVE4"), claim("SILENT2")
    asked = await gateway.check_eligibility(request_for_claim(answered))
    await gateway.check_eligibility(request_for_claim(silent))
    assert answer_folder(exchange) == 2
    assert list((exchange / "outbound").glob("270-*")) == []  # picked up
    [back] = (exchange / "inbound").iterdir()
    assert back.name == (asked.reference or "").replace("270-", "271-")
    assert back.stat().st_mode & 0o777 == 0o600
    assert validate(back.read_text()) == []
    [result] = results_of(back.read_text())
    assert (result.status, result.trace_number) == (EligibilityStatus.INACTIVE, answered.claim_id)
    assert answer_folder(exchange) == 0  # nothing twice
    (exchange / "outbound" / "270-000000099.x12").write_text("ISA*garbage~")
    assert answer_folder(exchange) == 0
    assert (exchange / "outbound" / "270-000000099.x12.unreadable").is_file()


async def test_the_endpoint_refuses_an_unreadable_270(payer: str) -> None:
    async with httpx.AsyncClient(base_url=payer) as http:
        response = await http.post("/x12/270", content=b"ISA*00*garbage~")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("unreadable 270: segment 1")


async def test_activity_answers_through_the_gateway(
    payer: str, local: Settings, db: Engine
) -> None:
    gateway = X12HttpGateway(local, db)
    activities = EligibilityActivities(gateway, timeout_s=10)
    try:
        c = claim("COPAY9")
        result = await ActivityEnvironment().run(
            activities.check_eligibility, EligibilityInput(claim=c, trace_number=f"{c.claim_id}-2")
        )
    finally:
        await gateway.aclose()
    assert result.status is EligibilityStatus.ACTIVE and result.trace_number == f"{c.claim_id}-2"
    assert result.expected_patient_share(c.total_charge, service_type="98").total == 25
    (inquiry,) = parse_270(kept(local, "sent", result.reference or ""))
    assert inquiry.trace_number == f"{c.claim_id}-2"


async def test_a_silent_payer_is_a_timeout_not_an_exception(
    payer: str, local: Settings, db: Engine
) -> None:
    gateway = X12HttpGateway(local, db)
    activities = EligibilityActivities(gateway, timeout_s=1.5)
    started = time.monotonic()
    try:
        result = await ActivityEnvironment().run(
            activities.check_eligibility, EligibilityInput(claim=claim("SILENT1"))
        )
    finally:
        await gateway.aclose()
    assert result.status is EligibilityStatus.TIMEOUT
    assert result.message == "the payer did not answer within 1.5 s (1 attempt)"
    assert 1.4 < time.monotonic() - started < 5


async def test_a_payer_that_is_down_is_asked_again_until_the_bound(local: Settings) -> None:
    gateway = HttpPayerGateway(f"http://127.0.0.1:{free_port()}")  # nobody listens there
    activities = EligibilityActivities(gateway, timeout_s=1.0, retry_every_s=0.2)
    try:
        result = await activities.check_eligibility(EligibilityInput(claim=claim("XJH1")))
    finally:
        await gateway.aclose()
    assert result.status is EligibilityStatus.TIMEOUT
    assert result.message is not None and "last error: ConnectError" in result.message
    assert "attempts" in result.message


async def test_a_request_the_270_cannot_carry_is_an_error_at_once(
    local: Settings, db: Engine
) -> None:
    activities = EligibilityActivities(X12HttpGateway(local, db), timeout_s=30)
    started = time.monotonic()
    result = await activities.check_eligibility(EligibilityInput(claim=claim("MEM*1")))
    assert result.status is EligibilityStatus.ERROR and time.monotonic() - started < 5
    assert result.message == (
        "the payer refused: the request cannot be sent as a 270: member id contains an X12 "
        "delimiter or control character: '*'"
    )
    no_id = await activities.check_eligibility(
        EligibilityInput(claim=claim("XJH1").model_copy(update={"claim_id": None}))
    )
    assert no_id.status is EligibilityStatus.ERROR and "claim_id" in (no_id.message or "")
