"""A whole claimflow installation of its own for one reliability run, and ways to hurt it.

Everything runs as separate processes, as in production: a Temporal dev server and a Kafka
cluster (one node, or three) on free ports with state in the test's tmp dir, and claimflow's
payer simulator, API, worker(s) and projector(s). So a fault hits what it would hit in
production and nothing else: the session's shared test stack is never touched.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services import apps
from services.consumer import prepare_topics
from services.settings import KAFKA_NODE_PORT_STEP, REPO_ROOT, Settings
from services.stack import kafka, process, temporal
from tests.support import free_port, unique_settings

REPORTS = REPO_ROOT / ".state" / "reliability"
PROFILE = os.environ.get("CLAIMFLOW_RELIABILITY", "short")
LONG = PROFILE == "long"


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def kafka_ports(nodes: int) -> tuple[int, int]:
    """A (broker, controller) base whose every node's ports are free."""
    rng = random.Random()
    while True:
        base = rng.randrange(30_000, 60_000, 100)
        ports = [base + d + KAFKA_NODE_PORT_STEP * n for n in range(nodes) for d in (0, 1)]
        if all(_free(p) for p in ports):
            return base, base + 1


def run_settings(base: Settings, state_dir: Path, *, nodes: int | None) -> Settings:
    """Settings of a run with a Temporal server of its own and, unless ``nodes`` is None,
    a Kafka cluster of its own of that many nodes (None: the session's broker, own topics)."""
    kafka: dict[str, Any] = {}
    if nodes is not None:
        broker, controller = kafka_ports(nodes)
        kafka = {
            "kafka_port": broker,
            "kafka_controller_port": controller,
            "kafka_nodes": nodes,
            "kafka_heap": "384m",
            "topic_replication_factor": min(3, nodes),
            "topic_min_insync_replicas": 2 if nodes >= 3 else 1,
        }
    return unique_settings(
        base,
        state_dir,
        temporal_port=free_port(),
        temporal_http_port=free_port(),
        temporal_metrics_port=free_port(),
        temporal_ui=False,
        payer_delay_seconds=1.0,
        consumer_session_timeout_seconds=6.0,
        **kafka,
    )


@contextmanager
def installation(
    settings: Settings, *, workers: int, projectors: int, own_kafka: bool = True
) -> Iterator[list[str]]:
    """Start it all; yield the names of the claimflow processes; stop it all."""
    names = ["payer-sim", "api"]
    names += ["worker"] + [f"worker-{n}" for n in range(2, workers + 1)]
    names += ["consumer"] + [f"consumer-{n}" for n in range(2, projectors + 1)]
    try:
        temporal.up(settings)
        if own_kafka:
            kafka.up(settings)
        prepare_topics(settings)
        for name in names:
            kind = name.split("-")[0] if name.startswith(("worker-", "consumer-")) else name
            apps.start(settings, kind, instance=name)
        yield names
    finally:
        for name in reversed(names):
            process.stop(settings.state_dir, name)
        if own_kafka:
            kafka.down(settings)
        temporal.down(settings)


class Faults:
    """Each fault is a coroutine that hurts one part and, unless told, brings it back."""

    def __init__(self, settings: Settings, seed: int) -> None:
        self.settings = settings
        self.rng = random.Random(seed)

    async def _pause(self, low: float, high: float) -> float:
        delay = self.rng.uniform(low, high)
        await asyncio.sleep(delay)
        return delay

    async def kill_worker(self, name: str = "worker", *, restart: bool = True) -> str:
        pid = process.read_pid(self.settings.state_dir, name)
        process.kill(self.settings.state_dir, name, signal.SIGKILL)
        if not restart:
            return f"SIGKILL {name} (pid {pid}), not restarted"
        down = await self._pause(0.2, 3.0)
        await asyncio.to_thread(apps.start, self.settings, "worker", instance=name)
        return f"SIGKILL {name} (pid {pid}), restarted after {down:.1f}s"

    async def kill_projector(self, name: str) -> str:
        pid = process.read_pid(self.settings.state_dir, name)
        process.kill(self.settings.state_dir, name, signal.SIGKILL)
        return f"SIGKILL {name} (pid {pid}), not restarted: its partitions must move"

    async def restart_temporal(self, *, kill: bool) -> str:
        if kill:
            temporal.kill9(self.settings)
            down = await self._pause(0.5, 3.0)
            await asyncio.to_thread(temporal.up, self.settings)
            return f"SIGKILL Temporal server, up again after {down:.1f}s"
        await asyncio.to_thread(temporal.restart, self.settings)
        return "Temporal server restarted gracefully (SIGTERM, same db file)"

    async def restart_kafka(self) -> str:
        started = time.monotonic()
        await asyncio.to_thread(kafka.restart, self.settings)
        return f"Kafka broker restarted gracefully ({time.monotonic() - started:.1f}s down)"

    async def kill_broker(self, node: int) -> str:
        kafka.kill9(self.settings, node)
        down = await self._pause(5.0, 15.0)
        await asyncio.to_thread(kafka.up, self.settings, node)
        return f"SIGKILL Kafka broker {node} of {self.settings.kafka_nodes}, back after {down:.1f}s"


def write_report(name: str, report: dict[str, Any], *, profile: str = PROFILE) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{name}-{profile}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path
