"""Our publish path against Kafka's own producer tool, side by side on one broker.

The publish activity sends each claim event with ``EventProducer.publish``: one record to
the lifecycle topic, awaited, then one to the state topic, awaited (acks=all, idempotent,
one request in flight, no linger). That is two broker round trips per event, and a worker
thread blocked for both. This benchmark shows what that costs, in records per second (one
event = two records), against Kafka's ``org.apache.kafka.tools.ProducerPerformance`` with
records of the same size:

- ``ours_serial``: one publisher, one event at a time: a single claim's activity;
- ``ours_threads16``: one shared producer, 16 threads publishing, as the worker runs
  activities (``services.worker`` uses a 16-thread pool);
- ``python_pipelined``: the same kafka-python client, sends not awaited one by one but
  flushed at the end: what the Python client can do when nothing waits per record;
- ``java_serial``: ProducerPerformance held to one record per request (one partition,
  ``batch.size=1``, ``max.in.flight.requests.per.connection=1``, ``linger.ms=0``): the
  broker round trip alone, which is the floor our serial path sits on;
- ``java_pipelined``: ProducerPerformance with its defaults (batching, linger, 5 in flight)
  and acks=all, idempotence on, three partitions: the broker's best case.

The variants run in interleaved rounds (order rotated each round) and the ratios are taken
within a round, so the shared machine's noise mostly cancels. Client and broker CPU per
1000 records are sampled too (the Java client's includes its JVM start).

    .venv/bin/python bench/publish_bench.py [--events 2000] [--rounds 3]

Prints the figures and writes bench/results/publish.json. Not a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, Python puts bench/ first on the path; the repo root must come first so
# that ``events``, ``services`` ... are the project's packages.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any  # noqa: E402

from kafka import KafkaAdminClient  # noqa: E402
from ulid import ULID  # noqa: E402

from bench.common import (  # noqa: E402
    bench_settings,
    command_line,
    machine,
    percentiles,
    proc_cpu_seconds,
    running_stack,
    summary,
    write_result,
)
from claims.status import ClaimStatus  # noqa: E402
from events import topics  # noqa: E402
from events.admin import ensure_topics  # noqa: E402
from events.contract import AdjustmentData, ClaimEvent, ClaimEventData, make_event  # noqa: E402
from events.producer import EventProducer  # noqa: E402
from services.consumer import prepare_topics  # noqa: E402
from services.settings import Settings  # noqa: E402
from services.stack import kafka, process  # noqa: E402
from services.worker import make_producer  # noqa: E402

VARIANTS = ("ours_serial", "ours_threads16", "python_pipelined", "java_serial", "java_pipelined")
WORKER_THREADS = 16  # services.worker.run's activity pool
JAVA_TIMEOUT_S = 300

# ProducerPerformance's summary line, e.g. "4000 records sent, 812.3 records/sec (0.79 MB/sec),
# 1.21 ms avg latency, 35.00 ms max latency, 1 ms 50th, 2 ms 95th, 3 ms 99th, 35 ms 99.9th."
SUMMARY_LINE = re.compile(
    r"(?P<records>\d+) records sent, (?P<rate>[\d.]+) records/sec \((?P<mb>[\d.]+) MB/sec\), "
    r"(?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th, "
    r"(?P<p95>\d+) ms 95th, (?P<p99>\d+) ms 99th"
)


def paid_event() -> ClaimEvent:
    """A PAID event as a clean claim publishes it: the largest on the clean path."""
    claim_id = str(ULID())
    data = ClaimEventData(
        claim_id=claim_id,
        seq=6,
        status=ClaimStatus.PAID,
        previous_status=ClaimStatus.ADJUDICATED,
        payer_id="SIMPAYER1",
        total_charge=Decimal("185.00"),
        paid_amount=Decimal("82.00"),
        patient_responsibility=Decimal("20.50"),
        diagnosis_codes=("E119", "I10"),
        procedure_codes=("99213", "85025"),
        payer_claim_control_number=f"SIM{claim_id[-12:]}",
        adjustments=(
            AdjustmentData(group="CO", carc="45", amount=Decimal("82.50")),
            AdjustmentData(group="PR", carc="2", amount=Decimal("20.50")),
        ),
    )
    return make_event(time=dt.datetime.now(dt.UTC), data=data)


@dataclass
class Run:
    """One variant in one round."""

    records: int
    seconds: float
    client_cpu_s: float
    broker_cpu_s: float
    latency_ms: dict[str, float]
    extra: dict[str, Any]

    def row(self, variant: str, round_no: int) -> dict[str, Any]:
        per_k = 1000 / self.records
        return {
            "round": round_no,
            "variant": variant,
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.records / self.seconds, 1),
            "events_per_second": round(self.records / 2 / self.seconds, 1),
            "client_cpu_ms_per_1000_records": round(1000 * self.client_cpu_s * per_k, 1),
            "broker_cpu_ms_per_1000_records": round(1000 * self.broker_cpu_s * per_k, 1),
            "latency_ms": self.latency_ms,
            **self.extra,
        }


class Bench:
    def __init__(self, settings: Settings, args: argparse.Namespace) -> None:
        self.settings = settings
        self.args = args
        self.broker_pid = process.read_pid(settings.state_dir, kafka.NAME)
        self.java_serial_topic = settings.topic("bench.java.serial")
        self.java_pipelined_topic = settings.topic("bench.java.pipelined")
        prepare_topics(settings)
        ensure_topics(
            settings.kafka_bootstrap,
            [(self.java_serial_topic, topics.TopicSpec(self.java_serial_topic))],
            partitions=1,  # so that one batch per request means one record per request
            replication_factor=settings.topic_replication_factor,
            min_insync_replicas=settings.topic_min_insync_replicas,
        )
        ensure_topics(
            settings.kafka_bootstrap,
            [(self.java_pipelined_topic, topics.TopicSpec(self.java_pipelined_topic))],
            partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication_factor,
            min_insync_replicas=settings.topic_min_insync_replicas,
        )
        self.events = [paid_event() for _ in range(args.events)]
        self.pipelined_events = [paid_event() for _ in range(args.pipelined_events)]
        self.record_size = len(self.events[0].to_json_bytes())
        self.producer: EventProducer = make_producer(settings)
        self.pool = ThreadPoolExecutor(max_workers=WORKER_THREADS)
        # Connections, metadata, producer id and all 16 threads, before anything is timed.
        list(self.pool.map(self.producer.publish, [paid_event() for _ in range(64)]))

    def close(self) -> None:
        self.pool.shutdown()
        self.producer.close()
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap)
        try:  # the pipelined runs leave hundreds of MB behind
            names = [n for n in admin.list_topics() if n.startswith(self.settings.topic_prefix)]
            admin.delete_topics(names)
        finally:
            admin.close()

    # ------------------------------------------------------------------ our side

    def _timed(self, work: Callable[[], list[float]], records: int) -> Run:
        broker0, client0 = proc_cpu_seconds(self.broker_pid), time.process_time()
        start = time.perf_counter()
        latencies = work()
        seconds = time.perf_counter() - start
        return Run(
            records=records,
            seconds=seconds,
            client_cpu_s=time.process_time() - client0,
            broker_cpu_s=proc_cpu_seconds(self.broker_pid) - broker0,
            latency_ms=percentiles([1000 * x for x in latencies]) if latencies else {},
            extra={},
        )

    def _publish_timed(self, event: ClaimEvent) -> float:
        start = time.perf_counter()
        self.producer.publish(event)
        return time.perf_counter() - start

    def ours_serial(self) -> Run:
        return self._timed(
            lambda: [self._publish_timed(e) for e in self.events], 2 * len(self.events)
        )

    def ours_threads16(self) -> Run:
        return self._timed(
            lambda: list(self.pool.map(self._publish_timed, self.events)), 2 * len(self.events)
        )

    def python_pipelined(self) -> Run:
        # The very client publish() uses, with its configuration; only the per-record
        # .get() is gone. Reaching into the private attribute beats copying the config.
        client = self.producer._producer
        lifecycle = self.settings.topic(topics.LIFECYCLE)
        state = self.settings.topic(topics.STATE)

        def send_all() -> list[float]:
            for event in self.pipelined_events:
                key, value = event.subject.encode(), event.to_json_bytes()
                headers = [("ce_type", event.type.encode()), ("ce_id", event.id.encode())]
                client.send(lifecycle, key=key, value=value, headers=headers)
                client.send(state, key=key, value=value, headers=headers)
            client.flush()
            return []

        return self._timed(send_all, 2 * len(self.pipelined_events))

    # ------------------------------------------------------------------ Kafka's side

    def _producer_performance(self, topic: str, records: int, props: dict[str, str]) -> Run:
        argv = [
            kafka.java(),
            "-Xmx256m",
            "-cp", f"{kafka.ensure_libs()}/*",
            f"-Dlog4j2.configurationFile={kafka.LOG4J_CONFIG}",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic", topic,
            "--num-records", str(records),
            "--record-size", str(self.record_size),
            "--throughput", "-1",
            "--producer-props",
            *(f"{k}={v}" for k, v in props.items()),
        ]  # fmt: skip
        broker0 = proc_cpu_seconds(self.broker_pid)
        child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=JAVA_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
        child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        broker_cpu = proc_cpu_seconds(self.broker_pid) - broker0
        matches = list(SUMMARY_LINE.finditer(result.stdout))
        if result.returncode != 0 or not matches:
            raise RuntimeError(
                f"ProducerPerformance failed (exit {result.returncode}):\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        m = matches[-1]  # the final summary; earlier lines are 5-second progress reports
        rate = float(m["rate"])
        return Run(
            records=int(m["records"]),
            seconds=int(m["records"]) / rate,
            client_cpu_s=(child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime),
            broker_cpu_s=broker_cpu,
            latency_ms={
                "avg": float(m["avg"]),
                "p50": float(m["p50"]),
                "p95": float(m["p95"]),
                "p99": float(m["p99"]),
                "max": float(m["max"]),
            },
            extra={"tool_props": props},
        )

    def _common_props(self) -> dict[str, str]:
        return {
            "bootstrap.servers": self.settings.kafka_bootstrap,
            "acks": "all",
            "enable.idempotence": "true",
        }

    def java_serial(self) -> Run:
        props = {
            **self._common_props(),
            "max.in.flight.requests.per.connection": "1",
            "linger.ms": "0",
            "batch.size": "1",  # every record is a batch of its own
        }
        return self._producer_performance(self.java_serial_topic, 2 * len(self.events), props)

    def java_pipelined(self) -> Run:
        return self._producer_performance(
            self.java_pipelined_topic, self.args.java_records, self._common_props()
        )


def measure(bench: Bench, rounds: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in range(rounds):
        for variant in VARIANTS[r % len(VARIANTS) :] + VARIANTS[: r % len(VARIANTS)]:
            run: Run = getattr(bench, variant)()
            row = run.row(variant, r + 1)
            rows.append(row)
            print(
                f"round {r + 1} {variant:>16}: {row['records_per_second']:>10,.0f} records/s "
                f"({row['records']} in {row['seconds']:.2f}s; p50 "
                f"{row['latency_ms'].get('p50', float('nan')):.1f} ms)",
                flush=True,
            )
    return rows


RATIOS: dict[str, tuple[str, str]] = {
    # Same one-record-per-request discipline: Python client + two awaits vs the Java client.
    "ours_serial_over_java_serial": ("ours_serial", "java_serial"),
    # What awaiting every record costs against the broker's best case.
    "ours_serial_over_java_pipelined": ("ours_serial", "java_pipelined"),
    "ours_threads16_over_java_pipelined": ("ours_threads16", "java_pipelined"),
    "ours_threads16_over_ours_serial": ("ours_threads16", "ours_serial"),
    # The Python client's own ceiling, nothing awaited per record.
    "python_pipelined_over_java_pipelined": ("python_pipelined", "java_pipelined"),
    "ours_serial_over_python_pipelined": ("ours_serial", "python_pipelined"),
}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_round: dict[int, dict[str, float]] = {}
    for row in rows:
        by_round.setdefault(row["round"], {})[row["variant"]] = row["records_per_second"]
    out: dict[str, Any] = {
        name: summary([r[a] / r[b] for r in by_round.values()]) for name, (a, b) in RATIOS.items()
    }
    out["records_per_second"] = {
        v: summary([r["records_per_second"] for r in rows if r["variant"] == v]) for v in VARIANTS
    }
    out["cpu_ms_per_1000_records_median"] = {
        v: {
            side: round(
                statistics.median(
                    r[f"{side}_cpu_ms_per_1000_records"] for r in rows if r["variant"] == v
                ),
                1,
            )
            for side in ("client", "broker")
        }
        for v in VARIANTS
    }
    return out


def report(result: dict[str, Any]) -> None:
    s = result["summary"]
    print(f"\nrecord size {result['settings']['record_size_bytes']} bytes; one event = 2 records")
    for v in VARIANTS:
        rate = s["records_per_second"][v]
        cpu = s["cpu_ms_per_1000_records_median"][v]
        print(
            f"{v:>16}: {rate['median']:>10,.0f} records/s median (spread {rate['spread']:.0%}); "
            f"CPU per 1000 records: client {cpu['client']} ms, broker {cpu['broker']} ms"
        )
    for name in RATIOS:
        r = s[name]
        print(f"{name}: {r['median']:.4f} (min {r['min']:.4f}, max {r['max']:.4f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events for the serial runs")
    parser.add_argument("--pipelined-events", type=int, default=20000)
    parser.add_argument("--java-records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep-stack", action="store_true", help="leave the stack running")
    parser.add_argument(
        "--fresh", action="store_true", help="delete .state/bench first (empty databases)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    base = bench_settings()
    settings = base.model_copy(update={"topic_prefix": f"bench{uuid.uuid4().hex[:8]}."})
    host = machine()
    started = time.monotonic()
    with running_stack(base, keep=args.keep_stack, fresh=args.fresh):
        bench = Bench(settings, args)
        try:
            rows = measure(bench, args.rounds)
        finally:
            bench.close()
    result: dict[str, Any] = {
        "figure": "records/s of our publish path (EventProducer.publish, 2 records per event, "
        "each awaited) vs Kafka's ProducerPerformance, same broker, same run; ratios are "
        "medians of per-round ratios",
        "ours_serial_events_per_second": statistics.median(
            r["events_per_second"] for r in rows if r["variant"] == "ours_serial"
        ),
        "summary": summarise(rows),
        "rounds": rows,
        "settings": {
            "events": args.events,
            "pipelined_events": args.pipelined_events,
            "java_records": args.java_records,
            "rounds": args.rounds,
            "record_size_bytes": bench.record_size,
            "record": "a PAID claim event (CloudEvents JSON), keyed by claim id, 2 headers",
            "our_producer": "kafka-python, acks=all, enable_idempotence, "
            "max_in_flight_requests_per_connection=1, linger_ms=0 (events.producer)",
            "threads": WORKER_THREADS,
            "kafka": f"{base.kafka_bootstrap}, one KRaft node, "
            f"{base.topic_partitions} partitions (java_serial: 1)",
        },
        "command": command_line("publish_bench.py"),
        "machine": host,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    report(result)
    write_result("publish", result, args.out)


if __name__ == "__main__":
    main()
