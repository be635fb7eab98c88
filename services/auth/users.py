"""Local users: a name, roles, and an argon2id password hash (argon2-cffi's defaults).

claimflow's embedded default has no identity provider, so people sign in with a password
kept here. A disabled user's tokens stop working at once: every request with a token of
ours checks the user still exists, is enabled, and still holds the token's roles.
"""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import Field, Session, select

from claims.roles import Role
from services.auth.store import pack_roles, unpack_roles
from services.aware_times import AwareTimes

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
MIN_PASSWORD = 12

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and response times do not tell which names exist. A constant made once with
# ``_hasher``'s parameters (a test checks they still match): hashing it at import cost
# every claimflow process (API, worker, CLI) an argon2 run, 64 MiB, on start-up.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$f4oGLUsUs2ZTAgDa8KucMw"
    "$As68NpaJ8BY6HPCUk1bsuO70nJtPMmyj4k8sM1DORe0"
)


class AuthUser(AwareTimes, table=True):
    __tablename__ = "auth_user"

    name: str = Field(primary_key=True, max_length=64)
    password_hash: str
    roles: str
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def role_set(self) -> frozenset[Role]:
        return unpack_roles(self.roles)


class UserError(ValueError):
    """A refused user change; the message names the rule."""


def check_name(name: str) -> str:
    if not re.match(NAME_PATTERN, name):
        raise UserError(
            f"user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    return password


def add_user(engine: Engine, name: str, password: str, roles: frozenset[Role]) -> AuthUser:
    check_name(name)
    check_password(password)
    with Session(engine) as session:
        if session.get(AuthUser, name) is not None:
            raise UserError(f"user {name!r} exists already")
        user = AuthUser(name=name, password_hash=_hasher.hash(password), roles=pack_roles(roles))
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def update_user(
    engine: Engine,
    name: str,
    *,
    password: str | None = None,
    roles: frozenset[Role] | None = None,
    disabled: bool | None = None,
) -> AuthUser:
    with Session(engine) as session:
        user = session.get(AuthUser, name)
        if user is None:
            raise UserError(f"no user {name!r}")
        if password is not None:
            user.password_hash = _hasher.hash(check_password(password))
        if roles is not None:
            user.roles = pack_roles(roles)
        if disabled is not None:
            user.disabled = disabled
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def get_user(engine: Engine, name: str) -> AuthUser | None:
    with Session(engine) as session:
        return session.get(AuthUser, name)


def list_users(engine: Engine) -> list[AuthUser]:
    with Session(engine) as session:
        return list(session.exec(select(AuthUser).order_by(AuthUser.name)))


def verify_password(engine: Engine, name: str, password: str) -> AuthUser | None:
    """The enabled user whose password this is, or None (same cost either way)."""
    user = get_user(engine, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        update_user(engine, name, password=password)
    return user
