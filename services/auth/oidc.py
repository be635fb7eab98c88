"""Tokens from an OpenID Connect provider, checked against the provider's published keys.

The JWKS (from ``oidc_jwks_url``, or the ``jwks_uri`` of the issuer's discovery document)
is cached for ``oidc_jwks_cache_seconds``. A token signed with a key id the cache does not
know triggers one early refresh (the provider rotated its keys), at most every
``MIN_REFRESH_SECONDS``, so a stream of made-up key ids cannot make us hammer the provider.

Only asymmetric algorithms are accepted, and only the one the key is for: ``alg: none`` and
HMAC tokens (which could be signed with a public key as the "secret") are refused.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt

from services.settings import Settings

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
MIN_REFRESH_SECONDS = 30.0


class JwksCache:
    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        assert settings.oidc_issuer
        self._issuer = settings.oidc_issuer.rstrip("/")
        self._jwks_url = settings.oidc_jwks_url
        self._ttl = settings.oidc_jwks_cache_seconds
        self._http = http or httpx.Client(timeout=5.0)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _url(self) -> str:
        if self._jwks_url:
            return self._jwks_url
        discovery = f"{self._issuer}/.well-known/openid-configuration"
        response = self._http.get(discovery)
        response.raise_for_status()
        url: str = response.json()["jwks_uri"]
        self._jwks_url = url
        return url

    def _refresh(self) -> None:
        response = self._http.get(self._url())
        response.raise_for_status()
        keys: dict[str, jwt.PyJWK] = {}
        for data in response.json().get("keys", []):
            if data.get("use", "sig") != "sig" or "kid" not in data:
                continue
            try:
                keys[data["kid"]] = jwt.PyJWK(data)
            except jwt.PyJWKError:
                continue  # a key type we cannot use; the others still count
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self._ttl or (kid not in self._keys and age > MIN_REFRESH_SECONDS):
                self._refresh()
            return self._keys.get(kid)


class OidcVerifier:
    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        assert settings.oidc_issuer
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience or settings.jwt_audience
        self.roles_claim = settings.oidc_roles_claim
        self.name_claim = settings.oidc_name_claim
        self.jwks = JwksCache(settings, http)

    def verify(self, token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            raise jwt.InvalidAlgorithmError(f"algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise jwt.InvalidTokenError("the token names no key id (kid)")
        try:
            key = self.jwks.key(kid)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            msg = f"the identity provider's keys are unavailable: {exc}"
            raise jwt.InvalidTokenError(msg) from exc
        if key is None:
            raise jwt.InvalidTokenError(f"unknown key id {kid!r}")
        if key.algorithm_name != alg:
            raise jwt.InvalidAlgorithmError(f"key {kid!r} is for {key.algorithm_name}, not {alg}")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            audience=self.audience,
            issuer=self.issuer,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        return claims

    def roles(self, claims: dict[str, Any]) -> list[str]:
        """The roles claim at a dotted path: a list, or one string of space/comma separated."""
        value: Any = claims
        for part in self.roles_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            return [v for v in value.replace(",", " ").split() if v]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return []

    def name(self, claims: dict[str, Any]) -> str:
        name = claims.get(self.name_claim) or claims["sub"]
        return str(name)
