"""The read model: one row per claim, one per event (its timeline), one per ledger entry.

Written only by the projector from Kafka, read by the API and the console. It is a cache of
the event stream: drop it and replay ``claims.lifecycle.v1`` to rebuild it. The claim row's
columns (for lists) come from ``events.view.claim_view`` over the claim's stored events, the
same fold the API and the workflow's query use, so no column has a rule of its own. Besides
the claim row it keeps what the work queues and the figures need, in the same transaction as
each event: the denials a claim stands on (``claim_denials``, for the CARC filter and money
at risk), the day it was billed (aging), and the per-payer rollups (``services.rollups``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, DateTime, Engine, Index, Numeric, Text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, Session, col, select

from claims.remittance import is_denial
from claims.status import TERMINAL, ClaimStatus
from events.contract import ClaimEvent
from events.projection import StoreUnavailable
from events.view import ClaimView, claim_view
from services import rollups
from services.approvals import close_requests
from services.aware_times import AwareTimes
from services.rollups import ArRollup, DecisionRollup, ReasonRollup, Standing

S = ClaimStatus
DECISIONS = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})
# A claim that went through any of these before its first decision was not paid first time.
REWORK = frozenset({S.CODING_REVIEW, S.SCRUB_FAILED, S.REJECTED})
# Denials stand while the claim is denied or its appeal is with the payer.
DENIALS_STAND = frozenset({S.DENIED, S.PARTIALLY_PAID, S.APPEALED, S.ADJUDICATED})


class ClaimRecord(AwareTimes, table=True):
    __tablename__ = "claims"
    __table_args__ = (
        # Each index serves a list or queue that filters on its first columns and reads one
        # page in the order of its last (bench/readmodel_bench.py measures them at 1M claims).
        Index("ix_claims_status_updated", "status", "updated_at"),
        Index("ix_claims_payer_updated", "payer_id", "updated_at"),
        Index("ix_claims_payer_status_updated", "payer_id", "status", "updated_at"),
        # Only DENIED and PARTIALLY_PAID claims have a deadline: the denials queue walks this.
        Index("ix_claims_appeal_deadline", "appeal_deadline"),
        # Billing days tie by the thousand: the id makes the page's order the index's own.
        Index("ix_claims_billed_on_id", "billed_on", "claim_id"),
        Index("ix_claims_payer_billed_on_id", "payer_id", "billed_on", "claim_id"),
        Index("ix_claims_outstanding", "outstanding_amount"),
        Index("ix_claims_follow_up", "follow_up_overdue_at"),
    )

    claim_id: str = Field(primary_key=True, max_length=40)
    status: str = Field(max_length=32)
    last_seq: int
    payer_id: str = Field(max_length=80)
    total_charge: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    paid_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    patient_responsibility: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    outstanding_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    patient_balance: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    recoupment_expected: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    payer_claim_control_number: str | None = Field(default=None, max_length=50)
    appeal_level: int = 0
    denial_reasons: str = ""
    received_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    appeal_deadline: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # The day the claim was first submitted: it ages from here.
    billed_on: dt.date | None = Field(default=None, sa_column=Column(Date))
    first_decision: str | None = Field(default=None, max_length=32)
    # A rejection or correction happened before the first decision (not first-pass).
    reworked: bool = False
    # An appeal is with the payer; the next decision is the appeal's outcome.
    appeal_pending: bool = False
    # Set by a follow_up_due alert while the claim still waits where the alert found it.
    follow_up_overdue_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # What the payer still owed when the claim was written off.
    written_off_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))


class ClaimEventRecord(AwareTimes, table=True):
    __tablename__ = "claim_events"

    claim_id: str = Field(primary_key=True, max_length=40)
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=80)
    status: str = Field(max_length=32)
    time: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class LedgerRecord(AwareTimes, table=True):
    """One ledger entry of one claim, as an event carried it (``claims.ledger``)."""

    __tablename__ = "claim_ledger"

    claim_id: str = Field(primary_key=True, max_length=40)
    n: int = Field(primary_key=True)
    seq: int
    at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    kind: str = Field(index=True, max_length=16)
    activity: str = Field(max_length=16)
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    line: int | None = None
    procedure_code: str | None = Field(default=None, max_length=48)
    group: str | None = Field(default=None, max_length=2)
    carc: str | None = Field(default=None, max_length=5)
    rarcs: str = ""
    patient_kind: str | None = Field(default=None, max_length=16)
    remittance_id: str | None = Field(default=None, max_length=80)
    payment_id: str | None = Field(default=None, index=True, max_length=80)
    trace_number: str | None = Field(default=None, index=True, max_length=80)


class ClaimDenial(AwareTimes, table=True):
    """A denial a claim stands on now, one row per reason (group-CARC).

    It repeats the claim's payer, status, last change and appeal deadline (kept current by
    the projector), so that a list filtered by CARC (and payer) reads its page from this
    table's index in list order instead of testing claim after claim.
    """

    __tablename__ = "claim_denials"
    __table_args__ = (
        Index("ix_claim_denials_carc_updated", "carc", "updated_at"),
        Index("ix_claim_denials_carc_deadline", "carc", "appeal_deadline"),
        # A biller's usual narrowing: one payer's denials for one reason (at 1M claims on
        # PostgreSQL, p95 73 ms through the carc index alone, which tests payer row by row).
        Index("ix_claim_denials_carc_payer_updated", "carc", "payer_id", "updated_at"),
        Index("ix_claim_denials_carc_payer_deadline", "carc", "payer_id", "appeal_deadline"),
    )

    claim_id: str = Field(primary_key=True, max_length=40)
    reason: str = Field(primary_key=True, max_length=12)
    group: str = Field(max_length=2)
    carc: str = Field(max_length=5)
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    rarcs: str = ""
    payer_id: str | None = Field(default=None, max_length=80)
    status: str = Field(default="", max_length=32)
    updated_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    appeal_deadline: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )


def _denials(event: ClaimEvent) -> str:
    return ",".join(
        f"{a.group}-{a.carc}" for a in event.data.adjustments if is_denial(a.group, a.carc)
    )


def denial_rows(event: ClaimEvent) -> list[ClaimDenial]:
    """The event's denied adjustments, merged per reason."""
    rows: dict[str, ClaimDenial] = {}
    for a in event.data.adjustments:
        if not is_denial(a.group, a.carc):
            continue
        reason = f"{a.group}-{a.carc}"
        row = rows.get(reason)
        if row is None:
            rows[reason] = ClaimDenial(
                claim_id=event.data.claim_id,
                reason=reason,
                group=a.group,
                carc=a.carc,
                amount=a.amount,
                rarcs=",".join(a.rarcs),
            )
        else:
            row.amount += a.amount
            merged = dict.fromkeys([*row.rarcs.split(","), *a.rarcs])
            row.rarcs = ",".join(r for r in merged if r)
    return list(rows.values())


