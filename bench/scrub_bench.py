"""Scrubber throughput: service lines scrubbed per second, in one process.

Generates a seeded synthetic batch of claims (valid NPIs, addresses and totals; about a
third made dirty: wrong totals, bad NPIs, late filing, NCCI pairs, MUE overruns), builds
them outside the timed region, then times ``claims.scrub.scrub`` over the whole batch. Two
table sets are measured: the shipped samples, and synthetic tables of CMS's size (hundreds
of thousands of PTP pairs), since dict lookups must stay flat as the tables grow.

    .venv/bin/python bench/scrub_bench.py [--claims 20000] [--repeat 3]

Prints the figures and writes bench/results/scrub.json. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from claims.model import Claim  # noqa: E402
from claims.ncci import EditTables, MueEdit, MueTable, PtpEdit, PtpTable, default_tables  # noqa: E402
from claims.npi import make_npi  # noqa: E402
from claims.scrub import scrub  # noqa: E402

TODAY = dt.date(2026, 3, 10)
SAMPLE_PAIRS = [("93000", "93005"), ("45380", "45378"), ("20610", "76942"), ("11042", "97597")]
COMMON = ["99213", "99214", "36415", "85025", "80053", "J3420", "G0438", "97110", "97140"]


def _address(rng: random.Random, zip9: bool = True) -> dict[str, str]:
    return {
        "line1": f"{rng.randint(1, 9999)} Main Street",
        "city": "Springfield",
        "state": "IL",
        "postal_code": f"{rng.randint(10000, 99999)}"
        + (f"{rng.randint(0, 9999):04d}" if zip9 else ""),
    }


def make_claims(n: int, seed: int = 7) -> list[Claim]:
    rng = random.Random(seed)
    providers = [make_npi(f"1{rng.randint(0, 10**8 - 1):08d}") for _ in range(200)]
    claims = []
    for k in range(n):
        dirty = rng.random() < 0.35
        n_lines = rng.randint(1, 8)
        dos = TODAY - dt.timedelta(days=rng.randint(1, 300))
        codes = rng.sample(COMMON, n_lines)
        units = ["1"] * n_lines
        if dirty and n_lines >= 2 and rng.random() < 0.5:
            codes[0], codes[1] = rng.choice(SAMPLE_PAIRS)
        if dirty and rng.random() < 0.3:
            codes[-1], units[-1] = "97140", "9"  # over its MUE of 6
        lines = [
            {
                "procedure_code": code,
                "modifiers": ["59"] if rng.random() < 0.1 else [],
                "units": u,
                "charge": f"{rng.randint(10, 500)}.{rng.randint(0, 99):02d}",
                "diagnosis_pointers": [1],
                "service_date_from": dos.isoformat(),
            }
            for code, u in zip(codes, units, strict=True)
        ]
        total = sum((Decimal(ln["charge"]) for ln in lines), Decimal(0))
        npi = rng.choice(providers)
        if dirty and rng.random() < 0.2:
            npi = npi[:9] + str((int(npi[9]) + 1) % 10)
        if dirty and rng.random() < 0.2:
            total += Decimal("1.00")
        data: dict[str, Any] = {
            "account_number": f"A{k}",
            "billing_provider": {
                "npi": npi,
                "name": "Clinic",
                "tax_id": "123456789",
                "address": _address(rng, zip9=not (dirty and rng.random() < 0.1)),
            },
            "subscriber": {
                "member_id": f"M{k}",
                "first_name": "Pat",
                "last_name": "Jones",
                "date_of_birth": "1970-01-01",
                "sex": "F",
                "address": _address(rng),
            },
            "payer": {
                "payer_id": "PAYER1",
                "name": "Acme",
                "filing_limit_days": 90 if dirty and rng.random() < 0.2 else 365,
            },
            "place_of_service": "11",
            "diagnoses": ["E119"],
            "lines": lines,
            "total_charge": str(total),
        }
        claims.append(Claim.model_validate(data))
    return claims


def cms_scale_tables(pairs: int, seed: int = 11) -> EditTables:
    """Synthetic tables about the size of CMS's practitioner files, over real-looking codes,
    including every code the batch uses so lookups hit as well as miss."""
    rng = random.Random(seed)
    pool = [f"{c:05d}" for c in range(10000, 99999, 7)] + COMMON
    edits = [
        PtpEdit(rng.choice(pool), rng.choice(pool), dt.date(2010, 1, 1), None, rng.choice("019"))
        for _ in range(pairs)
    ]
    edits += [PtpEdit(a, b, dt.date(2010, 1, 1), None, "1") for a, b in SAMPLE_PAIRS]
    mue = [MueEdit(c, rng.randint(1, 10), rng.randint(1, 3)) for c in pool]
    return EditTables(PtpTable.of(edits), MueTable.of(mue), source=f"synthetic {pairs} pairs")


def measure(claims: list[Claim], tables: EditTables, repeat: int) -> dict[str, Any]:
    n_lines = sum(len(c.lines) for c in claims)
    best = float("inf")
    errors = 0
    for _ in range(repeat):
        start = time.perf_counter()
        reports = [scrub(c, today=TODAY, tables=tables) for c in claims]
        best = min(best, time.perf_counter() - start)
        errors = sum(1 for r in reports if not r.ok)
    return {
        "tables": tables.source,
        "claims": len(claims),
        "lines": n_lines,
        "claims_with_errors": errors,
        "best_seconds": round(best, 4),
        "lines_per_second": round(n_lines / best),
        "claims_per_second": round(len(claims) / best),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=500_000, help="synthetic PTP table size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scrub.json")
    args = parser.parse_args()

    claims = make_claims(args.claims)
    runs = [
        measure(claims, default_tables(), args.repeat),
        measure(claims, cms_scale_tables(args.pairs), args.repeat),
    ]
    for run in runs:
        print(
            f"{run['lines_per_second']:>10,} lines/s  {run['claims_per_second']:>8,} claims/s  "
            f"({run['lines']} lines in {run['claims']} claims, {run['claims_with_errors']} with "
            f"errors; tables: {run['tables']})"
        )
    result = {
        "figure": "scrubbed service lines per second, one process (best of repeats)",
        "lines_per_second": min(r["lines_per_second"] for r in runs),
        "runs": runs,
        "command": " ".join([".venv/bin/python", "bench/scrub_bench.py", *sys.argv[1:]]),
        "machine": machine(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
