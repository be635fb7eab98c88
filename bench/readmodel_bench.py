"""The console's queries at a million claims on PostgreSQL: list, queues, counts, figures.

Loads ``--claims`` synthetic claims (default 1,000,000) into a database of its own with COPY:
the ``claims`` rows, the denials they stand on, and the projector's rollups computed from them
with the same definitions (``services.rollups``). Then times every query the console and the
API make, through the very functions they call (``services.claim_queries``,
``services.analytics``), with parameters varied per call, and reports p50/p95/max in ms.
Target: p95 under 50 ms.

    .venv/bin/python bench/readmodel_bench.py [--claims 1000000] [--calls 100] [--keep]

The database is ``claimflow_bench_readmodel`` on the system's PostgreSQL (``make postgres``);
it is dropped at the end unless ``--keep`` (then ``--reuse`` skips the load next time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, text  # noqa: E402

from bench.machine import machine  # noqa: E402
from claims import aging  # noqa: E402
from services import analytics, claim_queries  # noqa: E402
from services.claim_queries import ClaimFilter, Queue, Sort, queue_filter  # noqa: E402
from services.db import init_db, make_engine, upgrade  # noqa: E402
from services.settings import Settings  # noqa: E402
from services.stack import postgres  # noqa: E402

DB = "claimflow_bench_readmodel"
PAYERS = [f"PAYER{n:02d}" for n in range(1, 26)]
# (status, share): a mature book of claims, most of them settled.
STATUSES = [
    ("CLOSED", 0.38), ("PAID", 0.17), ("DENIED", 0.08), ("PARTIALLY_PAID", 0.05),
    ("APPEALED", 0.02), ("SUBMITTED", 0.06), ("ACCEPTED", 0.07), ("REJECTED", 0.02),
    ("CODING_REVIEW", 0.01), ("SCRUB_FAILED", 0.01), ("WRITTEN_OFF", 0.04), ("VOIDED", 0.01),
    ("RECEIVED", 0.005), ("ADJUDICATED", 0.005), ("SCRUBBED", 0.005), ("CODED", 0.005),
]  # fmt: skip
CARCS = ["197", "16", "50", "96", "97", "29", "18", "4", "11", "109", "151", "204", "252"]
DENIED = {"DENIED", "PARTIALLY_PAID", "APPEALED"}
AWAITING = {"SUBMITTED", "ACCEPTED", "APPEALED", "ADJUDICATED"}
UNBILLED = {"RECEIVED", "CODED", "SCRUBBED", "CODING_REVIEW", "SCRUB_FAILED"}
SETTLED = {"CLOSED", "PAID", "WRITTEN_OFF", "VOIDED"}


def claim_rows(n: int, seed: int, now: dt.datetime) -> tuple[io.StringIO, io.StringIO]:
    """CSV buffers for ``claims`` and ``claim_denials``."""
    rng = random.Random(seed)
    names = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    claims, denials = io.StringIO(), io.StringIO()
    today = now.date()
    for i in range(n):
        claim_id = f"B{i:025d}"
        status = rng.choices(names, weights)[0]
        payer = PAYERS[min(int(rng.paretovariate(1.2)) - 1, len(PAYERS) - 1)]
        charge = Decimal(rng.randint(40, 4000)) + Decimal(rng.randint(0, 99)) / 100
        age = rng.randint(0, 420)
        received = now - dt.timedelta(days=age, seconds=rng.randint(0, 86_000))
        updated = received + dt.timedelta(days=rng.randint(0, min(age, 60)))
        billed = (
            "" if status in UNBILLED else (today - dt.timedelta(days=max(age - 2, 0))).isoformat()
        )
        paid = ""
        owed = "0.00" if status in SETTLED else str(charge)
        reasons, deadline, follow_up = "", "", ""
        if status in DENIED:
            carc = rng.choice(CARCS)
            amount = (
                charge if status != "PARTIALLY_PAID" else (charge / 4).quantize(Decimal("0.01"))
            )
            owed = str(amount)
            paid = str(charge - amount)
            reasons = f"CO-{carc}"
            if status != "APPEALED":
                deadline = (updated + dt.timedelta(days=120)).isoformat()
            denials.write(
                f"{claim_id},CO-{carc},CO,{carc},{amount},N54,{payer},{status},{updated.isoformat()},"
                f"{deadline}\n"
            )
        if status in AWAITING and rng.random() < 0.15:
            follow_up = (updated + dt.timedelta(days=30)).isoformat()
        written_off = str(charge) if status == "WRITTEN_OFF" else ""
        decision = "PAID" if status in SETTLED else ""
        claims.write(
            f"{claim_id},{status},{rng.randint(3, 12)},{payer},{charge},{paid},,{owed},PCN{i},0,"
            f'"{reasons}",{received.isoformat()},{updated.isoformat()},{deadline},'
            f"{billed},{decision},false,false,{follow_up},{written_off}\n"
        )
    claims.seek(0)
    denials.seek(0)
    return claims, denials


CLAIM_COLUMNS = (
    "claim_id, status, last_seq, payer_id, total_charge, paid_amount, patient_responsibility, "
    "outstanding_amount, payer_claim_control_number, appeal_level, denial_reasons, received_at, "
    "updated_at, appeal_deadline, billed_on, first_decision, reworked, appeal_pending, "
    "follow_up_overdue_at, written_off_amount"
)

ROLLUPS_SQL = """
INSERT INTO rollup_status (payer_id, status, claims)
  SELECT payer_id, status, count(*) FROM claims GROUP BY payer_id, status;
