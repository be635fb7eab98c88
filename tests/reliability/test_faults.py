"""Faults in the middle of a run of claims on every path; nothing may be lost or done twice.

Two scenarios, each a whole installation of its own (see ``harness.py``):

* one broker: the worker is SIGKILLed at random moments and restarted, the Temporal server
  is restarted gracefully and with SIGKILL, the Kafka broker is restarted;
* a three-broker KRaft cluster (replication factor 3, min.insync.replicas 2) with two
  workers and two projectors in one consumer group: one broker is SIGKILLed and brought
  back, one worker and one projector are SIGKILLed for good (their work must move).

Then, for every claim: it ends where its path ends, by its path's statuses (no transition
twice), its events are seq 1..n once de-duplicated (copies identical), and the read model
has each exactly once. The figures go to ``.state/reliability/<scenario>-<profile>.json``.

Three forms (RELIABILITY.md, "How to run it"):

* ``make test``: one worker SIGKILL in a run of 7 claims, one on each path
  (``test_a_worker_killed_mid_run_loses_nothing``), the representative fault, held to a
  minute or so;
* ``make test-long`` (marked ``long``): every fault of both scenarios on 14 claims each;
* ``make reliability`` (``CLAIMFLOW_RELIABILITY=long``): the same with 315 claims per
  scenario.

A run's seed is in its report; ``CLAIMFLOW_RELIABILITY_SEED`` replays the same schedule.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import httpx
import pytest

from events import topics
from services.db import make_engine
from services.settings import Settings
from tests.reliability.driver import Driver, Fault
from tests.reliability.harness import (
    LONG,
    PROFILE,
    Faults,
    installation,
    run_settings,
    write_report,
)
from tests.reliability.paths import mix
from tests.reliability.verify import check, workflow_views
from tests.support import signed_in

pytestmark = [pytest.mark.stack]

CLAIMS = 315 if LONG else 14  # 45 (or 2) per path
SHORT_CLAIMS = 7  # make test: one per path


def _seed() -> int:
    return int(os.environ.get("CLAIMFLOW_RELIABILITY_SEED", random.randrange(1 << 30)))


async def _run(
    settings: Settings,
    name: str,
    faults: list[tuple[str, Fault]],
    headers: dict[str, str],
    seed: int,
    extra: dict[str, object],
    *,
    claims: int = CLAIMS,
) -> None:
    cases = mix(claims)
    load_before = os.getloadavg()
    driver = Driver(settings.api_url, cases, headers=headers)
    try:
        log, took = await driver.run(faults=faults, timeout_s=3000 if LONG else 420, seed=seed)
    finally:
        await driver.close()
    views = await workflow_views(settings.api_url, cases, headers)
    async with httpx.AsyncClient(base_url=settings.api_url, headers=headers) as http:
        unmatched = (await http.get("/payer-messages/unmatched", params={"limit": 1000})).json()
    engine = make_engine(settings.resolved_database_url)
    try:
        outcome = check(
            cases,
            views,
            bootstrap=settings.kafka_bootstrap,
            lifecycle=settings.topic(topics.LIFECYCLE),
            alerts_topic=settings.topic(topics.ALERTS),
            dlq=settings.topic(topics.DLQ),
            engine=engine,
            unmatched=unmatched,
        )
    finally:
        engine.dispose()
    report = {
        "scenario": name,
        "profile": PROFILE,
        "seed": seed,
        "claims": claims,
        "run_seconds": round(took, 1),
        "claims_per_second": round(claims / took, 2),
        "client_retries": driver.retries,
        "faults": log.entries,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        **extra,
        **outcome.as_dict(),
    }
    path = write_report(name, report, profile=PROFILE if claims == CLAIMS else "test")
    print(f"\n{name}: {path}\n" + "\n".join(f"  {k}: {v}" for k, v in report.items()))
    assert not outcome.failures, outcome.failures[:20]
    assert len(log.entries) == len(faults), "a fault never fired"
    assert outcome.alerts.get("unexpected_payer_message", 0) == 0, outcome.alerts
    assert outcome.dead_letters == 0
    assert outcome.unmatched_payer_messages == {}, outcome.unmatched_payer_messages


@pytest.mark.timeout(300)
@pytest.mark.skipif(LONG, reason="make reliability runs the long forms only")
async def test_a_worker_killed_mid_run_loses_nothing(test_stack: Settings, tmp_path: Path) -> None:
    """make test's form: the worker SIGKILLed once, at a random point, and restarted, while
    a claim on each path is under way (the session's broker, a Temporal server of its own).
    The worker is what dies most in production (deploys, OOM kills), and its death hits
    every activity kind: publishes, payer calls, checks, mid-flight."""
    seed = _seed()
    settings, headers = signed_in(run_settings(test_stack, tmp_path, nodes=None))
    chaos = Faults(settings, seed)
    faults: list[tuple[str, Fault]] = [("worker SIGKILL", chaos.kill_worker)]
    started = time.monotonic()
    with installation(settings, workers=1, projectors=1, own_kafka=False):
        await _run(settings, "worker-sigkill", faults, headers, seed,
                   {"stack_start_seconds": round(time.monotonic() - started, 1)},
                   claims=SHORT_CLAIMS)  # fmt: skip


@pytest.mark.long
@pytest.mark.timeout(3600 if LONG else 900)
async def test_worker_temporal_and_kafka_faults(stack_settings: Settings, tmp_path: Path) -> None:
    """3 worker SIGKILLs, Temporal restarted gracefully and SIGKILLed, the broker restarted,
    in a random order at random points; a Temporal server and a broker of the run's own."""
    seed = _seed()
    settings, headers = signed_in(run_settings(stack_settings, tmp_path, nodes=1))
    chaos = Faults(settings, seed)
    faults: list[tuple[str, Fault]] = [("worker SIGKILL", chaos.kill_worker) for _ in range(3)]
    faults += [
        ("Temporal restart", lambda: chaos.restart_temporal(kill=False)),
        ("Temporal SIGKILL", lambda: chaos.restart_temporal(kill=True)),
        ("Kafka broker restart", chaos.restart_kafka),
    ]
    random.Random(seed).shuffle(faults)
    started = time.monotonic()
    with installation(settings, workers=1, projectors=1):
        await _run(settings, "single-broker", faults, headers, seed,
                   {"stack_start_seconds": round(time.monotonic() - started, 1)})  # fmt: skip


@pytest.mark.long
@pytest.mark.timeout(3600 if LONG else 900)
async def test_broker_worker_and_projector_loss_in_a_cluster(
    stack_settings: Settings, tmp_path: Path
) -> None:
    seed = _seed()
    settings, headers = signed_in(run_settings(stack_settings, tmp_path, nodes=3))
    chaos = Faults(settings, seed)
    faults: list[tuple[str, Fault]] = [
        ("Kafka broker SIGKILL", lambda: chaos.kill_broker(random.Random(seed).randint(1, 3))),
        ("second worker SIGKILL", lambda: chaos.kill_worker("worker-2", restart=False)),
        ("second projector SIGKILL", lambda: chaos.kill_projector("consumer-2")),
        ("worker SIGKILL", chaos.kill_worker),
    ]
    with installation(settings, workers=2, projectors=2):
        await _run(settings, "three-broker-cluster", faults, headers, seed,
                   {"kafka_nodes": 3, "replication_factor": 3, "min_insync_replicas": 2,
                    "workers": 2, "projectors": 2})  # fmt: skip
