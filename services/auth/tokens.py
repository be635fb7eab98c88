"""claimflow as its own token issuer: ES256 JWTs signed with a key kept in the state dir.

The signing key is made (EC P-256, PEM, mode 0600) by the first process that needs it, and
every API process of the installation reads the same file. Tokens carry the person's name
(``sub``) and the roles this token may use (``roles``, a subset of the user's).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from claims.roles import Role
from services.crypto.secret_files import read_or_create
from services.settings import Settings

ALGORITHM = "ES256"
LEEWAY_SECONDS = 30


def _new_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class LocalIssuer:
    def __init__(self, settings: Settings) -> None:
        pem = read_or_create(settings.resolved_signing_key_file, _new_pem)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{settings.resolved_signing_key_file}: not an EC private key")
        self._private = key
        self._public = key.public_key()
        der = self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(der).hexdigest()[:16]
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.default_ttl = settings.token_ttl_seconds

    def issue(
        self, name: str, roles: Iterable[Role], *, ttl_seconds: int | None = None
    ) -> tuple[str, dt.datetime]:
        """(token, expiry)."""
        now = dt.datetime.now(dt.UTC)
        expires = now + dt.timedelta(seconds=ttl_seconds or self.default_ttl)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": name,
            "roles": sorted(Role(r).value for r in roles),
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": secrets.token_hex(12),
        }
        token = jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"kid": self.kid})
        return token, expires

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; ``jwt.InvalidTokenError`` (or a subclass) if it is not good."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._public,
            algorithms=[ALGORITHM],
            audience=self.audience,
            issuer=self.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
        return claims


def parse_ttl(text: str) -> int:
    """``8h``, ``30m``, ``2d``, ``90s`` or plain seconds -> seconds (at most 30 days)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        seconds = int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)
    except ValueError:
        raise ValueError(f"ttl {text!r}: a number with s, m, h or d, e.g. 8h") from None
    if not 0 < seconds <= 30 * 86400:
        raise ValueError(f"ttl {text!r}: between 1 second and 30 days")
    return seconds
