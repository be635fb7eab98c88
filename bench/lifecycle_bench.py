"""Claim lifecycles per second, as a fraction of what bare Temporal does on the same server.

DESIGN.md section 8 makes the ratio the performance figure: on a small shared machine
absolute rates drift with the neighbours, but workloads measured side by side on one server
in one run share that noise. The workloads run in interleaved rounds (the order rotates each
round so no workload always goes first, on a warmer or a more loaded box):

- ``lifecycle``: a clean claim from RECEIVED to PAID, for real: coding, scrub (with the
  duplicate index), the payer simulator (delay 0) over HTTP and its remittance signal, and
  one event per transition published to Kafka (acks=all), each awaited before the status
  moves;
- ``noop``: a workflow that returns at once, the denominator;
- ``chain``: trivial activities in a row, as many as a clean lifecycle runs (counted in a
  warm-up claim's history), which splits the gap into "Temporal's activity round trips"
  and "our code";
- ``noop_result``: the no-op again, awaited with ``handle.result()`` (see below);
- ``messages``: the floor: a workflow started and then sent the three payer messages a clean
  claim hears (999, 277CA, 835) as signals, one after another as the posting workflows
  would, and done. ``messages/noop`` bounds what any lifecycle/noop ratio can reach while a
  claim hears its payer by signals.
- ``floor``: ``messages`` plus the seven events of a clean claim published to Kafka (the
  after side's topics, projected by its consumer) by local activities, awaited, in the four
  groups the publish-before-move guarantee allows. ``floor/noop`` bounds what any design
  that keeps the guarantee can reach here.

A claim does not end at PAID (it waits out reversals, then closes), so "PAID" is read from
the workflow's history as it grows: the search-attribute upsert that sets ``ClaimStatus`` to
PAID, made right after the PAID event is acknowledged. Every workload is started with
``client.start_workflow`` and awaited by following its history the same way (``noop`` until
its completion event); ``noop_result`` shows what that costs against a plain
``handle.result()``. ``--concurrency`` workflows are in flight at a time, on workers with
the same settings (defaults, an 8-thread activity pool as in
``services.worker.running_worker``) in this process. claimflow itself (worker, payer
simulator, API, faust consumer as a child process) comes from ``tests.support.harness``, on
the benchmark's own stack (``bench.common``). Measured claims are terminated afterwards.

Event lag (transition to read model) is measured during the lifecycle rounds: a thread
polls the projected ``claim_events`` table every ``--poll-ms`` and notes when each row
first appears; the lag is that wall time minus the event's ``time`` (the workflow's clock
at the transition). Afterwards the lifecycle topic is read back and each record's producer
timestamp splits the lag into "transition to Kafka" and "Kafka to read model".

Per round, CPU seconds used by each process (this one, Temporal, Kafka, the consumer) are
sampled from /proc, which says where a lifecycle's time goes.

    .venv/bin/python bench/lifecycle_bench.py [--claims 200] [--concurrency 32] [--rounds 5]

Prints the figures and writes bench/results/lifecycle.json. Not a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, Python puts bench/ first on the path; the repo root must come first so
# that ``workflows``, ``events`` ... are the project's packages.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Awaitable, Callable, Sequence  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from temporalio.worker import Worker  # noqa: E402

from bench.baseline_workflows import (  # noqa: E402
    ActivityChainWorkflow,
    FloorWorkflow,
    MessagesWorkflow,
    NoopWorkflow,
    noop_activity,
)
from bench.common import (  # noqa: E402
    STATE_DIR,
    bench_settings,
    command_line,
    machine,
    percentiles,
    running_stack,
    write_result,
)
from bench.lifecycle_measure import (  # noqa: E402
    KINDS,
    LIFECYCLES,
    CpuMeter,
    ProjectionWatcher,
    drive,
    event_lag,
    kafka_timestamps,
    paced,
    report,
    summarise,
)
from bench.lifecycle_workloads import FloorEvents, Workloads, make_claims  # noqa: E402
from claims.model import Claim  # noqa: E402
from services.settings import Settings  # noqa: E402
from services.stack import process  # noqa: E402
from services.temporal import connect  # noqa: E402
from services.worker import make_producer  # noqa: E402
from tests.support import harness, unique_settings  # noqa: E402

# tests.support.harness runs the worker with 8 activity threads; the baseline worker matches.
WORKER_THREADS = 8


# --------------------------------------------------------------------------- the run


@dataclass
class Side:
    """One claimflow installation of the run: its settings, read model watcher and claims."""

    settings: Settings
    watcher: ProjectionWatcher
    claims: list[Claim] = field(default_factory=list)
    # Claims of the open-loop run at half the measured maximum (event lag at that load).
    paced: list[Claim] = field(default_factory=list)


@dataclass
class Measured:
    rounds: list[dict[str, Any]] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    paced_rate: dict[str, float] = field(default_factory=dict)


async def warm_up(
    args: argparse.Namespace, work: Workloads, sides: dict[str, Side], kinds: Sequence[str]
) -> None:
    """Unmeasured workflows of every kind; the chain's length from a "before" claim."""
    warm: dict[str, list[Claim]] = {}
    for kind in LIFECYCLES:
        if kind in kinds:
            warm[kind] = make_claims(args.warmup, f"W{kind[-1]}{work.tag}")
            await drive(warm[kind], args.concurrency, getattr(work, kind))
    if "chain" in kinds:
        counts = Counter(
            work.activities[c.claim_id] for c in warm["lifecycle_before"] if c.claim_id
        )
        work.chain_length = counts.most_common(1)[0][0]
    for kind in kinds:
        if kind not in LIFECYCLES:
            await drive(
                [f"w{k}" for k in range(args.warmup)], args.concurrency, getattr(work, kind)
            )
    for kind, claims in warm.items():
        # Also proves each consumer has joined its group before anything is timed.
        await sides[kind].watcher.wait_for(work.keys(claims), timeout=120)
        await work.terminate(claims, args.concurrency)
    print(
        f"warmed up ({args.warmup} of each); a clean claim runs {work.chain_length} ordinary "
        "activities on the before path; measuring",
        flush=True,
    )


