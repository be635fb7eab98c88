"""How the lifecycle bench measures and reports: CPU per process, when each transition
reached the read model and Kafka, the event lag, and the summary of rounds. Kept apart from
the workloads (``lifecycle_bench``) so each can be read on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer

from bench.common import (
    percentiles,
    proc_cpu_seconds,
    summary,
)
from events import topics
from services.settings import Settings

KINDS = ("lifecycle", "noop", "chain", "noop_result")


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


# --------------------------------------------------------------------------- workloads


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


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    """Per-round ratios (each from workloads measured side by side), then median/spread."""
    by_round: dict[int, dict[str, float]] = {}
    for row in raw["rounds"]:
        by_round.setdefault(row["round"], {})[row["kind"]] = row["per_second"]
    ratio_noop = [r["lifecycle"] / r["noop"] for r in by_round.values()]
    ratio_chain = [r["lifecycle"] / r["chain"] for r in by_round.values()]
    chain_noop = [r["chain"] / r["noop"] for r in by_round.values()]
    result_noop = [r["noop_result"] / r["noop"] for r in by_round.values()]
    # CPU spent per workflow (all processes) hardly depends on how much CPU the neighbours
    # left us, so noop/lifecycle CPU is a steadier estimate of the ratio on a CPU-bound box.
    cpu_total: dict[int, dict[str, float]] = {}
    for row in raw["rounds"]:
        total = sum(row["cpu_ms_per_workflow"].values())
        cpu_total.setdefault(row["round"], {})[row["kind"]] = total
    cpu_ratio = [r["noop"] / r["lifecycle"] for r in cpu_total.values()]
    cpu: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        rows = [row["cpu_ms_per_workflow"] for row in raw["rounds"] if row["kind"] == kind]
        cpu[kind] = {name: round(statistics.median(r[name] for r in rows), 2) for name in rows[0]}
        cpu[kind]["total"] = round(sum(cpu[kind].values()), 2)
    return {
        "lifecycle_over_noop": summary(ratio_noop),
        "lifecycle_over_chain": summary(ratio_chain),
        "chain_over_noop": summary(chain_noop),
        "noop_result_over_noop": summary(result_noop),
        "cpu_noop_over_cpu_lifecycle": summary(cpu_ratio),
        "per_second": {
            kind: summary([r["per_second"] for r in raw["rounds"] if r["kind"] == kind])
            for kind in KINDS
        },
        "cpu_ms_per_workflow_median": cpu,
    }


def report(result: dict[str, Any]) -> None:
    s = result["summary"]
    print()
    for kind in KINDS:
        rate = s["per_second"][kind]
        lat = result["raw"]["latency_s"][kind]
        print(
            f"{kind:>9}: {rate['median']:8.2f}/s median (spread {rate['spread']:.0%}); "
            f"latency p50 {lat['p50'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms"
        )
    for name in (
        "lifecycle_over_noop",
        "lifecycle_over_chain",
        "chain_over_noop",
        "noop_result_over_noop",
        "cpu_noop_over_cpu_lifecycle",
    ):
        r = s[name]
        print(
            f"{name}: {r['median']:.3f} median (min {r['min']:.3f}, max {r['max']:.3f}, "
            f"{r['rounds']} rounds)"
        )
    lag = result["raw"]["event_lag_ms"]
    for name in ("transition_to_read_model", "transition_to_kafka", "kafka_to_read_model"):
        p = lag[name]
        if p:
            print(
                f"event lag {name}: p50 {p['p50']:.0f} ms, p99 {p['p99']:.0f} ms "
                f"(n={p['n']}, poll {result['raw']['poll_ms']} ms)"
            )
    print("CPU ms per workflow (median of rounds):")
    for kind, parts in s["cpu_ms_per_workflow_median"].items():
        print(f"  {kind:>9}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
