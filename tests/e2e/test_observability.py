"""Metrics, traces and logs of the real processes after one real claim lifecycle.

claimflow runs as ``make run`` runs it: payer simulator, worker, consumer, API and inbox as
separate processes, each with its own metrics port, exporting traces to a test-local OTLP
collector and writing JSON logs. One clean claim goes from the API to PAID; then the tests
read what an operator would: ``/metrics`` on every process, the claim's trace, the logs.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from claims.status import ClaimStatus
from services import apps, readmodel
from services.consumer import prepare_topics
from services.db import init_db, make_engine
from services.settings import Settings
from services.stack import process
from tests.otlp_collector import Collector, Span
from tests.support import claim_payload, free_port, unique_settings

pytestmark = pytest.mark.stack

# Processes in start order; those with a Temporal client also serve the SDK's metrics.
PROCESSES = ("payer-sim", "worker", "consumer", "api", "inbox")
TEMPORAL_CLIENTS = {"payer-sim", "worker", "api", "inbox"}


@dataclass
class Observed:
    settings: dict[str, Settings]
    claim_id: str
    patient: dict[str, str]
    collector: Collector

    def metrics_url(self, name: str) -> str:
        s = self.settings[name]
        if name == "api":
            return f"{s.api_url}/metrics"
        if name == "payer-sim":
            return f"{s.payer_url}/metrics"
        return f"http://{s.metrics_host}:{s.metrics_port}/metrics"

    def sdk_metrics_url(self, name: str) -> str:
        s = self.settings[name]
        return f"http://{s.metrics_host}:{s.temporal_sdk_metrics_port}/metrics"

    def log(self, name: str) -> str:
        return process.log_file(self.settings[name].state_dir, name).read_text()


def _wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}(?:\{{([^}}]*)\}})? ([0-9.eE+-]+)$"
    total = 0.0
    for match in re.finditer(pattern, text, re.MULTILINE):
        if all(part in (match.group(1) or "") for part in want.split(",") if part):
            total += float(match.group(2))
    return total


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def observed(
    test_stack: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Observed]:
    with Collector() as collector:
        base = unique_settings(
            test_stack,
            tmp_path_factory.mktemp("observed"),
            otel_exporter_otlp_endpoint=collector.endpoint,
            log_format="json",
        )
        per_app = {
            name: base.model_copy(
                update={
                    "metrics_port": free_port(),
                    "temporal_sdk_metrics_port": (
                        free_port() if name in TEMPORAL_CLIENTS else None
                    ),
                }
            )
            for name in PROCESSES
        }
        prepare_topics(base)
        engine = make_engine(base.resolved_database_url)
        init_db(engine)
        try:
            for name in PROCESSES:
                apps.start(per_app[name], name, timeout=120)
            for name in ("worker", "consumer", "inbox"):
                s = per_app[name]
                _wait_http(f"http://{s.metrics_host}:{s.metrics_port}/health")
            payload = claim_payload()
            async with httpx.AsyncClient(base_url=base.api_url, timeout=60) as http:
                response = await http.post("/claims", json=payload)
                assert response.status_code == 202, response.text
                claim_id = response.json()["claim_id"]
                deadline = time.monotonic() + 120
                while True:
                    row = readmodel.get_claim(engine, claim_id)
                    if row is not None and row.status == ClaimStatus.PAID:
                        break
                    assert time.monotonic() < deadline, f"claim never PAID in the read model: {row}"
                    await asyncio.sleep(0.3)
            subscriber = payload["subscriber"]
            patient = {
                "last name": subscriber["last_name"],
                "member id": subscriber["member_id"],
                "birth date": subscriber["date_of_birth"],
                "street": subscriber["address"]["line1"],
                "account number": payload["account_number"],
            }
            yield Observed(per_app, claim_id, patient, collector)
        finally:
            for name in reversed(PROCESSES):
                process.stop(base.state_dir, name)
            engine.dispose()


def _scrape_when(observed: Observed, name: str, ready: Callable[[str], bool]) -> str:
    """One process's metrics once ``ready`` holds: the simulator sends its 999 on its own
    task, so it may land after the 835 has already paid the claim."""
    deadline = time.monotonic() + 30
    while True:
        text = httpx.get(observed.metrics_url(name), timeout=10).text
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.3)


async def test_metrics_on_every_process_after_a_lifecycle(observed: Observed) -> None:
    _scrape_when(
        observed,
        "worker",
        lambda text: (
            sample(text, "claimflow_payer_messages_posted_total", outcome="delivered") >= 3
        ),
    )
    scraped = {name: httpx.get(observed.metrics_url(name), timeout=10) for name in PROCESSES}
    for name, response in scraped.items():
        assert response.status_code == 200, (name, response.text)
    worker, consumer, api = (scraped[n].text for n in ("worker", "consumer", "api"))

    # A clean claim makes seven transitions, each published to lifecycle and state.
    assert sample(worker, "claimflow_events_published_total", topic="lifecycle") == 7
    assert sample(worker, "claimflow_publish_seconds_count", topic="lifecycle") == 7
    assert sample(worker, "claimflow_payer_messages_posted_total", outcome="delivered") >= 3
    assert sample(consumer, "claimflow_claim_transitions_total", status="PAID") == 1
    assert sample(consumer, "claimflow_claim_transitions_total", status="RECEIVED") == 1
    assert sample(consumer, "claimflow_event_lag_seconds_count") == 7
    # The payer simulator sent 999, 277CA and 835 files to the API; queue depths are read.
    assert sample(api, "claimflow_inbound_units_total", outcome="posting") >= 3
    assert sample(api, "claimflow_claims", status="PAID") == 1
    assert "claimflow_unmatched_payer_messages 0.0" in api
    # The Temporal SDK's own metrics, from its runtime, on their own port.
    sdk = httpx.get(observed.sdk_metrics_url("worker"), timeout=10).text
    assert sample(sdk, "temporal_workflow_task_execution_latency_count") > 0
    assert sample(sdk, "temporal_activity_execution_latency_count") > 0
    for name in ("worker", "consumer", "inbox"):
        health = httpx.get(observed.metrics_url(name).replace("/metrics", "/health"))
        assert health.json() == {"status": "ok"}


def _trace_spans(observed: Observed, timeout: float = 30) -> list[Span]:
    """Every span of the trace the claim's submission started, once the projector's arrived."""
    deadline = time.monotonic() + timeout
    while True:
        spans = observed.collector.snapshot()
        roots = [
            s for s in spans if s.service == "claimflow-api" and s.name.startswith("POST /claims")
        ]
        if roots:
            trace = [s for s in spans if s.trace_id == roots[0].trace_id]
            if any(s.service == "claimflow-consumer" for s in trace):
                return trace
        assert time.monotonic() < deadline, sorted({(s.service, s.name) for s in spans})
        time.sleep(0.5)


async def test_one_trace_links_api_workflow_activity_and_projector(observed: Observed) -> None:
    trace = _trace_spans(observed)
    by_id = {s.span_id: s for s in trace}
    names = {(s.service, s.name) for s in trace}
    assert ("claimflow-api", "StartWorkflow:ClaimWorkflow") in names
    assert ("claimflow-worker", "RunWorkflow:ClaimWorkflow") in names
    assert ("claimflow-worker", "RunActivity:publish_event") in names
    assert ("claimflow-worker", "RunActivity:scrub_claim") in names

    # The projector's spans continue the publish spans through the Kafka record headers.
    projected = [s for s in trace if s.service == "claimflow-consumer"]
    assert projected
    for span in projected:
        assert span.attributes["claimflow.claim_id"] == observed.claim_id
        publish = by_id[span.parent_id]
        assert publish.service == "claimflow-worker" and publish.name.startswith("publish ")
        activity = by_id[publish.parent_id]
        assert activity.name == "RunActivity:publish_event"


async def test_logs_are_json_lines_with_the_claim_id_and_no_phi(observed: Observed) -> None:
    worker_lines = [
        json.loads(line)
        for line in observed.log("worker").splitlines()
        if line and not line.startswith("=== ")  # the process manager's start banner
    ]
    published = [r for r in worker_lines if r["message"].startswith("published ")]
    assert len(published) == 7
    for record in published:
        assert record["claim_id"] == observed.claim_id
        assert record["process"] == "worker" and record["level"] == "info"
        assert re.fullmatch(r"[0-9a-f]{32}", record["trace_id"])

    for name in PROCESSES:
        text = observed.log(name)
        for what, value in observed.patient.items():
            assert value not in text, f"{name}'s log holds the patient's {what}"
        for line in text.splitlines():
            if line and not line.startswith("=== "):
                json.loads(line)  # every record is one JSON object


def test_pyx12_cannot_log_phi(tmp_path: Path) -> None:
    """pyx12 logs segment contents while validating; its loggers are cut off."""
    import logging

    from services.observability.logs import configure_logging

    settings = Settings(state_dir=tmp_path)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(settings, "test")
        logger = logging.getLogger("pyx12.error_handler")
        assert not logger.isEnabledFor(logging.CRITICAL)
        assert logging.getLogger("pyx12").propagate is False
    finally:
        root.handlers, _ = saved[0], root.setLevel(saved[1])
