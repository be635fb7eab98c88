"""The three 835 balancing rules, every violation reported.

* per service line: SVC02 - sum(line CAS) = SVC03
* per claim: CLP03 - sum(claim CAS + line CAS) = CLP04
* per transaction: sum(CLP04) - sum(PLB) = BPR02 (negated when BPR03 is D, a debit)

An ERA that breaks any of them is quarantined whole, never half-posted: the amounts
cannot all be true, and posting the ones that look right would hide which are wrong. So
the check does not stop at the first failure: the report lists each one with where it is
and what was expected, for whoever has to call the payer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from claims.x12.era import CasAdjustment, Era
from claims.x12.errors import Position

Rule = Literal["service_line", "claim", "transaction"]


@dataclass(frozen=True, slots=True)
class BalanceError:
    rule: Rule
    segment_id: str
    position: Position | None
    expected: Decimal
    actual: Decimal
    message: str
    claim_id: str | None = None
    # 1-based service line number within the claim.
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.position} ({self.segment_id})" if self.position else self.segment_id
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class BalancingReport:
    """The quarantine record of one ERA."""

    trace_number: str
    control_number: str
    errors: tuple[BalanceError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def _sum(adjustments: tuple[CasAdjustment, ...]) -> Decimal:
    return sum((a.amount for a in adjustments), Decimal(0))


def check_balancing(era: Era) -> list[BalanceError]:
    errors: list[BalanceError] = []
    for claim in era.claims:
        for n, line in enumerate(claim.service_lines, start=1):
            expected = line.charge - _sum(line.adjustments)
            if expected != line.paid:
                errors.append(
                    BalanceError(
                        "service_line",
                        "SVC",
                        line.position,
                        expected,
                        line.paid,
                        f"claim {claim.claim_id} line {n} ({line.procedure_code}): charge "
                        f"{line.charge} - adjustments {_sum(line.adjustments)} = {expected}, "
                        f"but SVC03 paid is {line.paid}",
                        claim.claim_id,
                        n,
                    )  # fmt: skip
                )
        adjusted = _sum(claim.all_adjustments)
        expected = claim.charge - adjusted
        if expected != claim.paid:
            errors.append(
                BalanceError(
                    "claim",
                    "CLP",
                    claim.position,
                    expected,
                    claim.paid,
                    f"claim {claim.claim_id}: charge {claim.charge} - adjustments {adjusted} "
                    f"= {expected}, but CLP04 paid is {claim.paid}",
                    claim.claim_id,
                )  # fmt: skip
            )
    paid = sum((c.paid for c in era.claims), Decimal(0))
    plb = sum((p.amount for p in era.provider_adjustments), Decimal(0))
    expected = paid - plb
    if expected != era.net_payment:
        errors.append(
            BalanceError(
                "transaction",
                "BPR",
                era.position,
                expected,
                era.net_payment,
                f"payment {era.trace_number}: claims paid {paid} - provider adjustments {plb} "
                f"= {expected}, but BPR02 is {era.net_payment}",
            )  # fmt: skip
        )
    return errors


def balancing_report(era: Era) -> BalancingReport:
    return BalancingReport(era.trace_number, era.control_number, tuple(check_balancing(era)))