def _outstanding(claim: ClaimRecord) -> Decimal:
    if claim.outstanding_amount is not None:
        return claim.outstanding_amount
    if claim.status in (S.PAID, *TERMINAL):
        return Decimal(0)
    return claim.total_charge


def standing(claim: ClaimRecord, denials: list[ClaimDenial]) -> Standing:
    return Standing(
        payer_id=claim.payer_id,
        status=ClaimStatus(claim.status),
        billed_on=claim.billed_on,
        outstanding=_outstanding(claim),
        denials=tuple((d.reason, d.amount) for d in denials),
    )


def _advance(claim: ClaimRecord, event: ClaimEvent) -> list[tuple[rollups.Key, dict[str, Any]]]:
    """Move the console's columns of the claim row to the event (the rest are folded by
    ``claim_view``); return the flow figures the event adds."""
    data = event.data
    status = data.status
    day = event.time.date()
    flows: list[tuple[rollups.Key, dict[str, Any]]] = []
    if status is S.WRITTEN_OFF:
        claim.written_off_amount = _outstanding(claim)
    if status is S.SUBMITTED and claim.billed_on is None:
        claim.billed_on = day
        flows.append(
            (
                (ArRollup, (data.payer_id, day)),
                {"billed_claims": 1, "billed_charges": data.total_charge},
            )
        )
    if claim.first_decision is None and (
        status in REWORK or (status is S.SCRUBBED and data.reason == "replacement")
    ):
        claim.reworked = True
    if status in DECISIONS:
        counts: dict[str, int] = {}
        if claim.first_decision is None:
            claim.first_decision = status.value
            counts.update(decided=1, denied=int(status is not S.PAID))
            counts["first_pass_paid"] = int(status is S.PAID and not claim.reworked)
        if claim.appeal_pending:
            claim.appeal_pending = False
            counts.update(appeals_decided=1, appeals_overturned=int(status is S.PAID))
        if counts:
            flows.append(((DecisionRollup, (data.payer_id, day)), counts))
        for reason in sorted(set(_denials(event).split(",")) - {""}):
            flows.append(((ReasonRollup, (data.payer_id, reason)), {"denials": 1}))
    if status is S.APPEALED:
        claim.appeal_pending = True
    # The appeal-deadline queue holds only claims an appeal can be filed for now.
    claim.appeal_deadline = data.appeal_deadline if status in (S.DENIED, S.PARTIALLY_PAID) else None
    claim.follow_up_overdue_at = None  # the claim moved: the payer is no longer silent
    return flows


