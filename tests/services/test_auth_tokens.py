"""Credentials: OIDC tokens against a JWKS this test serves, our own tokens, API keys,
the password flow and the console's session cookie. Each refusal is a 401 naming why."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from temporalio.client import Client

from claims.roles import Role
from services.auth import apikeys, oidc, users
from services.settings import Settings
from tests.services.auth_testkit import Api, api_only
from tests.support import free_port, serve, unique_settings

pytestmark = [pytest.mark.stack]

AUDIENCE = "claimflow-api"


class Provider:
    """An OpenID Connect provider: an RSA key pair, its JWKS and discovery document."""

    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []
        self.fetches = 0
        self.add_key("key-1")

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.published.append(kid)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, str]:
            return {"issuer": self.url, "jwks_uri": f"{self.url}/jwks"}

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            self.fetches += 1
            keys = []
            for kid in self.published:
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
                keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
            return {"keys": keys}

        return app

    def token(self, kid: str = "key-1", **overrides: Any) -> str:
        now = dt.datetime.now(dt.UTC)
        claims = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "f81d4fae-7dec",
            "preferred_username": "olivia.oidc",
            "realm_access": {"roles": ["biller", "ops", "offline_access"]},
            "iat": now,
            "exp": now + dt.timedelta(minutes=5),
            **overrides,
        }
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest_asyncio.fixture(loop_scope="session")
async def provider() -> AsyncIterator[Provider]:
    found = Provider()
    async with serve(found.app(), int(found.url.rsplit(":", 1)[1])):
        yield found


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    test_stack: Settings, client: Client, provider: Provider, tmp_path: Path
) -> AsyncIterator[Api]:
    settings = unique_settings(
        test_stack,
        tmp_path,
        oidc_issuer=provider.url,
        oidc_audience=AUDIENCE,
        oidc_roles_claim="realm_access.roles",
    )
    async with api_only(settings, client) as running:
        yield running


async def me(api: Api, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with api.client(headers) as http:
        response = await http.get("/auth/me")
    return response.status_code, response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rule(body: dict[str, Any]) -> str:
    return str(body["detail"][0]["rule"])


async def test_oidc_good_token_names_the_person_and_her_roles(api: Api, provider: Provider) -> None:
    status, body = await me(api, bearer(provider.token()))
    assert status == 200, body
    assert body["name"] == "olivia.oidc"
    assert body["roles"] == ["biller", "ops"]  # roles claimflow does not know are dropped


def _tampered(token: str) -> str:
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["realm_access"]["roles"] = ["supervisor"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


def _alg_none(provider: Provider) -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": provider.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 300}
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "key-1"})


def _hmac_with_public_key(provider: Provider) -> str:
    """Algorithm confusion: HS256 'signed' with the provider's public key as the secret."""
    public = (
        provider.keys["key-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"iss": provider.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 300}
    header = {"alg": "HS256", "kid": "key-1", "typ": "JWT"}

    def part(data: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    import hashlib
    import hmac

    signing_input = part(header) + b"." + part(claims)
    sig = base64.urlsafe_b64encode(hmac.new(public, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + sig.rstrip(b"=")).decode()


BAD_TOKENS: list[tuple[str, Callable[[Provider], str], str]] = [
    (
        "expired",
        lambda p: p.token(
            exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
            iat=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        ),
        "token_expired",
    ),
    ("wrong audience", lambda p: p.token(aud="some-other-api"), "token_audience"),
    ("wrong issuer", lambda p: p.token(iss="http://127.0.0.1:1/evil"), "token_issuer"),
    ("tampered signature", lambda p: _tampered(p.token()), "token_invalid"),
    ("alg none", _alg_none, "token_invalid"),
    ("hmac with the public key", _hmac_with_public_key, "token_invalid"),
    ("not a jwt", lambda p: "not.a.jwt", "token_invalid"),
]


@pytest.mark.parametrize(("case", "make", "expected"), BAD_TOKENS, ids=[b[0] for b in BAD_TOKENS])
async def test_oidc_bad_tokens_are_refused(
    api: Api,
    provider: Provider,
    case: str,
    make: Callable[[Provider], str],
    expected: str,
) -> None:
    status, body = await me(api, bearer(make(provider)))
    assert status == 401, (case, body)
    assert rule(body) == expected, (case, body)


async def test_oidc_unknown_key_id_then_rotation(
    api: Api, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _ = await me(api, bearer(provider.token()))
    assert status == 200
    provider.add_key("key-2")
    provider.published.remove("key-2")  # signed with a key the provider has not published
    status, body = await me(api, bearer(provider.token(kid="key-2")))
    assert (status, rule(body)) == (401, "token_invalid")
    assert "unknown key id 'key-2'" in body["detail"][0]["msg"]
    fetches = provider.fetches
    # An unknown kid refreshes the JWKS at most every MIN_REFRESH_SECONDS...
    await me(api, bearer(provider.token(kid="key-2")))
    assert provider.fetches == fetches
    # ...and once the provider publishes the rotated key, it is found by that refresh.
    provider.published.append("key-2")
    monkeypatch.setattr(oidc, "MIN_REFRESH_SECONDS", 0.0)
    status, body = await me(api, bearer(provider.token(kid="key-2")))
    assert status == 200, body
    assert provider.fetches == fetches + 1


def _local_token(api: Api, **claims: Any) -> str:
    pem = api.settings.resolved_signing_key_file.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    now = dt.datetime.now(dt.UTC)
    body = {"iss": "claimflow", "aud": "claimflow", "sub": "biller", "roles": ["biller"]}
    body |= {"iat": now, "exp": now + dt.timedelta(minutes=5), **claims}
    return jwt.encode(body, key, algorithm="ES256")  # type: ignore[arg-type]


async def test_own_tokens_edge_cases(api: Api) -> None:
    good = api.token(Role.BILLER, name="biller")
    assert (await me(api, bearer(good)))[1]["roles"] == ["biller"]
    assert api.settings.resolved_signing_key_file.stat().st_mode & 0o777 == 0o600

    expired = _local_token(
        api,
        iat=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9),
        exp=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
    )
    assert rule((await me(api, bearer(expired)))[1]) == "token_expired"
    assert rule((await me(api, bearer(_local_token(api, aud="x"))))[1]) == "token_audience"
    # A token may not claim roles its user does not hold.
    status, body = await me(api, bearer(_local_token(api, roles=["biller", "admin"])))
    assert (status, body["roles"]) == (200, ["biller"])
    # Signed by another installation's key: refused.
    other = jwt.encode(
        {"iss": "claimflow", "aud": "claimflow", "sub": "biller", "exp": 2**31},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
    )
    assert rule((await me(api, bearer(other)))[1]) == "token_invalid"
    # A disabled user's tokens stop working at once.
    users.update_user(api.engine, "biller", disabled=True)
    assert rule((await me(api, bearer(good)))[1]) == "user_disabled"


async def test_api_keys_by_either_header_and_revocation(api: Api) -> None:
    row, key = apikeys.create_key(
        api.engine, f"clearinghouse-{uuid.uuid4().hex[:6]}", frozenset({Role.INTAKE})
    )
    for headers in ({"X-API-Key": key}, {"Authorization": f"ApiKey {key}"}):
        status, body = await me(api, headers)
        assert (status, body["kind"], body["name"], body["roles"]) == (
            200,
            "api_key",
            row.name,
            ["intake"],
        )
    assert rule((await me(api, {"X-API-Key": key[:-2] + "xx"}))[1]) == "api_key_invalid"
    apikeys.revoke_key(api.engine, row.name)
    assert rule((await me(api, {"X-API-Key": key}))[1]) == "api_key_invalid"


async def test_password_flow_and_console_session(api: Api) -> None:
    users.add_user(api.engine, "bea", "correct horse battery", frozenset({Role.BILLER}))
    async with api.client() as http:
        wrong = await http.post("/auth/token", data={"username": "bea", "password": "nope"})
        assert (wrong.status_code, rule(wrong.json())) == (401, "bad_credentials")
        issued = await http.post(
            "/auth/token", data={"username": "bea", "password": "correct horse battery"}
        )
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
    assert (await me(api, bearer(token)))[1]["name"] == "bea"

    async with api.client() as browser:
        login = await browser.post(
            "/auth/login", data={"username": "bea", "password": "correct horse battery"}
        )
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        mine = (await browser.get("/auth/me")).json()
        assert (mine["name"], mine["channel"]) == ("bea", "console")
        out = await browser.post("/auth/logout")
        assert out.status_code == 200
        assert (await browser.get("/auth/me")).status_code == 401

    async with api.client() as browser:
        redirected = await browser.post(
            "/auth/login",
            data={"username": "bea", "password": "correct horse battery", "next": "/console"},
        )
        assert (redirected.status_code, redirected.headers["location"]) == (303, "/console")
        # Never an open redirect to another site.
        elsewhere = await browser.post(
            "/auth/login",
            data={"username": "bea", "password": "correct horse battery", "next": "//evil.test"},
        )
        assert elsewhere.status_code == 200
