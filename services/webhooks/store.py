"""Webhook subscriptions and dead letters in the database.

The API writes subscriptions and asks for re-drives; the delivery process is the only
writer of dead letters and of their delivery outcome. Secrets are stored sealed
(``services.webhooks.secrets``); only the delivery process opens them.

A dead letter is kept per (subscription, event). Order per claim is kept across failures:
once one event of a claim is dead-lettered for a subscription, that claim's later events
are dead-lettered behind it (``held_behind``) instead of overtaking it, and a re-drive
delivers them all in their original order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, Text, func, update
from sqlmodel import Field, Session, col, select
from ulid import ULID

from services.aware_times import AwareTimes
from services.webhooks.models import (
    DeadLetterView,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionUpdate,
    SubscriptionView,
)
from services.webhooks.secrets import SecretBox
from services.webhooks.signing import new_secret

DEAD, QUEUED, DELIVERED = "dead", "queued", "delivered"
PENDING = (DEAD, QUEUED)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WebhookSubscription(AwareTimes, table=True):
    __tablename__ = "webhook_subscriptions"

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(max_length=2000)
    event_types: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    payer_ids: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    content_mode: str = Field(max_length=16)
    secret_sealed: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, max_length=200)
    active: bool = True
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class WebhookDeadLetter(AwareTimes, table=True):
    __tablename__ = "webhook_dead_letters"

    # Increasing in arrival order: a claim's letters are re-driven in this order.
    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(index=True, max_length=40)
    claim_id: str = Field(index=True, max_length=40)
    event_id: str = Field(max_length=80)
    event_type: str = Field(max_length=120)
    # The record's value as read from Kafka (events carry no patient demographics).
    payload: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(index=True, max_length=16)
    attempts: int = 0
    last_status: int | None = None
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
    held_behind: str | None = Field(default=None, max_length=80)
    failed_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    redriven_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    delivered_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )


@dataclass(frozen=True)
class ActiveSubscription:
    """What the delivery process needs of a subscription, secret opened."""

    id: str
    url: str
    event_types: list[str]
    payer_ids: list[str]
    content_mode: str
    secret: str
    created_at: dt.datetime


# ------------------------------------------------------------------------ subscriptions


def _view(row: WebhookSubscription, session: Session) -> SubscriptionView:
    pending = session.exec(
        select(func.count())
        .select_from(WebhookDeadLetter)
        .where(
            WebhookDeadLetter.subscription_id == row.id, col(WebhookDeadLetter.state).in_(PENDING)
        )
    ).one()
    last = session.exec(
        select(WebhookDeadLetter)
        .where(WebhookDeadLetter.subscription_id == row.id, WebhookDeadLetter.attempts > 0)
        .order_by(col(WebhookDeadLetter.failed_at).desc())
        .limit(1)
    ).first()
    return SubscriptionView(
        id=row.id,
        url=row.url,
        event_types=json.loads(row.event_types),
        payer_ids=json.loads(row.payer_ids),
        content_mode=row.content_mode,
        description=row.description,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        dead_letters=int(pending),
        last_error=last.last_error if last else None,
        last_failed_at=last.failed_at if last else None,
    )


def create_subscription(
    engine: Engine, box: SecretBox, request: SubscriptionCreate
) -> SubscriptionCreated:
    sub_id = str(ULID())
    secret = request.secret or new_secret()
    now = _now()
    row = WebhookSubscription(
        id=sub_id,
        url=request.url,
        event_types=json.dumps(request.event_types),
        payer_ids=json.dumps(request.payer_ids),
        content_mode=request.content_mode,
        secret_sealed=box.seal(secret, subscription_id=sub_id),
        description=request.description,
        active=request.active,
        created_at=now,
        updated_at=now,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return SubscriptionCreated(**_view(row, session).model_dump(), secret=secret)


def get_subscription(engine: Engine, sub_id: str) -> SubscriptionView | None:
    with Session(engine) as session:
        row = session.get(WebhookSubscription, sub_id)
        return None if row is None else _view(row, session)


def list_subscriptions(engine: Engine) -> list[SubscriptionView]:
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookSubscription).order_by(col(WebhookSubscription.created_at))
        )
        return [_view(row, session) for row in rows]


def update_subscription(
    engine: Engine, box: SecretBox, sub_id: str, request: SubscriptionUpdate
) -> SubscriptionView | None:
    with Session(engine) as session:
        row = session.get(WebhookSubscription, sub_id)
        if row is None:
            return None
        changes = request.model_dump(exclude_unset=True)
        for name in ("url", "content_mode", "description", "active"):
            if name in changes and (changes[name] is not None or name == "description"):
                setattr(row, name, changes[name])
        if request.event_types is not None:
            row.event_types = json.dumps(request.event_types)
        if request.payer_ids is not None:
            row.payer_ids = json.dumps(request.payer_ids)
        if request.secret is not None:
            row.secret_sealed = box.seal(request.secret, subscription_id=sub_id)
        row.updated_at = _now()
        session.add(row)
        session.commit()
        session.refresh(row)
        return _view(row, session)


def delete_subscription(engine: Engine, sub_id: str) -> bool:
    with Session(engine) as session:
        row = session.get(WebhookSubscription, sub_id)
        if row is None:
            return False
        for letter in session.exec(
            select(WebhookDeadLetter).where(WebhookDeadLetter.subscription_id == sub_id)
        ):
            session.delete(letter)
        session.delete(row)
        session.commit()
        return True


def active_subscriptions(engine: Engine, box: SecretBox) -> list[ActiveSubscription]:
    with Session(engine) as session:
        rows = session.exec(select(WebhookSubscription).where(col(WebhookSubscription.active)))
        return [
            ActiveSubscription(
                id=row.id,
                url=row.url,
                event_types=json.loads(row.event_types),
                payer_ids=json.loads(row.payer_ids),
                content_mode=row.content_mode,
                secret=box.open(row.secret_sealed, subscription_id=row.id),
                # SQLite hands back naive datetimes; every time we store is UTC.
                created_at=row.created_at.replace(tzinfo=row.created_at.tzinfo or dt.UTC),
            )
            for row in rows
        ]


# ------------------------------------------------------------------------- dead letters


def _letter_view(row: WebhookDeadLetter) -> DeadLetterView:
    assert row.id is not None
    return DeadLetterView.model_validate(row, from_attributes=True)


def dead_letters(
    engine: Engine, sub_id: str, *, state: str | None = None, limit: int = 100
) -> list[DeadLetterView]:
    with Session(engine) as session:
        query = select(WebhookDeadLetter).where(WebhookDeadLetter.subscription_id == sub_id)
        if state is not None:
            query = query.where(WebhookDeadLetter.state == state)
        query = query.order_by(col(WebhookDeadLetter.id)).limit(limit)
        return [_letter_view(row) for row in session.exec(query)]


def request_redrive(engine: Engine, sub_id: str, claim_id: str | None = None) -> int:
    """Queue the subscription's dead letters (one claim's, or all) for delivery again."""
    with Session(engine) as session:
        statement = (
            update(WebhookDeadLetter)
            .where(col(WebhookDeadLetter.subscription_id) == sub_id)
            .where(col(WebhookDeadLetter.state) == DEAD)
        )
        if claim_id is not None:
            statement = statement.where(col(WebhookDeadLetter.claim_id) == claim_id)
        result = session.exec(statement.values(state=QUEUED, redriven_at=_now()))
        session.commit()
        return int(result.rowcount)


def add_dead_letter(
    engine: Engine,
    *,
    subscription_id: str,
    claim_id: str,
    event_id: str,
    event_type: str,
    payload: bytes,
    attempts: int,
    last_status: int | None,
    last_error: str,
    held_behind: str | None,
) -> None:
    with Session(engine) as session:
        session.add(
            WebhookDeadLetter(
                subscription_id=subscription_id,
                claim_id=claim_id,
                event_id=event_id,
                event_type=event_type,
                payload=payload.decode("utf-8", "replace"),
                state=DEAD,
                attempts=attempts,
                last_status=last_status,
                last_error=last_error[:2000],
                held_behind=held_behind,
                failed_at=_now(),
            )
        )
        session.commit()


def lanes_with(engine: Engine, states: Iterable[str]) -> set[tuple[str, str]]:
    """(subscription, claim) pairs that have dead letters in any of ``states``."""
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookDeadLetter.subscription_id, WebhookDeadLetter.claim_id)
            .where(col(WebhookDeadLetter.state).in_(list(states)))
            .distinct()
        )
        return {(sub, claim) for sub, claim in rows}


def pending_letters(engine: Engine, sub_id: str, claim_id: str) -> list[WebhookDeadLetter]:
    """The lane's undelivered letters, in the order their events arrived."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(WebhookDeadLetter)
                .where(
                    WebhookDeadLetter.subscription_id == sub_id,
                    WebhookDeadLetter.claim_id == claim_id,
                    col(WebhookDeadLetter.state).in_(PENDING),
                )
                .order_by(col(WebhookDeadLetter.id))
            )
        )


def settle_letter(
    engine: Engine,
    letter_id: int,
    *,
    delivered: bool,
    attempts: int = 0,
    last_status: int | None = None,
    last_error: str = "",
    held_behind: str | None = None,
) -> None:
    """Record a re-drive's outcome: delivered, or dead again (failed or held behind)."""
    with Session(engine) as session:
        row = session.get(WebhookDeadLetter, letter_id)
        if row is None:  # the subscription was deleted meanwhile
            return
        if delivered:
            row.state, row.delivered_at, row.held_behind = DELIVERED, _now(), None
        else:
            row.state = DEAD
            row.attempts += attempts
            row.held_behind = held_behind
            if attempts:
                row.last_status, row.last_error, row.failed_at = last_status, last_error, _now()
        session.add(row)
        session.commit()
