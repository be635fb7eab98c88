"""The payer registry: each payer's terms, in a table, seeded with the simulator's payers.

Claims name a payer id and inherit its terms at intake (``claims.payer_terms``). Admins keep
the registry with ``claimflow payers list|add|set`` or the ``/payers`` API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json

from sqlalchemy import Column, DateTime, Engine, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from claims.payer_terms import PayerTerms, PayerTermsUpdate
from services.aware_times import AwareTimes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PayerRecord(AwareTimes, table=True):
    __tablename__ = "payers"

    payer_id: str = Field(primary_key=True, max_length=80)
    # The terms as ``PayerTerms`` JSON: one schema, checked by one model.
    terms: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


# The payer simulator's plan (services/payersim/rules.py), as the sample claims name it: two
# appeal levels (its medical-necessity denials are paid at the second). Its own 180-day
# filing rule is left to the simulator to apply (a CO-29 denial), as a real payer would.
SEEDED = (
    PayerTerms(
        payer_id="SIMPAYER1", name="Simulated Health Plan", filing_limit_days=365,
        appeal_window_days=120, further_appeal_windows_days=[180], follow_up_days=30,
        settle_days=90, gateway="x12",
    ),
)  # fmt: skip


class PayerExists(ValueError):
    pass


def _terms(row: PayerRecord) -> PayerTerms:
    return PayerTerms.model_validate(json.loads(row.terms))


def seed(engine: Engine) -> None:
    """Add the seeded payers that are missing (never changes one an admin edited)."""
    for terms in SEEDED:
        with contextlib.suppress(PayerExists):
            add(engine, terms)


def list_payers(engine: Engine) -> list[PayerTerms]:
    with Session(engine) as session:
        rows = session.exec(select(PayerRecord).order_by(col(PayerRecord.payer_id))).all()
    return [_terms(r) for r in rows]


def get(engine: Engine, payer_id: str) -> PayerTerms | None:
    with Session(engine) as session:
        row = session.get(PayerRecord, payer_id)
    return _terms(row) if row is not None else None


def add(engine: Engine, terms: PayerTerms) -> PayerTerms:
    with Session(engine) as session:
        session.add(PayerRecord(payer_id=terms.payer_id, terms=terms.model_dump_json()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise PayerExists(f"payer {terms.payer_id} is already registered") from None
    return terms


def update(engine: Engine, payer_id: str, change: PayerTermsUpdate) -> PayerTerms:
    """Change the given terms; LookupError for an unknown payer. Claims already received
    keep the terms they inherited (their deadlines were set by them)."""
    with Session(engine) as session:
        row = session.get(PayerRecord, payer_id)
        if row is None:
            raise LookupError(f"no payer {payer_id} in the registry")
        merged = _terms(row).model_copy(update=change.model_dump(exclude_none=True))
        terms = PayerTerms.model_validate(merged.model_dump())
        row.terms = terms.model_dump_json()
        row.updated_at = _now()
        session.add(row)
        session.commit()
    return terms
