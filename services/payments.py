"""The per-payment ledger: each check or EFT an ERA announces, and what it was made of.

A biller reconciles a deposit against the ERA that explains it: the payment (BPR02, its
method, date and TRN trace number), every claim payment in it (CLP04, posted as the pages
are delivered) and the provider-level adjustments (PLB: interest, offsets, recoupments),
which belong to no claim and so are booked here, against the payment they came with.
Entries are appended once (keyed by position) and never changed; totals are derived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import Column, Date, DateTime, Engine, Numeric
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from claims.ledger import PaymentBalance, reconcile_payment
from claims.payer_messages import PayerMessage
from claims.remittance import Remittance
from claims.x12.inbound import PaymentInfo
from services.aware_times import AwareTimes

CLAIM = "claim_payment"
PROVIDER = "provider_adjustment"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _money() -> Column[Decimal]:
    return Column(Numeric(14, 2), nullable=False)


class PaymentRecord(AwareTimes, table=True):
    __tablename__ = "payments"

    payment_id: str = Field(primary_key=True, max_length=80)
    unit_id: str = Field(max_length=40)
    payer_identifier: str = Field(index=True, max_length=80)
    trace_number: str = Field(index=True, max_length=80)
    method: str = Field(max_length=8)
    payment_date: dt.date | None = Field(default=None, sa_column=Column(Date))
    net_amount: Decimal = Field(sa_column=_money())
    claim_count: int
    received_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PaymentEntry(AwareTimes, table=True):
    __tablename__ = "payment_entries"

    payment_id: str = Field(primary_key=True, max_length=80)
    kind: str = Field(primary_key=True, max_length=24)
    n: int = Field(primary_key=True)
    amount: Decimal = Field(sa_column=_money())
    # A claim payment: CLP01 as the payer sent it, its message and the payer's control number.
    claim_ref: str | None = Field(default=None, index=True, max_length=80)
    remittance_id: str | None = Field(default=None, max_length=80)
    payer_claim_control_number: str | None = Field(default=None, max_length=50)
    status_code: str | None = Field(default=None, max_length=4)
    # A provider adjustment: PLB reason, reference and fiscal period.
    reason: str | None = Field(default=None, max_length=4)
    reference: str | None = Field(default=None, max_length=80)
    fiscal_period_date: dt.date | None = Field(default=None, sa_column=Column(Date))
    provider_id: str | None = Field(default=None, max_length=80)
    booked_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PaymentView(BaseModel):
    payment: PaymentRecord
    entries: list[PaymentEntry]
    balance: PaymentBalance


def open_payment(engine: Engine, unit_id: str, info: PaymentInfo) -> None:
    """The payment and its PLB entries, once (a retried intake finds them there)."""
    ref = info.payment
    with Session(engine) as session:
        if session.get(PaymentRecord, ref.payment_id) is not None:
            return
        session.add(
            PaymentRecord(
                payment_id=ref.payment_id,
                unit_id=unit_id,
                payer_identifier=ref.payer_identifier,
                trace_number=ref.trace_number,
                method=ref.method,
                payment_date=ref.payment_date,
                net_amount=info.net_amount,
                claim_count=info.claim_count,
            )
        )
        for n, plb in enumerate(info.provider_adjustments, start=1):
            session.add(
                PaymentEntry(
                    payment_id=ref.payment_id, kind=PROVIDER, n=n, amount=plb.amount,
                    reason=plb.reason[:4], reference=(plb.reference or None) and plb.reference[:80],
                    fiscal_period_date=plb.fiscal_period_date, provider_id=plb.provider_id[:80],
                )
            )  # fmt: skip
        try:
            session.commit()
        except IntegrityError:  # a concurrent intake of the same unit booked it
            session.rollback()


def book_claim_payments(engine: Engine, messages: Sequence[PayerMessage]) -> None:
    """One entry per claim payment of a posted page; ``n`` is its place in the ERA, so a
    retried page books nothing twice."""
    rows = []
    for message in messages:
        if not isinstance(message, Remittance) or message.payment is None:
            continue
        n = int(message.remittance_id.rsplit("-", 1)[1])
        rows.append(
            PaymentEntry(
                payment_id=message.payment.payment_id, kind=CLAIM, n=n,
                amount=message.paid_amount, claim_ref=message.claim_id[:80],
                remittance_id=message.remittance_id,
                payer_claim_control_number=message.payer_claim_control_number[:50],
                status_code=(message.status_code or "")[:4] or None,
            )
        )  # fmt: skip
    if not rows:
        return
    with Session(engine) as session:
        keys = {(r.payment_id, r.kind, r.n) for r in rows}
        payment_ids = {r.payment_id for r in rows}
        found = session.exec(
            select(PaymentEntry)
            .where(col(PaymentEntry.payment_id).in_(payment_ids))
            .where(PaymentEntry.kind == CLAIM)
            .where(col(PaymentEntry.n).in_([k[2] for k in keys]))
        ).all()
        have = {(r.payment_id, r.kind, r.n) for r in found}
        session.add_all([r for r in rows if (r.payment_id, r.kind, r.n) not in have])
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry booked them
            session.rollback()


def get_payment(engine: Engine, payment_id: str) -> PaymentView | None:
    with Session(engine) as session:
        payment = session.get(PaymentRecord, payment_id)
        if payment is None:
            return None
        entries = list(
            session.exec(
                select(PaymentEntry)
                .where(PaymentEntry.payment_id == payment_id)
                .order_by(col(PaymentEntry.kind), col(PaymentEntry.n))
            )
        )
    balance = reconcile_payment(
        payment.net_amount,
        expected_claims=payment.claim_count,
        claim_payments=[e.amount for e in entries if e.kind == CLAIM],
        provider_adjustments=[e.amount for e in entries if e.kind == PROVIDER],
    )
    return PaymentView(payment=payment, entries=entries, balance=balance)


def find_payments(
    engine: Engine, *, trace_number: str | None = None, payer: str | None = None
) -> list[PaymentRecord]:
    with Session(engine) as session:
        query = select(PaymentRecord)
        if trace_number is not None:
            query = query.where(PaymentRecord.trace_number == trace_number)
        if payer is not None:
            query = query.where(PaymentRecord.payer_identifier == payer)
        return list(session.exec(query.order_by(col(PaymentRecord.received_at).desc()).limit(100)))
