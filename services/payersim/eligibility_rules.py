"""How the simulated payer answers eligibility inquiries: deterministic, by member id.

The figures agree with the claim rules (``rules``), so the patient share a 271 predicts is
the share the 835 later takes:
- a member id starting with NOTFOUND: not found, AAA*N**75*C at the subscriber (2100C);
- INACTIVE: coverage terminated (EB*6) on the last day of the month before the date of
  service (DTP*347 on the member and DTP*357 on the benefit line);
- UNAVAILABLE: the payer cannot answer now, AAA*Y**42*R at the payer level (2100A);
- COPAY: active, a $25 office visit copay (EB*B, service type 98), no coinsurance;
- HDHP: active, a $250 calendar-year deductible with all $250 remaining, then 20%
  coinsurance; out of pocket $3,000 with $3,000 remaining;
- everyone else: active, 20% coinsurance, a $500 deductible already met ($0 remaining),
  out of pocket $3,000 with $2,500 remaining.
Members whose id starts with SILENT are answered by the HTTP endpoint only after
``SILENT_SECONDS``: a payer that does not answer in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from claims.eligibility import (
    Benefit,
    BenefitDate,
    EligibilityResult,
    EligibilityStatus,
    RejectReason,
)
from services.payersim.rules import COINSURANCE, COPAY, DEDUCTIBLE, UNKNOWN_MEMBER_PREFIX

INACTIVE_PREFIX = "INACTIVE"
UNAVAILABLE_PREFIX = "UNAVAILABLE"
SILENT_PREFIX = "SILENT"
SILENT_SECONDS = 120.0
GROUP_NUMBER = "GRP1001"
GROUP_NAME = "SIMULATED EMPLOYER GROUP"
STANDARD_DEDUCTIBLE = Decimal("500.00")
OUT_OF_POCKET = Decimal("3000.00")
OUT_OF_POCKET_USED = Decimal("500.00")


def _plan(member: str) -> str:
    if member.startswith("COPAY"):
        return "SIMULATED COPAY PLAN"
    if member.startswith("HDHP"):
        return "SIMULATED HIGH DEDUCTIBLE PLAN"
    return "SIMULATED PPO"


def _network(code: str, service_type: str, **figures: object) -> Benefit:
    return Benefit(
        code=code, coverage_level="IND", service_types=(service_type,), in_network=True,
        **figures,
    )  # fmt: skip


def _cost_sharing(member: str) -> list[Benefit]:
    if member.startswith("COPAY"):
        return [_network("B", "98", time_period="27", amount=COPAY)]
    deductible = DEDUCTIBLE if member.startswith("HDHP") else STANDARD_DEDUCTIBLE
    remaining = DEDUCTIBLE if member.startswith("HDHP") else Decimal("0.00")
    spent = OUT_OF_POCKET - remaining if member.startswith("HDHP") else OUT_OF_POCKET_USED
    oop_remaining = OUT_OF_POCKET - (Decimal(0) if member.startswith("HDHP") else spent)
    return [
        _network("A", "30", time_period="27", percent=COINSURANCE),
        _network("C", "30", time_period="23", amount=deductible),
        _network("C", "30", time_period="29", amount=remaining),
        _network("G", "30", time_period="23", amount=OUT_OF_POCKET),
        _network("G", "30", time_period="29", amount=oop_remaining),
    ]


def decide(
    member_id: str,
    date_of_service: dt.date,
    service_types: Sequence[str] = ("30",),
    *,
    trace_number: str | None = None,
    payer_id: str | None = None,
) -> EligibilityResult:
    """The payer's answer for one member on one date (``service_types`` are echoed)."""
    member = member_id.upper()
    common = {"trace_number": trace_number, "payer_id": payer_id}
    if member.startswith(UNKNOWN_MEMBER_PREFIX):
        return EligibilityResult(
            status=EligibilityStatus.NOT_FOUND,
            rejections=(
                RejectReason(loop="2100C", valid_request=False, reason="75", follow_up="C"),
            ),
            **common,
        )
    if member.startswith(UNAVAILABLE_PREFIX):
        return EligibilityResult(
            status=EligibilityStatus.ERROR,
            rejections=(
                RejectReason(loop="2100A", valid_request=True, reason="42", follow_up="R"),
            ),
            **common,
        )
    begin = dt.date(date_of_service.year, 1, 1)
    plan = _plan(member)
    groups = {"group_number": GROUP_NUMBER, "group_name": GROUP_NAME, "plan_name": plan}
    if member.startswith(INACTIVE_PREFIX):
        ended = date_of_service.replace(day=1) - dt.timedelta(days=1)
        begin = dt.date(ended.year, 1, 1)
        return EligibilityResult(
            status=EligibilityStatus.INACTIVE,
            coverage_begin=begin,
            coverage_end=ended,
            benefits=(
                Benefit(
                    code="6",
                    coverage_level="IND",
                    service_types=("30",),
                    plan=plan,
                    dates=(BenefitDate(qualifier="357", start=ended),),
                ),  # fmt: skip
            ),
            **common,
            **groups,
        )
    active = [
        Benefit(code="1", coverage_level="IND", service_types=(t,), plan=plan)
        for t in dict.fromkeys(service_types or ("30",))
    ]
    return EligibilityResult(
        status=EligibilityStatus.ACTIVE,
        coverage_begin=begin,
        benefits=tuple(active + _cost_sharing(member)),
        **common,
        **groups,
    )


def is_silent(member_id: str) -> bool:
    return member_id.upper().startswith(SILENT_PREFIX)
