"""Per-payer rollups the projector keeps, so the console's figures never scan a million claims.

Two kinds of figure:

- **Standing** figures describe claims as they are now (claims by status and payer, money
  outstanding by billing day, money at risk by denial reason). Each claim *contributes* to
  some rollup rows; when a claim changes, the projector subtracts what it contributed
  before and adds what it contributes after (``contributions``), in the same transaction as
  the event itself, so a figure is always the sum over the claims.
- **Flow** figures count things that happened (claims billed, first decisions, appeals
  decided, denials by reason): each is added once, by the event that made it happen.

Aging reads ``rollup_ar`` (payers x billing days: thousands of rows, not millions) and buckets
the days at query time, so a claim moves from 0-30 to 31-60 without any write.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, Numeric
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel

from claims.status import TERMINAL, ClaimStatus
from services.aware_times import AwareTimes

MONEY = Numeric(14, 2)


class StatusRollup(AwareTimes, table=True):
    """Claims by payer and current status."""

    __tablename__ = "rollup_status"

    payer_id: str = Field(primary_key=True, max_length=80)
    status: str = Field(primary_key=True, max_length=32)
    claims: int = 0


class ArRollup(AwareTimes, table=True):
    """Receivables by payer and billing day (the day a claim was first submitted).

    ``open_claims``/``outstanding``: claims billed that day that the payer may still pay
    (standing). ``billed_claims``/``billed_charges``: what was billed that day (flow; the
    denominator of days in A/R).
    """

    __tablename__ = "rollup_ar"

    payer_id: str = Field(primary_key=True, max_length=80)
    day: dt.date = Field(sa_column=Column(Date, primary_key=True))
    open_claims: int = 0
    outstanding: Decimal = Field(
        default=Decimal(0), sa_column=Column(MONEY, nullable=False, default=0)
    )
    billed_claims: int = 0
    billed_charges: Decimal = Field(
        default=Decimal(0), sa_column=Column(MONEY, nullable=False, default=0)
    )


class DecisionRollup(AwareTimes, table=True):
    """Payer decisions by payer and decision day (flow).

    ``decided``: first decisions. ``denied``: first decisions that denied all or part of the
    claim. ``first_pass_paid``: first decisions that paid a claim that had no rejection or
    correction before. ``appeals_decided``/``appeals_overturned``: decisions on appealed
    claims, and those that paid in full.
    """

    __tablename__ = "rollup_decisions"

    payer_id: str = Field(primary_key=True, max_length=80)
    day: dt.date = Field(sa_column=Column(Date, primary_key=True))
    decided: int = 0
    denied: int = 0
    first_pass_paid: int = 0
    appeals_decided: int = 0
    appeals_overturned: int = 0


class ReasonRollup(AwareTimes, table=True):
    """Denials by payer and reason (group-CARC, e.g. CO-197).

    ``denials``: denial decisions that gave this reason (flow). ``at_risk_claims`` and
    ``at_risk_amount``: claims standing denied for it now, and the money (standing).
    """

    __tablename__ = "rollup_reasons"

    payer_id: str = Field(primary_key=True, max_length=80)
    reason: str = Field(primary_key=True, max_length=12)
    denials: int = 0
    at_risk_claims: int = 0
    at_risk_amount: Decimal = Field(
        default=Decimal(0), sa_column=Column(MONEY, nullable=False, default=0)
    )


ROLLUPS: tuple[type[SQLModel], ...] = (StatusRollup, ArRollup, DecisionRollup, ReasonRollup)


@dataclass(frozen=True)
class Standing:
    """What one claim contributes to the standing figures."""

    payer_id: str
    status: ClaimStatus
    billed_on: dt.date | None
    outstanding: Decimal
    # (reason, amount) of the denials the claim stands on now.
    denials: tuple[tuple[str, Decimal], ...] = ()


Key = tuple[type[SQLModel], tuple[Any, ...]]
Deltas = dict[Key, dict[str, Any]]


def contributions(claim: Standing | None) -> Deltas:
    out: Deltas = {}
    if claim is None:
        return out
    out[(StatusRollup, (claim.payer_id, claim.status.value))] = {"claims": 1}
    if claim.billed_on is not None and claim.outstanding > 0 and claim.status not in TERMINAL:
        out[(ArRollup, (claim.payer_id, claim.billed_on))] = {
            "open_claims": 1,
            "outstanding": claim.outstanding,
        }
    for reason, amount in claim.denials:
        out[(ReasonRollup, (claim.payer_id, reason))] = {
            "at_risk_claims": 1,
            "at_risk_amount": amount,
        }
    return out


def difference(before: Standing | None, after: Standing | None) -> Deltas:
    """What to add to each rollup row when a claim goes from ``before`` to ``after``."""
    old, new = contributions(before), contributions(after)
    out: Deltas = defaultdict(dict)
    for key in old.keys() | new.keys():
        for column in old.get(key, {}).keys() | new.get(key, {}).keys():
            delta = new.get(key, {}).get(column, 0) - old.get(key, {}).get(column, 0)
            if delta:
                out[key][column] = delta
    return dict(out)


_KEYS: dict[type[SQLModel], tuple[str, ...]] = {
    StatusRollup: ("payer_id", "status"),
    ArRollup: ("payer_id", "day"),
    DecisionRollup: ("payer_id", "day"),
    ReasonRollup: ("payer_id", "reason"),
}


def add(
    session: Session, model: type[SQLModel], key: tuple[Any, ...], deltas: Mapping[str, Any]
) -> None:
    """Add ``deltas`` to one rollup row, creating it at zero first: one atomic upsert.

    ``INSERT .. ON CONFLICT DO UPDATE SET c = c + excluded.c`` is atomic in PostgreSQL and
    SQLite alike, so two projectors adding to the same row never lose an update.
    """
    if not deltas:
        return
    names = _KEYS[model]
    table = model.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(**dict(zip(names, key, strict=True)), **deltas)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(names),
        set_={c: table.c[c] + stmt.excluded[c] for c in deltas},
    )
    session.execute(stmt)


def apply(session: Session, deltas: Deltas | Iterable[tuple[Key, Mapping[str, Any]]]) -> None:
    items = deltas.items() if isinstance(deltas, dict) else deltas
    for (model, key), columns in items:
        add(session, model, key, columns)
