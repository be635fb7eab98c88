"""Test helpers shared by the suites: claim factories, in-process servers, a full harness.

The harness runs claimflow for one test against the real test stack (Temporal dev server,
Kafka broker) with everything unique to the test: task queue, topic prefix, consumer group,
SQLite file and HTTP ports. Tests therefore never see each other's claims or events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from claims.roles import Role
from claims.status import ClaimStatus
from events import topics
from events.contract import ClaimEvent
from events.reader import read_claim_events
from services import apps, readmodel
from services.api import create_app as create_api
from services.auth import apikeys, users
from services.auth.store import pack_roles
from services.auth.tokens import LocalIssuer
from services.consumer import prepare_topics
from services.db import init_db, make_engine
from services.payersim.app import create_app as create_payer
from services.payersim.outbox import Outbox, outbox_for
from services.settings import Settings
from services.signals import temporal_signaller
from services.stack import process
from services.worker import running_worker

VALID_NPI = "1234567893"
VALID_NPI_2 = "1987654328"


def message(response: httpx.Response) -> str:
    """The messages of a refusal (``{"detail": [{field, rule, msg}]}``), joined: for asserts."""
    return "; ".join(str(item["msg"]) for item in response.json()["detail"])


# One TLS context for every test client: httpx builds one per client otherwise, loading the
# CA bundle (tens of milliseconds of CPU each), and the tests make thousands of clients.
TLS_CONTEXT = httpx.create_ssl_context()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def claim_payload(
    *,
    procedures: tuple[tuple[str, str], ...] = (("99213", "150.00"), ("85025", "35.00")),
    diagnoses: tuple[str, ...] = ("E119", "I10"),
    days_ago: int = 10,
    **overrides: Any,
) -> dict[str, Any]:
    """A claim that codes and scrubs clean, dated ``days_ago`` before today."""
    service_date = (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()
    lines = [
        {
            "procedure_code": code,
            "units": "1",
            "charge": charge,
            "diagnosis_pointers": [1],
            "service_date_from": service_date,
        }
        for code, charge in procedures
    ]
    total = sum((float(charge) for _, charge in procedures), 0.0)
    claim: dict[str, Any] = {
        "account_number": f"ACCT-{uuid.uuid4().hex[:8]}",
        "billing_provider": {
            "npi": VALID_NPI,
            "name": "Riverside Family Medicine",
            "tax_id": "123456789",
            "taxonomy": "207Q00000X",
            "address": {
                "line1": "100 Main St",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "627011234",
            },
        },
        "rendering_provider": {"npi": VALID_NPI_2, "last_name": "Whitfield", "first_name": "Dana"},
        "subscriber": {
            "member_id": "XJH123456789",
            "first_name": "Alex",
            "last_name": "Rivera",
            "date_of_birth": "1980-04-12",
            "sex": "F",
            "address": {
                "line1": "22 Oak Ave",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62704",
            },
        },
        "payer": {"payer_id": "SIMPAYER1", "name": "Simulated Health Plan"},
        "place_of_service": "11",
        "diagnoses": list(diagnoses),
        "lines": lines,
        "total_charge": f"{total:.2f}",
    }
    claim.update(overrides)
    return claim


def denied_for_auth_payload() -> dict[str, Any]:
    """An MRI without prior authorization: the simulator denies CO-197, an appeal pays."""
    return claim_payload(procedures=(("70553", "1450.00"),), diagnoses=("G43909",))


@asynccontextmanager
async def serve(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Run an ASGI app on a real port inside this event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def unique_settings(base: Settings, state_dir: Path, **extra: Any) -> Settings:
    tag = uuid.uuid4().hex[:10]
    return base.model_copy(
        update={
            "state_dir": state_dir,
            "task_queue": f"claims-{tag}",
            "topic_prefix": f"t{tag}.",
            "database_url": f"sqlite:///{state_dir / 'readmodel.db'}",
            "api_port": free_port(),
            "payer_port": free_port(),
            "payer_delay_seconds": 0.3,
            **extra,
        }
    )


# The default test client may do everything a claim's life needs (not admin).
DEFAULT_ROLES: tuple[Role, ...] = (
    Role.INTAKE,
    Role.CODER,
    Role.BILLER,
    Role.SUPERVISOR,
    Role.OPS,
)


@functools.cache
def _unused_password_hash() -> str:
    """One argon2 hash shared by the test users, whose passwords nobody types: hashing one per
    user (64 MiB, three passes) cost every test that signs someone in a fraction of a second
    of CPU. Tests of passwords themselves go through ``users.add_user``."""
    return PasswordHasher().hash(uuid.uuid4().hex)


def ensure_user(engine: Engine, name: str, roles: tuple[Role, ...]) -> None:
    """A local user holding (at least) ``roles``; the password is never needed in tests."""
    found = users.get_user(engine, name)
    if found is None:
        user = users.AuthUser(
            name=users.check_name(name),
            password_hash=_unused_password_hash(),
            roles=pack_roles(roles),
        )
        with Session(engine) as session:
            session.add(user)
            session.commit()
    elif not set(roles) <= found.role_set:
        users.update_user(engine, name, roles=found.role_set | frozenset(roles))


def make_token(settings: Settings, engine: Engine, name: str, roles: tuple[Role, ...]) -> str:
    """A bearer token of this installation's issuer for user ``name`` (made if needed)."""
    ensure_user(engine, name, roles)
    token, _ = LocalIssuer(settings).issue(name, roles)
    return token