INSERT INTO rollup_ar (payer_id, day, open_claims, outstanding, billed_claims, billed_charges)
  SELECT payer_id, billed_on,
         count(*) FILTER (WHERE outstanding_amount > 0
                          AND status NOT IN ('WRITTEN_OFF', 'VOIDED', 'CLOSED')),
         coalesce(sum(outstanding_amount) FILTER (WHERE outstanding_amount > 0
                          AND status NOT IN ('WRITTEN_OFF', 'VOIDED', 'CLOSED')), 0),
         count(*), sum(total_charge)
  FROM claims WHERE billed_on IS NOT NULL GROUP BY payer_id, billed_on;
INSERT INTO rollup_reasons (payer_id, reason, denials, at_risk_claims, at_risk_amount)
  SELECT c.payer_id, d.reason, count(*), count(*), sum(d.amount)
  FROM claim_denials d JOIN claims c USING (claim_id) GROUP BY c.payer_id, d.reason;
INSERT INTO rollup_decisions (payer_id, day, decided, denied, first_pass_paid,
                              appeals_decided, appeals_overturned)
  SELECT payer_id, updated_at::date, count(*),
         count(*) FILTER (WHERE status IN ('DENIED', 'PARTIALLY_PAID', 'APPEALED')),
         count(*) FILTER (WHERE status IN ('PAID', 'CLOSED')), 0, 0
  FROM claims WHERE billed_on IS NOT NULL GROUP BY payer_id, updated_at::date;
