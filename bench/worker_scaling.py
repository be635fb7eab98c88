"""Clean claim lifecycles per second with 1, 2 and 4 worker processes on one Temporal server.

Issue 12 asks where adding workers stops helping on this machine. claimflow runs as in
``lifecycle_bench`` (``tests.support.harness``: payer simulator with check runs, API, faust
consumer) except that the workers are separate processes (``python -m services worker``, as
deployed), started and stopped between measurements. Each round measures every worker count
(the order rotates) and, right after each, the no-op workflow on this process's baseline
worker, so every lifecycle rate has a no-op rate measured next to it on the same box.

    .venv/bin/python bench/worker_scaling.py [--workers 1 2 4] [--claims 150] [--rounds 3]

Prints the figures and writes bench/results/worker_scaling.json. Not a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

from temporalio.worker import Worker  # noqa: E402

from bench.baseline_workflows import ActivityChainWorkflow, NoopWorkflow, noop_activity  # noqa: E402
from bench.common import (  # noqa: E402
    STATE_DIR,
    bench_settings,
    command_line,
    machine,
    running_stack,
    summary,
    write_result,
)
from bench.lifecycle_bench import WORKER_THREADS, Workloads, make_claims  # noqa: E402
from bench.lifecycle_measure import drive  # noqa: E402
from services import apps  # noqa: E402
from services.settings import Settings  # noqa: E402
from services.stack import process  # noqa: E402
from services.temporal import connect  # noqa: E402
from tests.support import harness, unique_settings  # noqa: E402


def names(n: int) -> list[str]:
    return ["worker"] + [f"worker-{k}" for k in range(2, n + 1)]


async def use_workers(settings: Settings, n: int, most: int) -> None:
    """Exactly ``n`` worker processes polling: start the missing ones, stop the rest."""
    for name in names(most)[n:]:
        await asyncio.to_thread(process.stop, settings.state_dir, name)
    for name in names(n):
        await asyncio.to_thread(apps.start, settings, "worker", instance=name)


async def measure(
    args: argparse.Namespace, work: Workloads, settings: Settings
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    counts: list[int] = list(args.workers)
    most = max(counts)
    for r in range(args.rounds):
        for n in counts[r % len(counts) :] + counts[: r % len(counts)]:
            await use_workers(settings, n, most)
            # Every new process polls before anything is timed (they take seconds to start).
            warm = make_claims(args.warmup, f"W{r}{n}{work.tag}")
            await drive(warm, args.concurrency, work.lifecycle)
            await work.terminate(warm, args.concurrency)
            claims = make_claims(args.claims, f"R{r}{n}{work.tag}")
            seconds, _ = await drive(claims, args.concurrency, work.lifecycle)
            noop_s, _ = await drive(
                [f"r{r}-{n}-{k}" for k in range(args.claims)], args.concurrency, work.noop
            )
            await work.terminate(claims, args.concurrency)
            row = {
                "round": r + 1,
                "workers": n,
                "lifecycles_per_second": round(args.claims / seconds, 2),
                "noop_per_second": round(args.claims / noop_s, 2),
            }
            row["lifecycle_over_noop"] = round(
                row["lifecycles_per_second"] / row["noop_per_second"], 3
            )
            rows.append(row)
            print(
                f"round {r + 1}, {n} worker(s): {row['lifecycles_per_second']:.2f} lifecycles/s, "
                f"no-op {row['noop_per_second']:.2f}/s",
                flush=True,
            )
    await use_workers(settings, 0, most)
    return rows


async def run(args: argparse.Namespace, base: Settings) -> list[dict[str, Any]]:
    run_dir = STATE_DIR / "runs" / f"scaling-{uuid.uuid4().hex[:8]}"
    settings = unique_settings(
        base, run_dir, payer_delay_seconds=0.0, payer_check_run_seconds=args.check_run
    )
    # The worker processes seal payloads with the run's key ring: so must this client.
    client = await connect(settings)
    work = Workloads(client, settings.task_queue, f"{settings.task_queue}-baseline")
    try:
        async with harness(settings, client, worker=False):
            with ThreadPoolExecutor(max_workers=WORKER_THREADS) as executor:
                async with Worker(
                    client,
                    task_queue=work.baseline_queue,
                    workflows=[NoopWorkflow, ActivityChainWorkflow],
                    activities=[noop_activity],
                    activity_executor=executor,
                ):
                    try:
                        return await measure(args, work, settings)
                    finally:
                        await use_workers(settings, 0, max(args.workers))
    finally:
        if not args.keep_run_dir:  # its logs say why a worker did not start
            shutil.rmtree(run_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--claims", type=int, default=150, help="lifecycles per measurement")
    parser.add_argument("--concurrency", type=int, default=64, help="lifecycles in flight")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--check-run", type=float, default=0.5, help="payer check run (s)")
    parser.add_argument("--keep-stack", action="store_true")
    parser.add_argument("--keep-run-dir", action="store_true", help="keep logs and databases")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    base = bench_settings()
    host = machine()
    started = time.monotonic()
    with running_stack(base, keep=args.keep_stack):
        rows = asyncio.run(run(args, base))
    by_workers: dict[str, Any] = {}
    for n in args.workers:
        mine = [row for row in rows if row["workers"] == n]
        by_workers[str(n)] = {
            "lifecycles_per_second": summary([row["lifecycles_per_second"] for row in mine]),
            "lifecycle_over_noop": summary([row["lifecycle_over_noop"] for row in mine]),
        }
    one = statistics.median(row["lifecycles_per_second"] for row in rows if row["workers"] == 1)
    speedup = {
        str(n): round(by_workers[str(n)]["lifecycles_per_second"]["median"] / one, 2)
        for n in args.workers
    } if 1 in args.workers else {}  # fmt: skip
    result = {
        "figure": "clean claim lifecycles per second with N worker processes, same server",
        "by_workers": by_workers,
        "speedup_over_one_worker": speedup,
        "rows": rows,
        "settings": vars(args) | {"out": str(args.out) if args.out else None},
        "command": command_line("worker_scaling.py"),
        "machine": host,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    print()
    for n, figures in by_workers.items():
        rate = figures["lifecycles_per_second"]
        print(
            f"{n} worker(s): {rate['median']:.2f} lifecycles/s median "
            f"(min {rate['min']:.2f}, max {rate['max']:.2f}); "
            f"over no-op {figures['lifecycle_over_noop']['median']:.3f}"
        )
    if speedup:
        print("speed-up over one worker:", speedup)
    write_result("worker_scaling", result, args.out)


if __name__ == "__main__":
    main()
