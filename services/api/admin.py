"""Administration (admins only): local users and API keys.

The same operations as ``claimflow users ...`` and ``claimflow apikey ...``, which work on
the database directly (the first admin has nobody to ask). Data keys are rotated with
``claimflow keys rotate`` on a machine that holds the key file.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from claims.roles import Role
from services.api.deps import EngineDep
from services.api.errors import error
from services.auth import apikeys, users
from services.auth.policy import AUTHORIZED
from services.auth.users import UserError

router = APIRouter(tags=["admin"], dependencies=AUTHORIZED)


class UserOut(BaseModel):
    name: str
    roles: list[Role]
    disabled: bool
    created_at: dt.datetime


class UserCreate(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    roles: list[Role] = Field(min_length=1)


class UserChange(BaseModel):
    password: str | None = Field(default=None, max_length=1024)
    roles: list[Role] | None = Field(default=None, min_length=1)
    disabled: bool | None = None


class ApiKeyOut(BaseModel):
    name: str
    key_id: str
    roles: list[Role]
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class ApiKeyCreate(BaseModel):
    name: str = Field(max_length=64)
    roles: list[Role] = Field(min_length=1)


class ApiKeyCreated(ApiKeyOut):
    # Shown this once; only its hash is kept.
    key: str


def _user(row: users.AuthUser) -> UserOut:
    return UserOut(
        name=row.name, roles=sorted(row.role_set), disabled=row.disabled, created_at=row.created_at
    )


def _key(row: apikeys.ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        name=row.name,
        key_id=row.key_id,
        roles=sorted(row.role_set),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.get("/admin/users")
def list_users(engine: EngineDep) -> list[UserOut]:
    return [_user(u) for u in users.list_users(engine)]


@router.post("/admin/users", status_code=201)
def add_user(body: UserCreate, engine: EngineDep) -> UserOut:
    try:
        return _user(users.add_user(engine, body.name, body.password, frozenset(body.roles)))
    except UserError as exc:
        raise error(422, str(exc), rule="user") from exc


@router.patch("/admin/users/{name}")
def change_user(name: str, body: UserChange, engine: EngineDep) -> UserOut:
    """New password, roles, or disable/enable (a disabled user's tokens stop working)."""
    try:
        row = users.update_user(
            engine,
            name,
            password=body.password,
            roles=frozenset(body.roles) if body.roles else None,
            disabled=body.disabled,
        )
    except UserError as exc:
        status = 404 if "no user" in str(exc) else 422
        raise error(status, str(exc), rule="user") from exc
    return _user(row)


@router.get("/admin/api-keys")
def list_api_keys(engine: EngineDep) -> list[ApiKeyOut]:
    return [_key(k) for k in apikeys.list_keys(engine)]


@router.post("/admin/api-keys", status_code=201)
def create_api_key(body: ApiKeyCreate, engine: EngineDep) -> ApiKeyCreated:
    try:
        row, key = apikeys.create_key(engine, body.name, frozenset(body.roles))
    except UserError as exc:
        raise error(422, str(exc), rule="api_key") from exc
    return ApiKeyCreated(**_key(row).model_dump(), key=key)


@router.delete("/admin/api-keys/{name}")
def revoke_api_key(name: str, engine: EngineDep) -> ApiKeyOut:
    try:
        return _key(apikeys.revoke_key(engine, name))
    except UserError as exc:
        raise error(404, str(exc), rule="api_key") from exc
