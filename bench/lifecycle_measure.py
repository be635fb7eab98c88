"""How lifecycle_bench measures and reports: driving workflows, following their histories,
CPU per process, event lag, and the summary of rounds.

Kept apart from the workloads so the benchmark's own modules stay small: ``drive`` runs
items a fixed number at a time (closed loop), ``paced`` starts them at a fixed rate (open
loop, for lag at a given load), ``ProjectionWatcher`` notes when each event reaches the read
model, and ``event_lag`` turns those times into percentiles.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from bench.common import percentiles, proc_cpu_seconds, summary
from events import topics
from services.settings import Settings

KINDS = ("lifecycle", "lifecycle_before", "noop", "chain", "noop_result", "messages", "floor")
LIFECYCLES = ("lifecycle", "lifecycle_before")

FAILED_CLOSE = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
    }
)


async def drive(
    items: Sequence[Any], concurrency: int, run_one: Callable[[Any], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Run every item, ``concurrency`` at a time (a new one starts as soon as one ends).

    Returns wall seconds for the whole batch and each item's own latency.
    """
    pending = iter(items)
    latencies: list[float] = []

    async def lane() -> None:
        for item in pending:  # one shared iterator: each lane takes the next item
            start = time.perf_counter()
            await run_one(item)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(min(concurrency, len(items)))))
    return time.perf_counter() - start, latencies


@dataclass
class CpuMeter:
    """CPU seconds per component between ``start`` and ``stop``: where a run's time goes."""

    pids: dict[str, int | None]
    _before: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        now = {name: proc_cpu_seconds(pid) for name, pid in self.pids.items()}
        now["bench process (worker, payer sim, API, driver)"] = time.process_time()
        return now

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        after = self._now()
        return {name: after[name] - self._before[name] for name in after}