class SqlReadModel:
    """``events.projection.ReadModelStore`` on SQLModel; one transaction per event."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, event: ClaimEvent) -> bool:
        try:
            return self._apply(event)
        except (OperationalError, InterfaceError) as exc:
            # Connection refused, database locked, server gone: it heals, the record is fine.
            raise StoreUnavailable(f"read model unavailable: {type(exc).__name__}") from exc

    def _apply(self, event: ClaimEvent) -> bool:
        data = event.data
        with Session(self._engine) as session:
            if session.get(ClaimEventRecord, (data.claim_id, data.seq)) is not None:
                return False
            session.add(
                ClaimEventRecord(
                    claim_id=data.claim_id,
                    seq=data.seq,
                    type=event.type,
                    status=data.status.value,
                    time=event.time,
                    payload=event.model_dump_json(),
                )
            )
            claim = session.get(ClaimRecord, data.claim_id)
            before: Standing | None = None
            denials: list[ClaimDenial] = []
            if claim is None:
                claim = ClaimRecord(
                    claim_id=data.claim_id,
                    status=data.status.value,
                    last_seq=0,
                    payer_id=data.payer_id,
                    total_charge=data.total_charge,
                    received_at=event.time,
                    updated_at=event.time,
                )
            else:
                denials = list(
                    session.exec(select(ClaimDenial).where(ClaimDenial.claim_id == data.claim_id))
                )
                before = standing(claim, denials)
            # The console's columns move with the latest event only (a replayed older copy
            # must not move them back); _advance reads the row as it was before the event.
            advancing = data.seq > claim.last_seq
            flows = _advance(claim, event) if advancing else []
            for entry in data.ledger:
                session.add(
                    LedgerRecord(
                        claim_id=data.claim_id, n=entry.n, seq=data.seq, at=entry.at,
                        kind=entry.kind.value, activity=entry.activity.value,
                        amount=entry.amount, line=entry.line,
                        procedure_code=entry.procedure_code, group=entry.group,
                        carc=entry.carc, rarcs=",".join(entry.rarcs),
                        patient_kind=entry.patient_kind.value if entry.patient_kind else None,
                        remittance_id=entry.remittance_id, payment_id=entry.payment_id,
                        trace_number=entry.trace_number,
                    )
                )  # fmt: skip
            # Folded from every stored event: a replayed older copy cannot move it back.
            stored = [
                ClaimEvent.model_validate_json(e.payload)
                for e in session.exec(
                    select(ClaimEventRecord).where(ClaimEventRecord.claim_id == data.claim_id)
                )
            ]
            view = claim_view([*stored, event])
            claim.status = view.status.value
            claim.last_seq = view.seq
            claim.payer_id = view.payer_id
            claim.total_charge = view.total_charge
            claim.paid_amount = view.paid_amount
            claim.patient_responsibility = view.patient_responsibility
            claim.outstanding_amount = view.outstanding_amount
            claim.patient_balance = view.patient_balance
            claim.recoupment_expected = view.recoupment_expected
            claim.payer_claim_control_number = view.payer_claim_control_number
            claim.appeal_level = view.appeal_level
            claim.denial_reasons = ",".join(view.denial_reasons)
            if data.seq >= view.seq:
                claim.updated_at = event.time
            if advancing:
                if data.status in (S.DENIED, S.PARTIALLY_PAID) or data.status not in DENIALS_STAND:
                    for old in denials:
                        session.delete(old)
                    session.flush()  # the deletes first: a new row may reuse a reason
                    denials = (
                        denial_rows(event) if data.status in (S.DENIED, S.PARTIALLY_PAID) else []
                    )
                    session.add_all(denials)
                for row in denials:  # the claim's list keys, repeated for the CARC index
                    row.payer_id = claim.payer_id
                    row.status, row.updated_at = claim.status, claim.updated_at
                    row.appeal_deadline = claim.appeal_deadline
                    session.add(row)
                rollups.apply(session, rollups.difference(before, standing(claim, denials)))
                rollups.apply(session, flows)
                # The claim moved past any write-off asked before: approved (WRITTEN_OFF) or
                # overtaken by something else; nothing of it is left to approve.
                close_requests(
                    session,
                    data.claim_id,
                    f"claim {data.status}",
                    event.time,
                    "closed",
                    before_seq=data.seq,
                )
            session.add(claim)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                # A concurrent copy of this event won the race: same outcome. Anything else
                # (a constraint this event breaks) is an error for the projector to report,
                # never a silent drop.
                if session.get(ClaimEventRecord, (data.claim_id, data.seq)) is not None:
                    return False
                raise
        return True


def get_claim(engine: Engine, claim_id: str) -> ClaimRecord | None:
    with Session(engine) as session:
        return session.get(ClaimRecord, claim_id)


def claim_denials(engine: Engine, claim_id: str) -> list[ClaimDenial]:
    with Session(engine) as session:
        query = select(ClaimDenial).where(ClaimDenial.claim_id == claim_id)
        return list(session.exec(query.order_by(col(ClaimDenial.reason))))


def claim_events(engine: Engine, claim_id: str) -> list[ClaimEventRecord]:
    with Session(engine) as session:
        query = (
            select(ClaimEventRecord)
            .where(ClaimEventRecord.claim_id == claim_id)
            .order_by(col(ClaimEventRecord.seq))
        )
        return list(session.exec(query))


def view_of(engine: Engine, claim_id: str) -> ClaimView | None:
    """The claim view from the projected events: ``claim_view``, as the workflow answers."""
    events = [ClaimEvent.model_validate_json(e.payload) for e in claim_events(engine, claim_id)]
    return claim_view(events) if events else None


def ledger_of(engine: Engine, claim_id: str) -> list[LedgerRecord]:
    with Session(engine) as session:
        query = (
            select(LedgerRecord)
            .where(LedgerRecord.claim_id == claim_id)
            .order_by(col(LedgerRecord.n))
        )
        return list(session.exec(query))