async def measure_rounds(
    args: argparse.Namespace, work: Workloads, sides: dict[str, Side], meter: CpuMeter
) -> Measured:
    """Warm up, then ``--rounds`` rounds of every workload, in a rotating order; then each
    lifecycle path once more, open loop at half its median rate, for the event lag."""
    kinds: tuple[str, ...] = tuple(args.kinds)
    await warm_up(args, work, sides, kinds)
    out = Measured()
    for r in range(args.rounds):
        for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
            items: list[Any]
            if kind in LIFECYCLES:
                items = make_claims(args.claims, f"R{r}{kind[-1]}{work.tag}")
                sides[kind].claims += items
            else:
                items = [f"r{r}-{k}" for k in range(args.claims)]
            runner: Callable[[Any], Awaitable[None]] = getattr(work, kind)
            meter.start()
            seconds, lat = await drive(items, args.concurrency, runner)
            cpu = meter.stop()
            out.latencies[kind] += lat
            row = {
                "round": r + 1,
                "kind": kind,
                "workflows": len(items),
                "seconds": round(seconds, 3),
                "per_second": round(len(items) / seconds, 2),
                "cpu_ms_per_workflow": {
                    name: round(1000 * sec / len(items), 2) for name, sec in cpu.items()
                },
                "cpu_cores_busy": round(sum(cpu.values()) / seconds, 2),
            }
            out.rounds.append(row)
            print(
                f"round {r + 1} {kind:>16}: {row['per_second']:8.2f}/s ({len(items)} in "
                f"{seconds:.1f}s, {row['cpu_cores_busy']} cores busy)",
                flush=True,
            )
            if kind in LIFECYCLES:
                # Let the consumer catch up, so its work is not billed to the next workload.
                await sides[kind].watcher.wait_for(work.keys(items), timeout=120)
    for kind in LIFECYCLES:
        if kind not in kinds or not args.paced_claims:
            continue
        rates = [row["per_second"] for row in out.rounds if row["kind"] == kind]
        rate = out.paced_rate[kind] = round(statistics.median(rates) / 2, 2)
        items = make_claims(args.paced_claims, f"P{kind[-1]}{work.tag}")
        sides[kind].paced = items
        seconds, _ = await paced(items, rate, getattr(work, kind))
        await sides[kind].watcher.wait_for(work.keys(items), timeout=120)
        print(f"{kind}: {len(items)} claims paced at {rate}/s (half the median) in {seconds:.1f}s")
    return out


