"""The claim view: one function builds it, from one source, the claim's events.

The workflow's ``state`` query folds the events it emitted; the API folds the events the
projector stored; the console shows what the API returns. Since every one of them calls
``claim_view`` on the same events, they cannot disagree (the denial reasons after a
reversal once did: the workflow and the read model each had their own rule). Events carry
what the view needs for that reason (additive fields of contract v1): the ledger entries
booked at each transition, the standing payer decision, the appeal deadline, the stages'
findings.

Only ``follow_up_due``, ``pending_write_off``, ``late_messages`` and ``stalled`` are not in
events (the first moves when a payer says "received", the second waits for a supervisor, the
last two are notes on messages and retries; none is a transition): the workflow adds them to
its answer; the read model leaves them empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from claims.findings import Finding, Report, Severity
from claims.ledger import LedgerBalances, LedgerEntry, LineBalance, balances, line_balances
from claims.remittance import Adjustment, Decision, GroupCode, Remittance, is_denial
from claims.status import ClaimStatus
from events.contract import Actor, ClaimEvent, ClaimEventData, EligibilityData

S = ClaimStatus
# Where each stage's report comes from, for events that do not name their stages.
_STAGE_OF = {S.CODED: "coding", S.CODING_REVIEW: "coding", S.SCRUBBED: "scrub",
             S.SCRUB_FAILED: "scrub"}  # fmt: skip


class StageEntry(BaseModel):
    seq: int
    status: ClaimStatus
    at: dt.datetime
    reason: str | None = None
    # Who caused it (None: the payer, a deadline, the engine).
    actor: Actor | None = None


class PendingWriteOff(BaseModel):
    """A write-off above the threshold, asked by a biller, waiting for a supervisor."""

    reason: str
    note: str | None = None
    amount: Decimal
    requested_by: Actor | None = None
    requested_at: dt.datetime
    # The claim's seq when asked: if the claim moves on, the request lapses.
    at_seq: int


class ClaimView(BaseModel):
    """Current state of one claim, free of PHI: what ops and billers look at."""

    claim_id: str
    status: ClaimStatus
    seq: int
    payer_id: str
    frequency_code: str = "1"
    total_charge: Decimal
    paid_amount: Decimal | None = None
    patient_responsibility: Decimal | None = None
    outstanding_amount: Decimal
    patient_balance: Decimal | None = None
    recoupment_expected: Decimal | None = None
    payer_claim_control_number: str | None = None
    appeal_level: int = 0
    appeal_deadline: dt.datetime | None = None
    follow_up_due: dt.datetime | None = None
    denial_reasons: tuple[str, ...] = ()
    reports: dict[str, Report] = Field(default_factory=dict)
    adjudication: Remittance | None = None
    history: list[StageEntry] = Field(default_factory=list)
    # The claim's ledger, its balances, and its service lines as billers reconcile them.
    ledger: list[LedgerEntry] = Field(default_factory=list)
    balances: LedgerBalances | None = None
    lines: list[LineBalance] = Field(default_factory=list)
    # The last eligibility check before submission: coverage, the plan's cost sharing and
    # the expected patient share of the charge (None: the claim was not checked).
    eligibility: EligibilityData | None = None
    # A write-off waiting for a supervisor (live workflow state, like follow_up_due).
    pending_write_off: PendingWriteOff | None = None
    # Live workflow state too: payer messages that arrived after the payer had moved past
    # them (files that crossed), and what the claim waits on while a step keeps failing.
    late_messages: list[str] = Field(default_factory=list)
    stalled: str | None = None
    # Coordination of benefits: the claims this one is linked with, the crossover payer.
    primary_claim_id: str | None = None
    secondary_claim_id: str | None = None
    crossover_payer_id: str | None = None
    # Who answered: the claim's workflow (current), or the read model (a moment behind; used
    # when the workflow has finished or cannot answer quickly).
    source: Literal["workflow", "read_model"] = "workflow"


def _reports(data: ClaimEventData, reports: dict[str, Report]) -> None:
    stages = data.stages or ((_STAGE_OF[data.status],) if data.status in _STAGE_OF else ())
    for stage in stages:
        findings = tuple(
            Finding(
                code=f.code,
                severity=Severity(f.severity),
                field=f.field,
                message=f.message,
                candidates=f.candidates,
            )  # fmt: skip
            for f in data.findings
            if f.stage in (stage, None)
        )
        reports[stage] = Report(stage=stage, findings=findings)


def _denials(data: ClaimEventData, kept: tuple[str, ...]) -> tuple[str, ...]:
    """Set by a denial or partial payment, kept through an appeal (billers want to see what
    was appealed), cleared by a payment, a reversal (no decision stands) or a replacement."""
    if data.status in (S.DENIED, S.PARTIALLY_PAID):
        return tuple(f"{a.group}-{a.carc}" for a in data.adjustments if is_denial(a.group, a.carc))
    if data.status in (S.PAID, S.SCRUBBED) or data.reason == "reversal":
        return ()
    return kept


def _adjudication(data: ClaimEventData) -> Remittance | None:
    rem = data.remittance
    if rem is None:
        return None
    return Remittance(
        remittance_id=rem.remittance_id,
        claim_id=data.claim_id,
        payer_claim_control_number=data.payer_claim_control_number or "",
        decision=Decision(rem.decision),
        total_charge=rem.total_charge,
        paid_amount=rem.paid_amount,
        patient_responsibility=rem.patient_responsibility,
        adjustments=tuple(
            Adjustment(group=GroupCode(a.group), carc=a.carc, amount=a.amount, rarcs=a.rarcs)
            for a in data.adjustments
        ),
        status_code=rem.status_code,
        trace_number=rem.trace_number,
        remark_codes=rem.remark_codes,
    )


def claim_view(events: Sequence[ClaimEvent]) -> ClaimView:
    """The view after ``events`` (one claim's, any order, duplicates allowed)."""
    ordered = sorted({e.data.seq: e for e in events}.values(), key=lambda e: e.data.seq)
    if not ordered:
        raise ValueError("a claim view needs at least one event")
    reports: dict[str, Report] = {}
    denials: tuple[str, ...] = ()
    ledger: list[LedgerEntry] = []
    for event in ordered:
        _reports(event.data, reports)
        denials = _denials(event.data, denials)
        ledger.extend(event.data.ledger)
    last = ordered[-1].data
    return ClaimView(
        claim_id=last.claim_id,
        status=last.status,
        seq=last.seq,
        payer_id=last.payer_id,
        frequency_code=last.frequency_code or "1",
        total_charge=last.total_charge,
        paid_amount=last.paid_amount,
        patient_responsibility=last.patient_responsibility,
        outstanding_amount=(
            last.outstanding_amount if last.outstanding_amount is not None else last.total_charge
        ),
        patient_balance=last.patient_balance,
        recoupment_expected=last.recoupment_expected,
        payer_claim_control_number=last.payer_claim_control_number,
        appeal_level=last.appeal_level,
        appeal_deadline=last.appeal_deadline,
        denial_reasons=denials,
        reports=reports,
        adjudication=_adjudication(last),
        history=[
            StageEntry(
                seq=e.data.seq,
                status=e.data.status,
                at=e.time,
                reason=e.data.reason,
                actor=e.data.actor,
            )
            for e in ordered
        ],
        ledger=ledger,
        balances=balances(ledger) if ledger else None,
        lines=line_balances(ledger),
        primary_claim_id=_latest(ordered, "primary_claim_id"),
        secondary_claim_id=_latest(ordered, "secondary_claim_id"),
        crossover_payer_id=_latest(ordered, "crossover_payer_id"),
        eligibility=last.eligibility,
    )


def _latest(events: Sequence[ClaimEvent], field: str) -> str | None:
    """The last value an event gave ``field`` (a link is set once and carried on)."""
    found: str | None = None
    for event in events:
        value = getattr(event.data, field)
        if value is not None:
            found = value
    return found