def signed_in(
    settings: Settings, user: str = "tester", roles: tuple[Role, ...] = DEFAULT_ROLES
) -> tuple[Settings, dict[str, str]]:
    """Credentials for an installation a test starts as separate processes (``apps.start``),
    as ``make run`` makes them (``services.auth.bootstrap``): the settings with an API key
    for the payer simulator's X12 posts, and the headers of ``user`` holding ``roles``."""
    engine = make_engine(settings.resolved_database_url)
    try:
        init_db(engine)
        _, payer_key = apikeys.create_key(engine, "payer-sim", frozenset({Role.INTAKE}))
        token = make_token(settings, engine, user, roles)
    finally:
        engine.dispose()
    with_key = settings.model_copy(update={"payer_api_key": SecretStr(payer_key)})
    return with_key, {"Authorization": f"Bearer {token}"}


class Harness:
    """claimflow running for one test; helpers to drive it and to look at the outcome.

    ``http`` is signed in as user ``harness`` with the roles in ``DEFAULT_ROLES`` (``token``
    is its bearer token, for the CLI); ``client_for(Role.OPS)`` gives a client with other
    roles, ``anonymous()`` one with no credential.
    """

    def __init__(self, settings: Settings, client: Client, engine: Engine) -> None:
        self.settings = settings
        self.client = client
        self.engine = engine
        self.api = settings.api_url
        self._clients: list[httpx.AsyncClient] = []
        self.token = make_token(settings, engine, "harness", DEFAULT_ROLES)
        self.http = self.client_with({"Authorization": f"Bearer {self.token}"})

    def client_with(self, headers: dict[str, str]) -> httpx.AsyncClient:
        http = httpx.AsyncClient(base_url=self.api, timeout=60, headers=headers, verify=TLS_CONTEXT)
        self._clients.append(http)
        return http

    def token_for(self, *roles: Role, name: str | None = None) -> str:
        return make_token(self.settings, self.engine, name or "-".join(roles), roles)

    def client_for(self, *roles: Role, name: str | None = None) -> httpx.AsyncClient:
        """A client signed in as a user holding exactly ``roles`` (named after them)."""
        token = self.token_for(*roles, name=name)
        return self.client_with({"Authorization": f"Bearer {token}"})

    def anonymous(self) -> httpx.AsyncClient:
        return self.client_with({})

    @functools.cached_property
    def admin(self) -> httpx.AsyncClient:
        """Signed in as an administrator (users, API keys, webhook subscriptions)."""
        return self.client_for(Role.ADMIN, name="admin")

    async def aclose(self) -> None:
        for http in self._clients:
            await http.aclose()

    async def submit(self, payload: dict[str, Any]) -> str:
        response = await self.http.post("/claims", json=payload)
        assert response.status_code == 202, response.text
        claim_id: str = response.json()["claim_id"]
        return claim_id

    async def view(self, claim_id: str) -> dict[str, Any]:
        """The claim's view. A 503 (its workflow did not answer within the API's bound and
        the read model has nothing yet: a loaded machine) is retried for a while."""
        deadline = time.monotonic() + 60
        response = await self.http.get(f"/claims/{claim_id}")
        while response.status_code == 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            response = await self.http.get(f"/claims/{claim_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def _poll_view(self, claim_id: str) -> dict[str, Any] | None:
        """The view, or None while the claim cannot be read (503: no worker answers queries,
        e.g. one that was just killed and is starting again)."""
        response = await self.http.get(f"/claims/{claim_id}")
        if response.status_code == 503:
            return None
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def wait_status(
        self, claim_id: str, status: ClaimStatus, timeout: float = 60
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = await self._poll_view(claim_id) or view
            if view.get("status") == status:
                return view
            await asyncio.sleep(0.1)
        raise AssertionError(f"claim {claim_id} did not reach {status}; last view: {view}")

    async def wait_seq(self, claim_id: str, seq: int, timeout: float = 60) -> dict[str, Any]:
        """Wait until the claim has made at least ``seq`` transitions."""
        deadline = time.monotonic() + timeout
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = await self._poll_view(claim_id) or view
            if view.get("seq", 0) >= seq:
                return view
            await asyncio.sleep(0.1)
        raise AssertionError(f"claim {claim_id} never reached seq {seq}; last view: {view}")

    def events(self, claim_id: str) -> list[ClaimEvent]:
        """Every record on the lifecycle topic for the claim, duplicates included."""
        return read_claim_events(
            self.settings.kafka_bootstrap,
            self.settings.topic(topics.LIFECYCLE),
            claim_id,
            dedupe=False,
        )

    async def wait_read_model(
        self, claim_id: str, status: ClaimStatus, seq: int, timeout: float = 60
    ) -> readmodel.ClaimRecord:
        deadline = time.monotonic() + timeout
        row = None
        while time.monotonic() < deadline:
            row = readmodel.get_claim(self.engine, claim_id)
            if row is not None and row.last_seq >= seq:
                assert row.status == status, row
                return row
            await asyncio.sleep(0.2)
        raise AssertionError(f"read model never reached seq {seq} for {claim_id}: {row}")


@asynccontextmanager
async def harness(
    settings: Settings,
    client: Client,
    *,
    worker: bool = True,
    consumer: bool = True,
    outbox: Callable[[], Outbox] | None = None,
) -> AsyncIterator[Harness]:
    """Start claimflow for one test. ``worker=False`` leaves the worker to the test."""
    prepare_topics(settings)
    engine = make_engine(settings.resolved_database_url)
    init_db(engine)
    _, payer_key = apikeys.create_key(
        engine, f"payer-sim-{uuid.uuid4().hex[:6]}", frozenset({Role.INTAKE})
    )

    async def make_outbox() -> Outbox:
        if outbox is not None:
            return outbox()
        return outbox_for(
            settings.payer_gateway,
            signal=temporal_signaller(client),
            inbound_url=f"{settings.api_url}/x12/inbound",
            receiver_id=settings.x12_sender_id,
            truncate_to=settings.payer_truncate_clm01_to,
            api_key=payer_key,
        )

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            serve(
                create_payer(
                    make_outbox,
                    delay=settings.payer_delay_seconds,
                    check_run=settings.payer_check_run_seconds,
                    # The file gateway: the simulator answers 270 files with 271 files.
                    exchange=settings.x12_exchange_dir
                    if settings.payer_gateway == "file"
                    else None,
                ),
                settings.payer_port,
            )
        )
        await stack.enter_async_context(
            serve(create_api(settings, client=client), settings.api_port)
        )
        if worker:
            await stack.enter_async_context(running_worker(settings, client, threads=8))
        if consumer:
            apps.start(settings, "consumer")
            stack.callback(process.stop, settings.state_dir, "consumer")
        h = Harness(settings, client, engine)
        stack.push_async_callback(h.aclose)
        yield h
    engine.dispose()
