"""The local stack manager against the real servers, on non-default ports in a tmp state dir.

Non-default ports (27xxx for Temporal, 29xxx for Kafka) let these tests run beside a
developer's ``make run`` stack on the defaults. Every test stops what it started.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from services import stack
from services.settings import Settings
from services.stack import kafka, postgres, process, temporal

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    s = Settings(
        state_dir=tmp_path / "state",
        temporal_port=27233,
        temporal_ui_port=28233,
        temporal_http_port=27243,
        temporal_metrics_port=27244,
        temporal_ui=False,
        kafka_port=29092,
        kafka_controller_port=29093,
        kafka_heap="256m",
        kafka_quick_jvm=True,
    )
    try:
        yield s
    finally:
        stack.down(s)


def test_stale_pid_file_is_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pid_file = process.pid_file(tmp_path, "ghost")
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{dead.pid}\n")
    assert not process.is_running(tmp_path, "ghost")
    assert not pid_file.exists()

    # A live pid that was reused by another process (start time differs) is stale too.
    pid_file.write_text("1\n123\n")
    assert not process.is_running(tmp_path, "ghost")
    assert not pid_file.exists()
    assert process.stop(tmp_path, "ghost") is False


def test_stop_escalates_to_sigkill(tmp_path: Path) -> None:
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    pid = process.start(tmp_path, "stubborn", [sys.executable, "-c", stubborn])
    assert process.read_pid(tmp_path, "stubborn") == pid
    with pytest.raises(process.StackError, match="already running"):
        process.start(tmp_path, "stubborn", [sys.executable, "-c", stubborn])
    assert process.stop(tmp_path, "stubborn", timeout=0.5) is True
    assert not process.is_running(tmp_path, "stubborn")
    assert "starting stubborn" in process.log_file(tmp_path, "stubborn").read_text()


def test_temporal_up_is_idempotent(settings: Settings) -> None:
    # A stale pid file from a crashed run must not stop a fresh start.
    pid_file = process.pid_file(settings.state_dir, temporal.NAME)
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text("999999999\n")

    temporal.up(settings)
    pid = process.read_pid(settings.state_dir, temporal.NAME)
    assert pid is not None
    temporal.up(settings)
    assert process.read_pid(settings.state_dir, temporal.NAME) == pid
    assert stack.status(settings)["temporal"] == "running"
    assert temporal.db_file(settings).exists()

    assert temporal.down(settings) is True
    assert stack.status(settings)["temporal"] == "stopped"
    assert temporal.down(settings) is False


async def test_temporal_keeps_workflows_across_restart_and_kill9(settings: Settings) -> None:
    temporal.up(settings)
    client = await Client.connect(settings.temporal_address)
    workflow_id = f"stack-durability-{uuid.uuid4()}"
    # No worker polls this queue: the workflow just stays open, which is all we need.
    await client.start_workflow(
        "NotRegisteredAnywhere", id=workflow_id, task_queue=f"stack-test-{uuid.uuid4()}"
    )

    temporal.restart(settings)
    client = await Client.connect(settings.temporal_address)
    described = await client.get_workflow_handle(workflow_id).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING

    temporal.kill9(settings)
    assert not temporal.is_running(settings)
    temporal.up(settings)
    client = await Client.connect(settings.temporal_address)
    described = await client.get_workflow_handle(workflow_id).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING


def _topics(settings: Settings) -> set[str]:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_kafka_up_down_restart(settings: Settings) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic

    kafka.up(settings)
    pid = process.read_pid(settings.state_dir, kafka.NAME)
    assert pid is not None
    kafka.up(settings)
    assert process.read_pid(settings.state_dir, kafka.NAME) == pid
    assert (kafka.data_dir(settings) / "meta.properties").exists()

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic("stack-test", num_partitions=2, replication_factor=1)])
    finally:
        admin.close()

    kafka.restart(settings)  # graceful: same data dir, not formatted again
    assert "stack-test" in _topics(settings)

    kafka.kill9(settings)
    assert stack.status(settings)["kafka"] == "stopped"
    kafka.up(settings)  # recovers from the crash
    assert "stack-test" in _topics(settings)

    assert kafka.down(settings) is True
    assert not kafka.is_running(settings)
    log = process.log_file(settings.state_dir, kafka.NAME).read_text()
    assert "Terminating process due to signal SIGTERM" in log  # the log says why it stopped
    assert "StaticLoggerBinder" not in log


def test_kafka_quick_jvm_swaps_the_collector_and_the_jit(tmp_path: Path) -> None:
    default = Settings(state_dir=tmp_path)
    props, libs = tmp_path / "server.properties", tmp_path / "libs"
    normal = kafka.command(default, "java", libs, props)
    quick = kafka.command(default.model_copy(update={"kafka_quick_jvm": True}), "java", libs, props)
    assert "-XX:+UseG1GC" in normal and "-XX:TieredStopAtLevel=1" not in normal
    assert {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"} <= set(quick)
    assert "-XX:+UseG1GC" not in quick
    assert quick[-2:] == normal[-2:] == ["kafka.Kafka", str(props)]


def test_kafka_refuses_a_port_in_use(settings: Settings) -> None:
    temporal.up(settings)
    clash = settings.model_copy(update={"kafka_port": settings.temporal_port})
    with pytest.raises(process.StackError, match="already in use"):
        kafka.up(clash)
    assert not kafka.is_running(clash)


def test_stack_up_status_reset(settings: Settings) -> None:
    stack.up(settings)
    status = stack.status(settings)
    assert status["temporal"] == "running"
    assert status["kafka"] == "running"
    stack.reset(settings)
    assert not settings.state_dir.exists()
    assert not process.port_open(settings.temporal_host, settings.temporal_port)
    assert not process.port_open(settings.kafka_host, settings.kafka_port)


@pytest.mark.postgres
def test_postgres_up_and_fresh_databases(settings: Settings) -> None:
    was_running = postgres.status(settings) == "running"
    postgres.up(settings)
    postgres.up(settings)  # idempotent
    assert postgres.status(settings) == "running"

    import sqlalchemy as sa

    name = f"claimflow_stack_test_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(postgres.create_database(settings, name))
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT current_user, current_database()")).one()
        assert tuple(row) == ("claimflow", name)
    finally:
        engine.dispose()
        postgres.drop_database(settings, name)

    postgres.down(settings)
    # Only a cluster this state dir started is stopped; one that was already up stays up.
    assert postgres.status(settings) == ("running" if was_running else "stopped")


def test_kill_sends_the_signal(tmp_path: Path) -> None:
    process.start(tmp_path, "sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    process.kill(tmp_path, "sleeper", signal.SIGKILL)
    assert not process.is_running(tmp_path, "sleeper")
    with pytest.raises(process.StackError, match="not running"):
        process.kill(tmp_path, "sleeper")
