"""Webhook secrets at rest: sealed with claimflow's data key ring, never stored in plain text.

A copy of the database file (a backup, a support bundle) must not hand out the secrets that
let anyone forge our deliveries. Secrets are sealed with the same AES-256-GCM key ring as
every other PHI-grade value (``services.crypto``: ``CLAIMFLOW_ENCRYPTION_KEYS`` or the 0600
key file), so ``claimflow keys rotate`` covers them too: the key id travels with each sealed
secret and older keys still open it. The subscription id is authenticated with it, so a
ciphertext copied onto another subscription's row does not open.
"""

from __future__ import annotations

import base64
import binascii

from services.crypto.aead import DecryptionError, open_sealed, seal
from services.crypto.keyring import KeyRing, UnknownKeyError
from services.settings import Settings

VERSION = "v2"


class SecretKeyError(RuntimeError):
    pass


class SecretBox:
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def seal(self, secret: str, *, subscription_id: str) -> str:
        kid, sealed = seal(self._ring, secret.encode(), _context(subscription_id))
        return f"{VERSION}:{kid}:{base64.b64encode(sealed).decode()}"

    def open(self, sealed: str, *, subscription_id: str) -> str:
        version, _, rest = sealed.partition(":")
        kid, _, body = rest.partition(":")
        if version != VERSION or not kid or not body:
            raise SecretKeyError("webhook secret stored in an unknown format")
        try:
            plain = open_sealed(
                self._ring, kid, base64.b64decode(body, validate=True), _context(subscription_id)
            )
        except (DecryptionError, binascii.Error) as exc:
            raise SecretKeyError(
                "a webhook secret does not decrypt: the row was changed or copied"
            ) from exc
        except UnknownKeyError as exc:
            raise SecretKeyError(f"a webhook secret is sealed under a missing key: {exc}") from exc
        return plain.decode()


def _context(subscription_id: str) -> bytes:
    return b"webhook-secret|" + subscription_id.encode()


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(KeyRing.for_settings(settings))
