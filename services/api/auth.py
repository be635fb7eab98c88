"""Signing in and out: tokens for scripts (OAuth2 password flow), a session for the console.

- ``POST /auth/token`` (form ``username``, ``password``, optional ``scope`` = roles wanted):
  the OAuth2 password flow for local users; answers a bearer token (Swagger's "Authorize"
  button uses it).
- ``POST /auth/login`` (form ``username``, ``password``, optional ``next``): sets the
  session cookie (HttpOnly, SameSite=Lax, Secure when ``session_cookie_secure``) holding a
  token of ours, accepted by the same auth dependency as a bearer token. With ``next`` (a
  path on this site) it answers 303 to it, else 200 with who signed in. A wrong password
  is a 401 in the error shape, for the login page to show.
- ``POST /auth/logout`` clears the cookie (303 to ``next`` if given).
- ``GET /auth/me``: who the credential is, and its roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from claims.roles import Role, known_roles
from services.api.deps import EngineDep, SettingsDep
from services.api.errors import error
from services.auth import users
from services.auth.audit import ATTEMPTED_USER_KEY
from services.auth.authenticate import SESSION_COOKIE, authenticator
from services.auth.policy import Authorized, authorize
from services.auth.principal import Principal
from services.auth.users import AuthUser

router = APIRouter(tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    roles: list[Role]


class Identity(BaseModel):
    name: str
    kind: str
    roles: list[Role]
    channel: str
    expires_at: dt.datetime | None = None


def _sign_in(request: Request, engine: EngineDep, username: str, password: str) -> AuthUser:
    request.scope[ATTEMPTED_USER_KEY] = username[:64]
    user = users.verify_password(engine, username, password)
    if user is None:
        raise error(
            401,
            "wrong user name or password (or the user is disabled)",
            rule="bad_credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


@router.post("/auth/token")
def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], engine: EngineDep
) -> TokenResponse:
    """OAuth2 password flow: a bearer token for a local user (``scope``: the roles wanted)."""
    user = _sign_in(request, engine, form.username, form.password)
    roles = known_roles(form.scopes) & user.role_set if form.scopes else user.role_set
    issued, expires = authenticator(request).local.issue(user.name, roles)
    ttl = int((expires - dt.datetime.now(dt.UTC)).total_seconds())
    return TokenResponse(access_token=issued, expires_in=ttl, roles=sorted(roles))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@router.post("/auth/login", response_model=Identity, responses={303: {"description": "To next"}})
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Sign in to the console: sets the session cookie."""
    user = _sign_in(request, engine, username, password)
    issued, expires = authenticator(request).local.issue(user.name, user.role_set)
    target = _safe_next(next)
    identity = Identity(
        name=user.name,
        kind="user",
        roles=sorted(user.role_set),
        channel="console",
        expires_at=expires,
    )
    response: Response = (
        RedirectResponse(target, status_code=303)
        if target
        else Response(identity.model_dump_json(), media_type="application/json")
    )
    response.set_cookie(
        SESSION_COOKIE,
        issued,
        max_age=settings.token_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


@router.post("/auth/logout", responses={303: {"description": "To next"}})
def logout(
    settings: SettingsDep, next: Annotated[str | None, Form(max_length=2000)] = None
) -> Response:
    """Sign out of the console: clears the session cookie."""
    target = _safe_next(next)
    response: Response = (
        RedirectResponse(target, status_code=303)
        if target
        else Response('{"signed_out": true}', media_type="application/json")
    )
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
    )
    return response


@router.get("/auth/me", dependencies=[Depends(authorize)])
def me(principal: Authorized) -> Identity:
    """Who this credential is and what it may do."""
    return _identity(principal)


def _identity(principal: Principal) -> Identity:
    return Identity(
        name=principal.name,
        kind=principal.kind,
        roles=sorted(principal.roles),
        channel=principal.channel,
    )