"""


def load(engine: Engine, n: int, now: dt.datetime) -> dict[str, float]:
    started = time.perf_counter()
    claims, denials = claim_rows(n, seed=7, now=now)
    generated = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.copy_expert(f"COPY claims ({CLAIM_COLUMNS}) FROM STDIN WITH (FORMAT csv)", claims)
        cur.copy_expert(
            'COPY claim_denials (claim_id, reason, "group", carc, amount, rarcs, payer_id, status, '
            "updated_at, appeal_deadline) FROM STDIN WITH (FORMAT csv)",
            denials,
        )
        copied = time.perf_counter()
        cur.execute(ROLLUPS_SQL)
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    done = time.perf_counter()
    return {
        "generate_s": round(generated - started, 1),
        "copy_s": round(copied - generated, 1),
        "rollups_and_analyze_s": round(done - copied, 1),
    }


def timed(calls: int, fn: Callable[[random.Random], Any]) -> dict[str, float]:
    rng = random.Random(3)
    fn(rng)  # warm: plans and pages in cache, as on a running console
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn(rng)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


def queries(engine: Engine) -> dict[str, Callable[[random.Random], Any]]:
    find, count = claim_queries.find, claim_queries.count
    buckets = aging.BUCKET_NAMES

    def floor(_: random.Random) -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return {
        # What any query costs here before it does anything: a pooled connection's round trip.
        "floor: SELECT 1": floor,
        "list: newest first": lambda r: find(engine, ClaimFilter()),
        "list: one status": lambda r: find(engine, ClaimFilter(statuses=(r.choice([
            claim_queries.S.DENIED, claim_queries.S.SUBMITTED, claim_queries.S.PAID]),))),
        "list: payer + status": lambda r: find(engine, ClaimFilter(
            payer_id=r.choice(PAYERS), statuses=(claim_queries.S.DENIED,))),
        "list: CARC": lambda r: find(engine, ClaimFilter(carc=r.choice(CARCS))),
        "list: aging bucket + payer, by age": lambda r: find(engine, ClaimFilter(
            payer_id=r.choice(PAYERS[:5]), aging_bucket=r.choice(buckets), sort=Sort.AGE)),
        "list: aging bucket, by age": lambda r: find(engine, ClaimFilter(
            aging_bucket=r.choice(buckets), sort=Sort.AGE)),
        "list: outstanding above, by amount": lambda r: find(engine, ClaimFilter(
            outstanding_above=Decimal(r.choice([500, 1000, 3000])), sort=Sort.OUTSTANDING)),
        "list: appeal deadline before": lambda r: find(engine, ClaimFilter(
            appeal_deadline_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=r.randint(5, 60)),
            sort=Sort.APPEAL_DEADLINE)),
        "list: page 20 (offset 1000)": lambda r: find(engine, ClaimFilter(), offset=1000),
        "queue: denials by deadline": lambda r: find(engine, queue_filter(Queue.DENIALS)),
        "queue: denials, CARC + payer": lambda r: find(engine, queue_filter(
            Queue.DENIALS, carc=r.choice(CARCS), payer_id=r.choice(PAYERS[:5]))),
        "queue: follow-ups overdue": lambda r: find(engine, queue_filter(Queue.FOLLOW_UP)),
        "queue: coding review": lambda r: find(engine, queue_filter(Queue.CODING_REVIEW)),
        "count: denials queue (capped)": lambda r: count(engine, queue_filter(Queue.DENIALS)),
        "count: one payer's claims (capped)": lambda r: count(engine, ClaimFilter(
            payer_id=r.choice(PAYERS))),
        "count: all queues": lambda r: claim_queries.queue_counts(engine),
        "aging report": lambda r: analytics.aging_report(engine),
        "denial report": lambda r: analytics.denial_report(engine),
        "overview": lambda r: analytics.overview(engine),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=100, help="timed calls per query")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a kept database as it is")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "readmodel.json")
    args = parser.parse_args()

    settings = Settings(state_dir=ROOT / ".state" / "bench")
    postgres.up(settings)
    url = postgres.url(settings, DB) if args.reuse else postgres.create_database(settings, DB)
    engine = make_engine(url)
    loading: dict[str, float] = {}
    try:
        if not args.reuse:
            init_db(engine)
            loading = load(engine, args.claims, dt.datetime.now(dt.UTC))
            print(f"loaded {args.claims:,} claims: {loading}")
        else:  # a kept database: migrated to this release, as `claimflow db upgrade` does
            upgrade(engine)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
            db_size = size.scalar_one()
        results = {}
        for name, fn in queries(engine).items():
            results[name] = timed(args.calls, fn)
            r = results[name]
            flag = "" if r["p95_ms"] < 50 else "   <-- over 50 ms"
            print(f"{name:<38} p50 {r['p50_ms']:>7.2f}  p95 {r['p95_ms']:>7.2f}  "
                  f"max {r['max_ms']:>7.2f} ms{flag}")  # fmt: skip
    finally:
        engine.dispose()
        if not args.keep:
            postgres.drop_database(settings, DB)
    worst = max(r["p95_ms"] for name, r in results.items() if not name.startswith("floor"))
    result = {
        "figure": "p95 latency of the console's queries at --claims claims on PostgreSQL (ms)",
        "target_p95_ms": 50,
        "worst_p95_ms": worst,
        "claims": args.claims,
        "database_size": db_size,
        "load": loading,
        "queries": results,
        "note": "measured on a shared, loaded 2-core machine: indicative; rerun on a quiet one",
        "command": " ".join([".venv/bin/python", "bench/readmodel_bench.py", *sys.argv[1:]]),
        "machine": machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"worst p95 {worst} ms; wrote {args.out}")


if __name__ == "__main__":
    main()
