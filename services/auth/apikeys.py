"""API keys for machines (an intake service, a clearinghouse posting 835s, the simulator).

A key is shown once, when it is made: ``cfk_<key id>_<secret>``. Only the key id and a
SHA-256 hash of the secret are stored. The secret is 32 random bytes, so a fast hash is
enough (no dictionary to guess from) and each request costs one indexed lookup. Revoked
keys stay in the table, so the audit log's names keep meaning something.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import Engine
from sqlmodel import Field, Session, select

from claims.roles import Role
from services.auth.store import pack_roles, unpack_roles
from services.auth.users import UserError, check_name
from services.aware_times import AwareTimes

PREFIX = "cfk"


class ApiKey(AwareTimes, table=True):
    __tablename__ = "auth_api_key"

    key_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(index=True, unique=True, max_length=64)
    secret_hash: str
    roles: str
    created_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    revoked_at: dt.datetime | None = None

    @property
    def role_set(self) -> frozenset[Role]:
        return unpack_roles(self.roles)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(engine: Engine, name: str, roles: frozenset[Role]) -> tuple[ApiKey, str]:
    """(the stored row, the key to hand over once)."""
    check_name(name)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(key_id=key_id, name=name, secret_hash=_hash(secret), roles=pack_roles(roles))
    with Session(engine) as session:
        if session.exec(select(ApiKey).where(ApiKey.name == name)).first() is not None:
            raise UserError(f"an API key named {name!r} exists already (revoked keys keep names)")
        session.add(row)
        session.commit()
        session.refresh(row)
    return row, f"{PREFIX}_{key_id}_{secret}"


def verify_key(engine: Engine, presented: str) -> ApiKey | None:
    """The live key this is, or None (unknown, malformed, wrong secret or revoked)."""
    prefix, _, rest = presented.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    with Session(engine) as session:
        row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return row


def revoke_key(engine: Engine, name: str) -> ApiKey:
    with Session(engine) as session:
        row = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
        if row is None:
            raise UserError(f"no API key named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            session.add(row)
            session.commit()
            session.refresh(row)
        return row


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine) as session:
        return list(session.exec(select(ApiKey).order_by(ApiKey.name)))