class ProjectionWatcher(threading.Thread):
    """Notes the wall time each (claim id, seq) row first shows up in the read model.

    A thread with its own SQLite connection rather than a task on the event loop, which is
    busy running the worker: a poll delayed by a workflow task would count as lag.
    New rows are found by rowid, so each poll reads only what was added since the last.
    """

    def __init__(self, db: Path, interval_s: float) -> None:
        super().__init__(name="projection-watcher", daemon=True)
        self._db = db
        self._interval = interval_s
        self._stop_event = threading.Event()
        self.seen: dict[tuple[str, int], tuple[float, str]] = {}

    def run(self) -> None:
        conn = sqlite3.connect(self._db, timeout=30)
        last = 0
        try:
            while not self._stop_event.is_set():
                rows = conn.execute(
                    "SELECT rowid, claim_id, seq, time FROM claim_events WHERE rowid > ? "
                    "ORDER BY rowid",
                    (last,),
                ).fetchall()
                now = time.time()
                for rowid, claim_id, seq, at in rows:
                    self.seen.setdefault((claim_id, seq), (now, at))
                    last = rowid
                self._stop_event.wait(self._interval)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    async def wait_for(self, keys: Sequence[tuple[str, int]], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while any(k not in self.seen for k in keys):
            if time.monotonic() > deadline:
                missing = sum(1 for k in keys if k not in self.seen)
                raise TimeoutError(f"{missing} events never reached the read model")
            await asyncio.sleep(0.1)


def parse_time(text: str) -> float:
    """A ``claim_events.time`` value (SQLite keeps it as text, UTC) as a POSIX timestamp."""
    at = dt.datetime.fromisoformat(text)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.timestamp()


def kafka_timestamps(settings: Settings, claim_ids: set[str]) -> dict[tuple[str, int], float]:
    """Producer timestamp (seconds) of every lifecycle record of the given claims."""
    consumer = KafkaConsumer(
        settings.topic(topics.LIFECYCLE),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=5000,
        client_id="claimflow-bench-lag",
    )
    stamps: dict[tuple[str, int], float] = {}
    try:
        for record in consumer:
            claim_id = record.key.decode() if record.key else ""
            if claim_id not in claim_ids:
                continue
            ce_id = dict(record.headers).get("ce_id", b"").decode()
            seq = int(ce_id.rsplit(":", 1)[1])
            stamps.setdefault((claim_id, seq), record.timestamp / 1000)
    finally:
        consumer.close()
    return stamps


async def paced(
    items: Sequence[Any], rate: float, run_one: Callable[[Any], Awaitable[None]]
) -> tuple[float, list[float]]:
    """Start one item every ``1/rate`` seconds whatever the others do (an open loop, as
    claims arrive), and wait for all. Returns wall seconds and each item's latency."""
    latencies: list[float] = []

    async def one(item: Any) -> None:
        start = time.perf_counter()
        await run_one(item)
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    tasks = []
    for k, item in enumerate(items):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(item)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - start, latencies


def event_lag(
    keys: Sequence[tuple[str, int]],
    paths: dict[str, list[str]],
    seen: dict[tuple[str, int], tuple[float, str]],
    stamps: dict[tuple[str, int], float],
) -> dict[str, Any]:
    """Lag percentiles in ms: whole, split at the Kafka producer timestamp, and by status."""
    total: list[float] = []
    to_kafka: list[float] = []
    from_kafka: list[float] = []
    by_status: dict[str, list[float]] = {}
    for key in keys:
        if key not in seen:
            continue
        projected_at, at_text = seen[key]
        transition = parse_time(at_text)
        lag = 1000 * (projected_at - transition)
        total.append(lag)
        by_status.setdefault(paths[key[0]][key[1] - 1], []).append(lag)
        if key in stamps:
            to_kafka.append(1000 * (stamps[key] - transition))
            from_kafka.append(1000 * (projected_at - stamps[key]))
    return {
        "transition_to_read_model": percentiles(total),
        "transition_to_kafka": percentiles(to_kafka),
        "kafka_to_read_model": percentiles(from_kafka),
        "transition_to_read_model_p50_by_status": {
            s: round(statistics.median(v), 1) for s, v in by_status.items() if v
        },
    }


async def wait_in_history(handle: WorkflowHandle[Any, Any], done: Callable[[Any], bool]) -> None:
    """Follow the workflow's history (long polls, as ``handle.result()`` does) until ``done``.

    A claim no longer ends at PAID (it waits out reversals, then closes), so "the claim is
    PAID" is read from the history, not from the workflow's result; every workload is awaited
    this way so that they all cost the server the same kind of polling.
    """
    async for event in handle.fetch_history_events(wait_new_event=True):
        if done(event):
            return
        if event.event_type in FAILED_CLOSE:
            raise RuntimeError(f"workflow {handle.id} closed: {EventType.Name(event.event_type)}")
    raise RuntimeError(f"workflow {handle.id} closed before it got there")


def completed(event: HistoryEvent) -> bool:
    return event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED


def upserted_status(event: HistoryEvent) -> str | None:
    """The ``ClaimStatus`` a search-attribute upsert sets: the workflow's status, moved."""
    if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return None
    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
    payload = fields.indexed_fields.get("ClaimStatus")
    if payload is None or not payload.data:
        return None
    status: str = json.loads(payload.data)
    return status


# Ratios reported, each per round from workloads measured side by side: (numerator, denominator).
RATIOS = (
    ("lifecycle", "noop"),
    ("lifecycle_before", "noop"),
    ("lifecycle", "lifecycle_before"),
    ("lifecycle_before", "chain"),
    ("chain", "noop"),
    ("noop_result", "noop"),
    ("messages", "noop"),
    ("lifecycle", "messages"),
    ("floor", "noop"),
    ("lifecycle", "floor"),
)


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    """Per-round ratios (each from workloads measured side by side), then median/spread."""
    kinds = raw["kinds"]
    rate: dict[int, dict[str, float]] = {}
    cpu_total: dict[int, dict[str, float]] = {}
    for row in raw["rounds"]:
        rate.setdefault(row["round"], {})[row["kind"]] = row["per_second"]
        total = sum(row["cpu_ms_per_workflow"].values())
        cpu_total.setdefault(row["round"], {})[row["kind"]] = total
    out: dict[str, Any] = {}
    for top, bottom in RATIOS:
        if top in kinds and bottom in kinds:
            out[f"{top}_over_{bottom}"] = summary([r[top] / r[bottom] for r in rate.values()])
    # CPU spent per workflow (all processes) hardly depends on how much CPU the neighbours
    # left us, so noop/lifecycle CPU is a steadier estimate of the ratio on a CPU-bound box.
    for kind in (*LIFECYCLES, "floor"):
        if kind in kinds and "noop" in kinds:
            out[f"cpu_noop_over_cpu_{kind}"] = summary(
                [r["noop"] / r[kind] for r in cpu_total.values()]
            )
    cpu: dict[str, dict[str, float]] = {}
    for kind in kinds:
        rows = [row["cpu_ms_per_workflow"] for row in raw["rounds"] if row["kind"] == kind]
        cpu[kind] = {name: round(statistics.median(r[name] for r in rows), 2) for name in rows[0]}
        cpu[kind]["total"] = round(sum(cpu[kind].values()), 2)
    out["per_second"] = {
        kind: summary([r["per_second"] for r in raw["rounds"] if r["kind"] == kind])
        for kind in kinds
    }
    out["cpu_ms_per_workflow_median"] = cpu
    return out


def report(result: dict[str, Any]) -> None:
    s = result["summary"]
    raw = result["raw"]
    print()
    for kind in raw["kinds"]:
        rate = s["per_second"][kind]
        lat = raw["latency_s"][kind]
        print(
            f"{kind:>16}: {rate['median']:8.2f}/s median (spread {rate['spread']:.0%}); "
            f"latency p50 {lat['p50'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms"
        )
    for name, r in s.items():
        if "_over_" in name:
            print(
                f"{name}: {r['median']:.3f} median (min {r['min']:.3f}, max {r['max']:.3f}, "
                f"{r['rounds']} rounds)"
            )
    for kind, lags in raw["event_lag_ms"].items():
        for load in ("saturated", "half_load"):
            for name in ("transition_to_read_model", "transition_to_kafka", "kafka_to_read_model"):
                p = lags[load][name]
                if p:
                    print(
                        f"event lag {kind} {load} {name}: p50 {p['p50']:.0f} ms, "
                        f"p99 {p['p99']:.0f} ms (n={p['n']}, poll {raw['poll_ms']} ms)"
                    )
    print("CPU ms per workflow (median of rounds):")
    for kind, parts in s["cpu_ms_per_workflow_median"].items():
        print(f"  {kind:>16}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
