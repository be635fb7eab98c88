"""The ops figures, read from the projector's rollups (``services.rollups``), never Temporal.

- **Aging**: money the payers may still owe, by payer and by how long ago it was billed
  (0-30, 31-60, 61-90, 91-120, 120+ days).
- **Denials**: the share of first decisions that denied all or part of a claim, by payer;
  denials by reason (group-CARC) with the money standing denied for it now.
- **First-pass rate**: first decisions that paid a claim with no rejection or correction
  before it (an appeal can only come after a first decision, so it never counts).
- **Appeal overturn rate**: decisions on appealed claims that paid in full.
- **Days in A/R**: all outstanding money over the average day's billing in the last 90 days.

Definitions are written once here; the API, the console and the CLI all show these numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, case, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from claims import aging
from claims.reason_codes import carc_description
from services.rollups import ArRollup, DecisionRollup, ReasonRollup, StatusRollup

ZERO = Decimal("0.00")


class AgingCell(BaseModel):
    claims: int = 0
    amount: Decimal = ZERO


class AgingRow(BaseModel):
    payer_id: str
    buckets: dict[str, AgingCell]
    total: AgingCell


class AgingReport(BaseModel):
    as_of: dt.date
    buckets: tuple[str, ...] = aging.BUCKET_NAMES
    payers: list[AgingRow]
    totals: AgingRow


def aging_report(
    engine: Engine, *, today: dt.date | None = None, payer_id: str | None = None
) -> AgingReport:
    today = today or dt.datetime.now(dt.UTC).date()
    day = col(ArRollup.day)
    whens = []
    for bucket in aging.BUCKETS[:-1]:
        first, _ = aging.billed_on_range(bucket, today)
        whens.append((day >= first, literal(bucket.name)))
    bucket_expr = case(*whens, else_=literal(aging.BUCKETS[-1].name))
    query = (
        select(
            ArRollup.payer_id,
            bucket_expr,
            func.sum(ArRollup.open_claims),
            func.sum(ArRollup.outstanding),
        )
        .where(col(ArRollup.open_claims) != 0)
        .group_by(ArRollup.payer_id, bucket_expr)
    )
    if payer_id:
        query = query.where(ArRollup.payer_id == payer_id)
    rows: dict[str, AgingRow] = {}
    totals = AgingRow(
        payer_id="all", buckets={b: AgingCell() for b in aging.BUCKET_NAMES}, total=AgingCell()
    )
    with Session(engine) as session:
        for payer, bucket, claims, amount in session.exec(query):
            row = rows.setdefault(
                payer,
                AgingRow(
                    payer_id=payer,
                    buckets={b: AgingCell() for b in aging.BUCKET_NAMES},
                    total=AgingCell(),
                ),
            )
            amount = Decimal(amount or 0).quantize(ZERO)
            for target in (row, totals):
                cell = target.buckets[bucket]
                cell.claims += int(claims)
                cell.amount += amount
                target.total.claims += int(claims)
                target.total.amount += amount
    return AgingReport(
        as_of=today, payers=sorted(rows.values(), key=lambda r: r.payer_id), totals=totals
    )


class PayerDenials(BaseModel):
    payer_id: str
    decided: int
    denied: int
    denial_rate: float | None
    first_pass_paid: int
    first_pass_rate: float | None
    appeals_decided: int
    appeals_overturned: int
    overturn_rate: float | None


class ReasonDenials(BaseModel):
    reason: str
    carc: str
    description: str | None
    denials: int
    # Denials with this reason per first decision (of the payer, or of all payers).
    rate: float | None
    at_risk_claims: int
    at_risk_amount: Decimal


class DenialReport(BaseModel):
    since: dt.date | None
    payers: list[PayerDenials]
    totals: PayerDenials
    reasons: list[ReasonDenials]


def _payer_denials(payer: str, d: int, den: int, fp: int, ad: int, ao: int) -> PayerDenials:
    return PayerDenials(
        payer_id=payer,
        decided=d,
        denied=den,
        denial_rate=aging.rate(den, d),
        first_pass_paid=fp,
        first_pass_rate=aging.rate(fp, d),
        appeals_decided=ad,
        appeals_overturned=ao,
        overturn_rate=aging.rate(ao, ad),
    )


def denial_report(
    engine: Engine, *, payer_id: str | None = None, since: dt.date | None = None
) -> DenialReport:
    """Decision figures by payer (since a day, if given) and denial reasons (all time)."""
    sums = (
        func.sum(DecisionRollup.decided),
        func.sum(DecisionRollup.denied),
        func.sum(DecisionRollup.first_pass_paid),
        func.sum(DecisionRollup.appeals_decided),
        func.sum(DecisionRollup.appeals_overturned),
    )
    columns: list[Any] = [DecisionRollup.payer_id, *sums]
    query = sa_select(*columns).group_by(DecisionRollup.payer_id)
    reason_columns: list[Any] = [
        ReasonRollup.reason,
        func.sum(ReasonRollup.denials),
        func.sum(ReasonRollup.at_risk_claims),
        func.sum(ReasonRollup.at_risk_amount),
    ]
    reasons_q = sa_select(*reason_columns).group_by(ReasonRollup.reason)
    if payer_id:
        query = query.where(col(DecisionRollup.payer_id) == payer_id)
        reasons_q = reasons_q.where(col(ReasonRollup.payer_id) == payer_id)
    if since is not None:
        query = query.where(col(DecisionRollup.day) >= since)
    with Session(engine) as session:
        payers = [
            _payer_denials(p, *(int(v or 0) for v in values))
            for p, *values in session.execute(query).all()
        ]
        reason_rows = list(session.execute(reasons_q).all())
    totals = _payer_denials(
        "all",
        *(sum(getattr(p, f) for p in payers) for f in (
            "decided", "denied", "first_pass_paid", "appeals_decided", "appeals_overturned"
        )),
    )  # fmt: skip
    reasons = [
        ReasonDenials(
            reason=reason,
            carc=reason.rsplit("-", 1)[-1],
            description=carc_description(reason),
            denials=int(n or 0),
            rate=aging.rate(int(n or 0), totals.decided),
            at_risk_claims=int(c or 0),
            at_risk_amount=Decimal(a or 0).quantize(ZERO),
        )
        for reason, n, c, a in reason_rows
        if n or c
    ]
    reasons.sort(key=lambda r: (-r.at_risk_amount, -r.denials, r.reason))
    return DenialReport(
        since=since,
        payers=sorted(payers, key=lambda p: p.payer_id),
        totals=totals,
        reasons=reasons,
    )


class StatusByPayer(BaseModel):
    payer_id: str
    statuses: dict[str, int]
    total: int


class Overview(BaseModel):
    as_of: dt.date
    claims: int
    by_status: dict[str, int]
    by_payer: list[StatusByPayer]
    outstanding: Decimal
    billed_last_90_days: Decimal
    days_in_ar: Decimal | None
    first_pass_rate: float | None
    denial_rate: float | None
    overturn_rate: float | None


def overview(engine: Engine, *, today: dt.date | None = None) -> Overview:
    today = today or dt.datetime.now(dt.UTC).date()
    with Session(engine) as session:
        status_rows = list(
            session.exec(select(StatusRollup.payer_id, StatusRollup.status, StatusRollup.claims))
        )
        outstanding, billed = session.exec(
            select(
                func.coalesce(func.sum(ArRollup.outstanding), 0),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                col(ArRollup.day) > today - dt.timedelta(days=90),
                                ArRollup.billed_charges,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
        ).one()
    by_payer: dict[str, StatusByPayer] = {}
    by_status: dict[str, int] = {}
    for payer, status, n in status_rows:
        if not n:
            continue
        row = by_payer.setdefault(payer, StatusByPayer(payer_id=payer, statuses={}, total=0))
        row.statuses[status] = n
        row.total += n
        by_status[status] = by_status.get(status, 0) + n
    outstanding = Decimal(outstanding).quantize(ZERO)
    billed = Decimal(billed).quantize(ZERO)
    denials = denial_report(engine).totals
    return Overview(
        as_of=today,
        claims=sum(by_status.values()),
        by_status=by_status,
        by_payer=sorted(by_payer.values(), key=lambda r: r.payer_id),
        outstanding=outstanding,
        billed_last_90_days=billed,
        days_in_ar=aging.days_in_ar(outstanding, billed),
        first_pass_rate=denials.first_pass_rate,
        denial_rate=denials.denial_rate,
        overturn_rate=denials.overturn_rate,
    )
