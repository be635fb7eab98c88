"""From a request's credential to a principal: the one FastAPI dependency that does it.

Credentials, in the order they are looked for:
- ``Authorization: Bearer <JWT>``: a person's token, ours (``claimflow token create``,
  ``POST /auth/token``) or an OIDC provider's (when ``oidc_issuer`` is set);
- ``X-API-Key: <key>`` or ``Authorization: ApiKey <key>``: a machine's API key;
- the ``claimflow_session`` cookie (``POST /auth/login``): a person in the web console.

No credential, or one that does not check out, is a 401 naming why. The channel is
``console`` for the session cookie; a client may say ``X-Claimflow-Channel: cli`` (the
claimflow CLI does), anything else is ``api``. The principal is also left on the request
scope, where the audit log reads it.
"""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy import Engine

from claims.roles import known_roles
from services.api.errors import error
from services.auth import apikeys, users
from services.auth.oidc import OidcVerifier
from services.auth.principal import Channel, Principal
from services.auth.tokens import LocalIssuer
from services.settings import Settings

SESSION_COOKIE = "claimflow_session"
CHANNEL_HEADER = "x-claimflow-channel"
# Where the principal (or why there is none) is left for the audit log.
PRINCIPAL_KEY = "claimflow.principal"
FAILURE_KEY = "claimflow.auth_failure"

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)
session_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


class Unauthenticated(Exception):
    def __init__(self, rule: str, msg: str) -> None:
        super().__init__(msg)
        self.rule = rule
        self.msg = msg


class Authenticator:
    """Checks credentials; one per API process (it holds the signing key and the JWKS)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.local = LocalIssuer(settings)
        self.oidc = OidcVerifier(settings) if settings.oidc_issuer else None

    def from_token(self, token: str, channel: Channel) -> Principal:
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("token_invalid", f"not a readable token: {exc}") from exc
        if issuer == self.local.issuer:
            return self._local(token, channel)
        if self.oidc is not None and issuer == self.oidc.issuer:
            return self._oidc(token, channel)
        raise Unauthenticated("token_issuer", f"tokens from issuer {issuer!r} are not trusted")

    def _checked(self, verify: Any, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = verify(token)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token_expired", "the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("token_audience", f"wrong audience: {exc}") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("token_issuer", f"wrong issuer: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("token_invalid", f"the token is not valid: {exc}") from exc
        return claims

    def _local(self, token: str, channel: Channel) -> Principal:
        claims = self._checked(self.local.verify, token)
        user = users.get_user(self.engine, str(claims["sub"]))
        if user is None or user.disabled:
            raise Unauthenticated("user_disabled", f"user {claims['sub']!r} is unknown or disabled")
        roles = known_roles(claims.get("roles") or ()) & user.role_set
        return Principal(user.name, "user", roles, channel, self.local.issuer)

    def _oidc(self, token: str, channel: Channel) -> Principal:
        assert self.oidc is not None
        claims = self._checked(self.oidc.verify, token)
        roles = known_roles(self.oidc.roles(claims))
        return Principal(self.oidc.name(claims), "user", roles, channel, self.oidc.issuer)

    def from_api_key(self, key: str, channel: Channel) -> Principal:
        row = apikeys.verify_key(self.engine, key)
        if row is None:
            raise Unauthenticated("api_key_invalid", "the API key is unknown or revoked")
        return Principal(row.name, "api_key", row.role_set, channel, "api-key")


def _channel(request: Request) -> Channel:
    return "cli" if request.headers.get(CHANNEL_HEADER, "").lower() == "cli" else "api"


def authenticator(request: Request) -> Authenticator:
    found: Authenticator = request.app.state.authenticator
    return found


def current_principal(
    request: Request,
    bearer: Annotated[str | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
    session: Annotated[str | None, Security(session_scheme)],
) -> Principal:
    """The caller, or 401. A sync function: FastAPI runs it on a thread (database, argon2)."""
    auth = authenticator(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    try:
        if bearer:
            principal = auth.from_token(bearer, _channel(request))
        elif api_key or scheme.lower() == "apikey":
            principal = auth.from_api_key((api_key or value).strip(), _channel(request))
        elif session:
            principal = auth.from_token(session, "console")
        else:
            raise Unauthenticated(
                "credentials_required",
                "sign in: send a bearer token, an API key (X-API-Key) or a session cookie",
            )
    except Unauthenticated as exc:
        request.scope[FAILURE_KEY] = exc.rule
        raise error(401, exc.msg, rule=exc.rule, headers={"WWW-Authenticate": "Bearer"}) from exc
    request.scope[PRINCIPAL_KEY] = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
