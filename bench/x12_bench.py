"""X12 throughput: 835 parsing (MB/s, claim payments/s) and 837P rendering (claims/s).

Each figure is measured beside the libraries used directly, in one run, on the same data:

* 835: a generated, balanced ERA of ``--clps`` claim payments (2-3 service lines each, CAS
  at both levels, LQ remarks, PLB) rendered by claimflow once, outside the timings. Then
  ``claims.x12.remit_835.parse_835`` (plus balancing and ``to_remittance``); claimflow's
  tokenizer alone beside pyx12's raw segment reader (``X12Reader``); pyx12's map-aware
  loop reader (``X12ContextReader``) and validator (``x12n_document``, what
  ``claims.x12.validate`` runs); x12sdk's pydantic model reader; and edi-835-parser (from
  a temp file; skipped if not installed: it is not a claimflow dependency, as it pulls in
  pandas).
* 837P: ``--claims`` claimflow ``Claim`` models built outside the timing, rendered one
  claim per transaction set and 100 per set; beside x12sdk building and writing an 837P of
  as many claims from its own specifications (built outside the timing too).

    .venv/bin/python bench/x12_bench.py [--clps 5000] [--claims 5000] [--repeat 3]

Prints the figures and writes bench/results/x12.json. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine  # noqa: E402
from claims.model import Address, Claim  # noqa: E402
from claims.npi import make_npi  # noqa: E402
from claims.x12.balance_835 import check_balancing  # noqa: E402
from claims.x12.envelope import Envelope  # noqa: E402
from claims.x12.era import (  # noqa: E402
    CasAdjustment,
    ClaimPayment,
    ProviderAdjustment,
    ServicePayment,
)
from claims.x12.parse import tokenize  # noqa: E402
from claims.x12.remit_835 import parse_835, to_remittance  # noqa: E402
from claims.x12.render_837p import render_837p  # noqa: E402
from claims.x12.render_remits import PayeeInfo, PayerInfo, render_835  # noqa: E402

CODES = ["99213", "99214", "36415", "85025", "80053", "97110", "97140", "J3420"]
WHEN = dt.datetime(2026, 3, 12, 9, 30)


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}")


def make_payments(n: int, seed: int = 5) -> list[ClaimPayment]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        lines: list[ServicePayment] = []
        for _ in range(rng.randint(2, 3)):
            charge = money(rng, 40, 400)
            contractual = (charge * Decimal("0.3")).quantize(Decimal("0.01"))
            patient = (charge * Decimal("0.1")).quantize(Decimal("0.01"))
            adjustments = [
                CasAdjustment("CO", "45", contractual),
                CasAdjustment("PR", "2", patient),
            ]
            remarks: tuple[str, ...] = ()
            if rng.random() < 0.15:
                adjustments = [CasAdjustment("CO", "97", charge)]
                remarks = ("M15",)
            paid = charge - sum((a.amount for a in adjustments), Decimal(0))
            lines.append(
                ServicePayment(
                    "HC",
                    rng.choice(CODES),
                    ("25",) if rng.random() < 0.2 else (),
                    charge,
                    paid,
                    units_paid=Decimal(1),
                    service_date_from=dt.date(2026, 3, 2),
                    adjustments=tuple(adjustments),
                    remark_codes=remarks,
                    line_control_number=str(len(lines) + 1),
                )  # fmt: skip
            )
        charge = sum((ln.charge for ln in lines), Decimal(0))
        paid = sum((ln.paid for ln in lines), Decimal(0))
        pr = sum((a.amount for ln in lines for a in ln.adjustments if a.group == "PR"), Decimal(0))
        out.append(
            ClaimPayment(
                f"01JB{k:022d}",
                "1",
                charge,
                paid,
                pr,
                "12",
                f"PCN{k:010d}",
                "11",
                "1",
                service_lines=tuple(lines),
                patient_last_name="DOE",
                patient_first_name="PAT",
                patient_member_id=f"M{k:08d}",
            )  # fmt: skip
        )
    return out


def big_835(clps: int) -> str:
    payer = PayerInfo("Simulated Health Plan", "SIMPAYER1",
                      Address(line1="1 Payer Way", city="Hartford", state="CT",
                              postal_code="06101"))  # fmt: skip
    plb = [ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "L6", None, Decimal("-3.10"))]
    return render_835(
        make_payments(clps), envelope=Envelope("SIMPAYER1", "CLAIMFLOW", 1, 1, created=WHEN),
        trace_number="EFT0001", payer=payer, payee=PayeeInfo("Clinic", "1234567893"),
        payment_date=dt.date(2026, 3, 13), provider_adjustments=plb,
    )  # fmt: skip


def make_claims(n: int, seed: int = 7) -> list[Claim]:
    rng = random.Random(seed)
    providers = [make_npi(f"1{rng.randint(0, 10**8 - 1):08d}") for _ in range(50)]
    address = {"line1": "100 Main Street", "city": "Springfield", "state": "IL",
               "postal_code": "627011234"}  # fmt: skip
    claims = []
    for k in range(n):
        lines: list[dict[str, Any]] = [
            {
                "procedure_code": rng.choice(CODES),
                "modifiers": ["25"] if rng.random() < 0.2 else [],
                "charge": str(money(rng, 20, 500)),
                "diagnosis_pointers": [1],
                "service_date_from": "2026-03-02",
            }
            for _ in range(rng.randint(1, 6))
        ]
        data: dict[str, Any] = {
            "claim_id": f"01JC{k:022d}",
            "account_number": f"A{k}",
            "billing_provider": {"npi": rng.choice(providers), "name": "Clinic",
                                 "tax_id": "123456789", "address": address},
            "subscriber": {"member_id": f"M{k}", "first_name": "Pat", "last_name": "Jones",
                           "date_of_birth": "1970-01-01", "sex": "F", "address": address},
            "payer": {"payer_id": "PAYER1", "name": "Acme"},
            "place_of_service": "11",
            "diagnoses": ["E119", "I10"],
            "lines": lines,
            "total_charge": str(sum(Decimal(ln["charge"]) for ln in lines)),
        }  # fmt: skip
        if rng.random() < 0.3:
            data["patient"] = {"member_id": f"M{k}", "first_name": "Sam", "last_name": "Jones",
                               "date_of_birth": "2012-01-01", "sex": "M", "relationship": "19",
                               "address": address}  # fmt: skip
        claims.append(Claim.model_validate(data))
    return claims


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best of ``repeat`` timings. Before each, the previous result is dropped and what is
    alive is collected and frozen, so no parser pays for collecting another's leftovers
    (parsing allocates one object per segment: the cyclic collector then walks the heap)."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        gc.freeze()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        gc.unfreeze()
    return min(times), result


def rates(
    name: str, seconds: float, mb: float, items: int, unit: str, **extra: Any
) -> dict[str, Any]:
    row = {
        "parser": name,
        "best_seconds": round(seconds, 4),
        "MB_per_second": round(mb / seconds, 2),
        f"{unit}_per_second": round(items / seconds),
        **extra,
    }
    print(f"  {name:<58} {row['MB_per_second']:>8} MB/s {row[f'{unit}_per_second']:>9,} {unit}/s")
    return row


def bench_835(clps: int, repeat: int) -> dict[str, Any]:
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context
    import pyx12.x12file
    import pyx12.x12n_document

    logging.getLogger("pyx12").propagate = False
    text = big_835(clps)
    mb = len(text.encode()) / 1e6
    print(f"835: {clps} claim payments, {mb:.2f} MB")
    runs = []

    seconds, eras = best(lambda: parse_835(text), repeat)
    assert len(eras[0].claims) == clps and not check_balancing(eras[0])
    del eras
    runs.append(rates("claimflow parse_835", seconds, mb, clps, "claim_payments"))

    def full() -> int:
        (era,) = parse_835(text)
        assert not check_balancing(era)
        return len([to_remittance(c, remittance_id=f"{era.dedup_key}:{i}")
                    for i, c in enumerate(era.claims)])  # fmt: skip

    seconds, _ = best(full, repeat)
    runs.append(rates("claimflow parse_835 + check_balancing + to_remittance", seconds, mb, clps,
                      "claim_payments"))  # fmt: skip

    seconds, _ = best(lambda: len(tokenize(text).segments), repeat)
    runs.append(rates("claimflow tokenize (segments only, no types)", seconds, mb, clps,
                      "claim_payments"))  # fmt: skip

    def pyx12_segments() -> int:
        return sum(1 for _ in pyx12.x12file.X12Reader(io.StringIO(text)))

    seconds, _ = best(pyx12_segments, repeat)
    runs.append(rates("pyx12 X12Reader (segments only, no map)", seconds, mb, clps,
                      "claim_payments"))  # fmt: skip

    def pyx12_loops() -> int:
        reader = pyx12.x12context.X12ContextReader(
            pyx12.params.params(), pyx12.error_handler.errh_null(), io.StringIO(text)
        )
        return sum(1 for _ in reader.iter_segments("2100"))

    seconds, _ = best(pyx12_loops, 1)
    runs.append(rates("pyx12 X12ContextReader.iter_segments('2100') (map-aware)", seconds, mb,
                      clps, "claim_payments"))  # fmt: skip

    def pyx12_validate() -> bool:
        return bool(pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, None, io.StringIO()
        ))  # fmt: skip

    seconds, ok = best(pyx12_validate, 1)
    runs.append(rates("pyx12 x12n_document (full validation)", seconds, mb, clps,
                      "claim_payments", valid=ok))  # fmt: skip

    from x12sdk.io import X12ModelReader

    def x12sdk_models() -> int:
        with X12ModelReader(text) as reader:
            return len(list(reader.models()))

    seconds, _ = best(x12sdk_models, 1)
    runs.append(rates("x12sdk X12ModelReader (pydantic models)", seconds, mb, clps,
                      "claim_payments"))  # fmt: skip

    try:
        import edi_835_parser
    except ImportError:
        runs.append({"parser": "edi-835-parser", "skipped": "not installed"})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "era.835")
            Path(path).write_text(text)

            def edi() -> int:
                return len(edi_835_parser.parse(path).transaction_sets[0].claims)

            try:
                seconds, found = best(edi, 1)
                runs.append(rates("edi-835-parser parse (file)", seconds, mb, clps,
                                  "claim_payments", claims_found=found))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - a foreign parser's failure is a result
                runs.append({"parser": "edi-835-parser", "failed": f"{type(exc).__name__}: {exc}"})
    return {"clps": clps, "bytes": len(text.encode()), "runs": runs}


def bench_837p(n: int, repeat: int) -> dict[str, Any]:
    claims = make_claims(n)
    lines = sum(len(c.lines) for c in claims)
    env = Envelope("CLAIMFLOW", "PAYER1", 1, 1, created=WHEN)
    print(f"837P: {n} claims, {lines} lines")
    runs = []
    for per in (1, 100):

        def render(per: int = per) -> str:
            return render_837p(claims, envelope=env, claims_per_transaction=per)

        seconds, text = best(render, repeat)
        mb = len(text.encode()) / 1e6
        runs.append(rates(f"claimflow render_837p ({per} claim(s) per ST)", seconds, mb, n,
                          "claims"))  # fmt: skip

    from x12sdk.generate import SubmissionSpec, ValueFactory, build_837p
    from x12sdk.generate._837p import random_patients
    from x12sdk.io import write_transactions

    spec = SubmissionSpec(patients=random_patients(n, ValueFactory(7), dependent_rate=0.3))

    def x12sdk_render() -> str:
        model = build_837p(spec, seed=7)
        return str(
            write_transactions([model], sender_id="CLAIMFLOW", receiver_id="PAYER1", created=WHEN)
        )

    seconds, text = best(x12sdk_render, 1)
    runs.append(rates("x12sdk build_837p + write_transactions (from its specs)", seconds,
                      len(text.encode()) / 1e6, n, "claims"))  # fmt: skip
    return {"claims": n, "lines": lines, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clps", type=int, default=5000)
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "x12.json")
    args = parser.parse_args()
    host = machine()  # before the run, so its load average is the other work's
    remit = bench_835(args.clps, args.repeat)
    submit = bench_837p(args.claims, args.repeat)
    ours = remit["runs"][0]
    result = {
        "figure": "835 parse MB/s and claim payments/s; 837P render claims/s (best of repeats)",
        "parse_835_MB_per_second": ours["MB_per_second"],
        "parse_835_claim_payments_per_second": ours["claim_payments_per_second"],
        "render_837p_claims_per_second": submit["runs"][0]["claims_per_second"],
        "835": remit,
        "837p": submit,
        "command": " ".join([".venv/bin/python", "bench/x12_bench.py", *sys.argv[1:]]),
        "machine": host,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