async def run(args: argparse.Namespace, base: Settings) -> dict[str, Any]:
    """Two claimflow installations from the test harness (after and before) plus a baseline
    worker, all on the bench stack and this one Temporal server."""
    client = await connect(base)
    run_dir = STATE_DIR / "runs" / f"lifecycle-{uuid.uuid4().hex[:8]}"
    after = unique_settings(
        base, run_dir / "after", payer_delay_seconds=0.0, payer_check_run_seconds=args.check_run
    )
    before = unique_settings(base, run_dir / "before", payer_delay_seconds=0.0)
    sides = {
        kind: Side(s, ProjectionWatcher(_db(s), args.poll_ms / 1000))
        for kind, s in (("lifecycle", after), ("lifecycle_before", before))
    }
    work = Workloads(client, after.task_queue, f"{after.task_queue}-baseline", before.task_queue)
    stamps: dict[str, dict[tuple[str, int], float]] = {}
    try:
        async with harness(after, client), harness(before, client):
            for side in sides.values():
                side.watcher.start()
            pids = {
                "temporal": process.read_pid(base.state_dir, "temporal"),
                "kafka": process.read_pid(base.state_dir, "kafka"),
            }
            for kind, side in sides.items():
                pids[f"consumer (faust, {kind})"] = process.read_pid(
                    side.settings.state_dir, "consumer"
                )
            meter = CpuMeter(pids)
            # The floor's events go to the after side's topics, so its consumer projects them.
            producer = make_producer(after)
            with ThreadPoolExecutor(max_workers=WORKER_THREADS) as executor:
                async with Worker(
                    client,
                    task_queue=work.baseline_queue,
                    workflows=[
                        NoopWorkflow,
                        ActivityChainWorkflow,
                        MessagesWorkflow,
                        FloorWorkflow,
                    ],
                    activities=[noop_activity, FloorEvents(producer).publish],
                    activity_executor=executor,
                ):
                    measured = await measure_rounds(args, work, sides, meter)
            producer.close()
            for kind, side in sides.items():
                side.watcher.stop()
                claims = side.claims + side.paced
                ids = {c.claim_id for c in claims if c.claim_id}
                stamps[kind] = kafka_timestamps(side.settings, ids) if ids else {}
                await work.terminate(claims, args.concurrency)
    finally:
        for side in sides.values():
            if side.watcher.is_alive():
                side.watcher.stop()
        shutil.rmtree(run_dir, ignore_errors=True)

    lag: dict[str, Any] = {}
    for kind, side in sides.items():
        if kind not in args.kinds:
            continue
        seen = side.watcher.seen
        lag[kind] = {
            "saturated": event_lag(work.keys(side.claims), work.paths, seen, stamps[kind]),
            "half_load": event_lag(work.keys(side.paced), work.paths, seen, stamps[kind]),
            "half_load_rate_per_second": measured.paced_rate.get(kind),
        }
    return {
        "rounds": measured.rounds,
        "kinds": list(args.kinds),
        "latency_s": {k: percentiles(measured.latencies[k]) for k in args.kinds},
        "event_lag_ms": lag,
        "chain_length": work.chain_length,
        "paths": dict(Counter(" > ".join(p) for p in work.paths.values())),
        "poll_ms": args.poll_ms,
    }


def _db(settings: Settings) -> Path:
    return Path(settings.resolved_database_url.removeprefix("sqlite:///"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=200, help="workflows per workload/round")
    parser.add_argument("--concurrency", type=int, default=32, help="workflows in flight")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured workflows per kind")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="read-model poll interval")
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=KINDS,
        default=["lifecycle", "lifecycle_before", "noop"],
        help="workloads measured in each round",
    )
    parser.add_argument(
        "--check-run", type=float, default=0.5, help="the after-side payer's check run (s)"
    )
    parser.add_argument(
        "--paced-claims",
        type=int,
        default=100,
        help="claims per lifecycle path run open loop at half its rate, for the event lag",
    )
    parser.add_argument("--keep-stack", action="store_true", help="leave the stack running")
    parser.add_argument(
        "--fresh", action="store_true", help="delete .state/bench first (empty databases)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    base = bench_settings()
    host = machine()
    started = time.monotonic()
    with running_stack(base, keep=args.keep_stack, fresh=args.fresh):
        raw = asyncio.run(run(args, base))
    result: dict[str, Any] = {
        "figure": "clean claim lifecycles (RECEIVED..PAID) per second / no-op workflows per "
        "second, same Temporal server, same run; median of interleaved rounds",
        "lifecycle_over_noop": None,
        "summary": {},
        "raw": raw,
        "settings": {
            "claims_per_round": args.claims,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "warmup_per_kind": args.warmup,
            "payer_delay_seconds": 0.0,
            "after_check_run_seconds": args.check_run,
            "paced_claims": args.paced_claims,
            "kinds": args.kinds,
            "worker_activity_threads": WORKER_THREADS,
            "temporal": f"dev server on {base.temporal_address}, SQLite WAL, UI off",
            "kafka": f"{base.kafka_bootstrap}, one KRaft node, {base.topic_partitions} partitions",
            "read_model": "SQLite (WAL) in the run dir",
        },
        "command": command_line("lifecycle_bench.py"),
        "machine": host,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    result["summary"] = summarise(raw)
    for name in ("lifecycle_over_noop", "lifecycle_before_over_noop"):
        if name in result["summary"]:
            result[name] = result["summary"][name]["median"]
    report(result)
    write_result("lifecycle", result, args.out)


if __name__ == "__main__":
    main()
