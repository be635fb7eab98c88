"""What an admin sends and sees when managing webhook subscriptions, and how events match.

Event types are named exactly (``claimflow.claim.paid.v1``) or by a pattern with ``*``
(``claimflow.claim.*.v1``). A pattern is how a subscriber asks for types that do not exist
yet; an exact name must be a type the contract has, so a typo is refused instead of
silently matching nothing. A subscription gets no event type it did not ask for.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from claims.status import ClaimStatus
from events.contract import ALERT_TYPE_PREFIX, TYPE_SUFFIX, AlertKind, event_type
from services.webhooks.signing import secret_key

ContentMode = Literal["structured", "binary"]


def known_event_types() -> list[str]:
    return [event_type(s) for s in ClaimStatus] + [
        f"{ALERT_TYPE_PREFIX}{kind.value}{TYPE_SUFFIX}" for kind in AlertKind
    ]


def check_event_types(patterns: list[str]) -> list[str]:
    known = known_event_types()
    for pattern in patterns:
        if "*" in pattern:
            if not any(fnmatchcase(t, pattern) for t in known):
                raise ValueError(f"{pattern!r} matches no event type of the contract")
        elif pattern not in known:
            raise ValueError(
                f"{pattern!r} is not an event type of the contract "
                "(e.g. claimflow.claim.paid.v1, or a pattern like claimflow.claim.*.v1)"
            )
    return patterns


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must be http:// or https:// with a host")
    return url


def check_secret(secret: str | None) -> str | None:
    if secret is not None:
        secret_key(secret)
    return secret


def matches(event_types: list[str], payer_ids: list[str], type_: str, payer_id: str) -> bool:
    if payer_ids and payer_id not in payer_ids:
        return False
    return any(fnmatchcase(type_, pattern) for pattern in event_types)


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=100)
    # Empty: every payer.
    payer_ids: list[str] = Field(default_factory=list, max_length=100)
    content_mode: ContentMode = "structured"
    # Generated (and shown once) when not given.
    secret: str | None = None
    description: str | None = Field(default=None, max_length=200)
    active: bool = True

    _url = field_validator("url")(check_url)
    _types = field_validator("event_types")(check_event_types)
    _secret = field_validator("secret")(check_secret)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=100)
    payer_ids: list[str] | None = Field(default=None, max_length=100)
    content_mode: ContentMode | None = None
    secret: str | None = None
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_event_types(value)

    _secret = field_validator("secret")(check_secret)


class SubscriptionView(BaseModel):
    """A subscription as the API shows it: never the secret."""

    id: str
    url: str
    event_types: list[str]
    payer_ids: list[str]
    content_mode: ContentMode
    description: str | None
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    # Dead letters waiting for a re-drive, and the last delivery failure.
    dead_letters: int = 0
    last_error: str | None = None
    last_failed_at: dt.datetime | None = None


class SubscriptionCreated(SubscriptionView):
    # Shown once, at creation (or when replaced): claimflow stores it encrypted.
    secret: str


class DeadLetterView(BaseModel):
    id: int
    subscription_id: str
    claim_id: str
    event_id: str
    event_type: str
    # dead: waiting for a re-drive; queued: re-drive requested; delivered: re-driven.
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    # Set when this event never failed itself but waits behind an earlier one of its claim.
    held_behind: str | None
    failed_at: dt.datetime
    redriven_at: dt.datetime | None
    delivered_at: dt.datetime | None


class RedriveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Only this claim's dead letters; all of the subscription's when absent.
    claim_id: str | None = Field(default=None, max_length=40)


class RedriveAccepted(BaseModel):
    subscription_id: str
    queued: int
