"""The read model: one row per claim, one per event (its timeline), one per ledger entry.

Written only by the projector from Kafka, read by the API. It is a cache of the event
stream: drop it and replay ``claims.lifecycle.v1`` to rebuild it. The claim row's columns
(for lists) come from ``events.view.claim_view`` over the claim's stored events, the same
fold the API and the workflow's query use, so no column has a rule of its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, DateTime, Engine, Numeric, Text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, Session, SQLModel, col, select

from claims.status import ClaimStatus
from events.contract import ClaimEvent
from events.projection import StoreUnavailable
from events.view import ClaimView, claim_view


class ClaimRecord(SQLModel, table=True):
    __tablename__ = "claims"

    claim_id: str = Field(primary_key=True, max_length=40)
    status: str = Field(index=True, max_length=32)
    last_seq: int
    payer_id: str = Field(index=True, max_length=80)
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


class ClaimEventRecord(SQLModel, table=True):
    __tablename__ = "claim_events"

    claim_id: str = Field(primary_key=True, max_length=40)
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=80)
    status: str = Field(max_length=32)
    time: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


class LedgerRecord(SQLModel, table=True):
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


def list_claims(
    engine: Engine, *, status: ClaimStatus | None = None, limit: int = 100, offset: int = 0
) -> list[ClaimRecord]:
    with Session(engine) as session:
        query = select(ClaimRecord)
        if status is not None:
            query = query.where(ClaimRecord.status == status.value)
        query = query.order_by(col(ClaimRecord.updated_at).desc()).offset(offset).limit(limit)
        return list(session.exec(query))


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
