"""A large ERA posted completely and once: intake, paged posting, every message accounted for.

One generated, balanced 835 of ``--claims`` claim payments (``bench/x12_bench.py``'s: 2-3
service lines each, CAS, LQ remarks, a PLB) is taken in through ``services.inbound.ingest``
exactly as the API takes a POSTed file, on the benchmark stack (real Temporal, real Kafka
for the worker, SQLite or ``--database-url``). Its claims name no open claim, so every
message ends in the unmatched queue: the run checks that the queue then holds exactly one
row per claim payment, that the unit is posted and its file taken, that the payment
reconciles (sum CLP04 - PLB = BPR02), and that the same file taken again is a duplicate
and posts nothing more.

    .venv/bin/python bench/era_bench.py [--claims 50000] [--page-size 200]

Prints the figures and writes bench/results/era.json. Not a test. The machine is shared:
figures are "measured under load, indicative" (the load average at start is recorded).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_settings, command_line, running_stack, write_result  # noqa: E402
from bench.machine import machine  # noqa: E402
from bench.x12_bench import big_835  # noqa: E402
from services import inbound_store, payments  # noqa: E402
from services.consumer import prepare_topics  # noqa: E402
from services.db import init_db, make_engine  # noqa: E402
from services.inbound import ingest  # noqa: E402
from services.temporal import connect  # noqa: E402
from services.worker import running_worker  # noqa: E402


def make_era(claims: int, trace: str) -> bytes:
    """The x12 benchmark's balanced ERA (2-3 lines per claim, CAS, LQ, a PLB) under a
    trace number of this run's own."""
    return big_835(claims).replace("*EFT0001*", f"*{trace}*", 1).encode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    base = bench_settings()
    tag = uuid.uuid4().hex[:8]
    with running_stack(base, keep=args.keep_stack):
        settings = base.model_copy(update={
            "task_queue": f"era-{tag}", "topic_prefix": f"era{tag}.",
            "posting_page_size": args.page_size,
            "database_url": args.database_url or f"sqlite:///{base.state_dir / f'era-{tag}.db'}",
        })  # fmt: skip
        prepare_topics(settings)
        engine = make_engine(settings.resolved_database_url)
        init_db(engine)
        client = await connect(settings)
        trace = f"BENCH-{tag}"
        started = time.perf_counter()
        data = make_era(args.claims, trace)
        built = time.perf_counter() - started
        async with running_worker(settings, client, threads=8):
            t0 = time.perf_counter()
            [unit] = await ingest(data, source="era-bench.835", settings=settings, engine=engine,
                                  client=client)  # fmt: skip
            intake = time.perf_counter() - t0
            assert unit.outcome == "posting", unit
            while True:
                record = inbound_store.get_file(engine, unit.payer_file_id)
                assert record is not None
                if record.status == "taken":
                    break
                await asyncio.sleep(1)
            posted = time.perf_counter() - t0
            [done] = inbound_store.units_of(engine, unit.payer_file_id)
            queued = inbound_store.count_unmatched(engine, unit.file_id)
            payment = payments.find_payments(engine, trace_number=trace)[0]
            view = payments.get_payment(engine, payment.payment_id)
            assert view is not None
            again = await ingest(data, source="again.835", settings=settings, engine=engine,
                                 client=client)  # fmt: skip
        checks = {
            "unit_posted": done.status == "posted",
            "every_message_accounted_for": done.delivered + done.unmatched == args.claims,
            "unmatched_rows_once_each": queued == args.claims,
            "payment_complete_and_balanced": view.balance.complete and view.balance.balanced,
            "second_intake_is_a_duplicate": [u.outcome for u in again] == ["duplicate"],
        }
        return {
            "claims": args.claims,
            "page_size": args.page_size,
            "pages": -(-args.claims // args.page_size),
            "file_mb": round(len(data) / 1e6, 2),
            "build_s": round(built, 2),
            "intake_s": round(intake, 2),
            "posted_s": round(posted, 2),
            "claim_payments_per_s": round(args.claims / posted, 1),
            "checks": checks,
            "ok": all(checks.values()),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep-stack", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    figures = asyncio.run(run(args))
    result = {"figures": figures, "command": command_line("era_bench.py"),
              "machine": machine(), "load_at_start": load,
              "note": "measured under load on a shared machine: indicative"}  # fmt: skip
    print(figures)
    write_result("era", result)
    if not figures["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
