"""Session fixtures: the real test stack (Temporal dev server + Kafka broker) and a client.

The stack runs on its own ports (17xxx, 19xxx) and state dir (.state/test), so the suite can
run beside a developer's ``make run``. It is started once per session (idempotently: a
stack left running by an interrupted run is reused) and stopped at the end.
``CLAIMFLOW_TEST_PORT_OFFSET`` shifts every port, so that two checkouts (git worktrees) on
one machine can run their suites at the same time. Under pytest-xdist (``make test`` runs
two workers) each worker adds its own shift and state dir, so each has a stack of its own.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from services import stack
from services.settings import REPO_ROOT, Settings
from services.stack import postgres
from services.temporal import connect
from tests.support import Harness, harness, unique_settings

# "gw0", "gw1", ... under pytest-xdist; empty when the suite runs in one process.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else 0
PORT_OFFSET = int(os.environ.get("CLAIMFLOW_TEST_PORT_OFFSET", "0")) + 50 * WORKER_INDEX
STACK_DIR = REPO_ROOT / ".state" / (f"test-{WORKER}" if WORKER else "test")


def _controls_workers(config: pytest.Config) -> bool:
    """True in the pytest-xdist controller, the process that hands tests to the workers."""
    return not WORKER and bool(getattr(config.option, "numprocesses", None))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist, PostgreSQL is shared by the workers: the controller starts it before any
    worker runs and stops it after the last one, so no worker stops it under another."""
    if _controls_workers(session.config):
        postgres.up(_stack_settings())


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _controls_workers(session.config):
        postgres.down(_stack_settings())


@pytest.fixture(scope="session")
def stack_settings() -> Settings:
    return _stack_settings()


def _stack_settings() -> Settings:
    return Settings(
        state_dir=STACK_DIR,
        temporal_port=17233 + PORT_OFFSET,
        temporal_ui_port=18233 + PORT_OFFSET,
        temporal_http_port=17243 + PORT_OFFSET,
        temporal_metrics_port=17244 + PORT_OFFSET,
        temporal_ui=False,
        kafka_port=19092 + PORT_OFFSET,
        kafka_controller_port=19093 + PORT_OFFSET,
        kafka_heap="512m",
        kafka_quick_jvm=True,
        # One data key ring for the whole session: the session's Temporal client and every
        # test's processes (whose state dirs differ) must share it.
        key_file=STACK_DIR / "keys" / "data-keys.json",
    )


@pytest.fixture(scope="session")
def test_stack(stack_settings: Settings) -> Iterator[Settings]:
    stack.up(stack_settings)
    yield stack_settings
    stack.down(stack_settings)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def client(test_stack: Settings) -> AsyncIterator[Client]:
    yield await connect(test_stack)


@pytest.fixture
def settings(test_stack: Settings, tmp_path: Path) -> Settings:
    """Settings unique to one test: task queue, topics, database, ports."""
    return unique_settings(test_stack, tmp_path)


@pytest_asyncio.fixture(loop_scope="session")
async def claimflow(settings: Settings, client: Client) -> AsyncIterator[Harness]:
    async with harness(settings, client) as h:
        yield h
