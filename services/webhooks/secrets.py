"""Webhook secrets at rest: AES-256-GCM under a key that is not in the database.

A copy of the database file (a backup, a support bundle) must not hand out the secrets that
let anyone forge our deliveries. The key comes from ``CLAIMFLOW_WEBHOOK_SECRET_KEY``
(base64 of 32 bytes) or, failing that, from ``<state dir>/keys/webhook-secrets.key``,
created on first use with mode 0600. The subscription id is the associated data, so a
ciphertext copied onto another subscription's row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.settings import Settings

VERSION = "v1:"
NONCE_BYTES = 12


class SecretKeyError(RuntimeError):
    pass


def key_file(settings: Settings) -> Path:
    return settings.state_dir / "keys" / "webhook-secrets.key"


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyError(f"{where}: not base64") from exc
    if len(key) != 32:
        raise SecretKeyError(f"{where}: an AES-256 key is 32 bytes, this one {len(key)}")
    return key


def load_key(settings: Settings) -> bytes:
    """The key from settings, else the key file (created atomically, 0600, if missing)."""
    if settings.webhook_secret_key:
        return _decode_key(settings.webhook_secret_key, "CLAIMFLOW_WEBHOOK_SECRET_KEY")
    path = key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written to a private temp file, then linked into place: two processes starting at
        # once (the API and the delivery process) agree on whichever key was linked first.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return _decode_key(path.read_text(), str(path))


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str, *, subscription_id: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), subscription_id.encode())
        return VERSION + base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, subscription_id: str) -> str:
        if not sealed.startswith(VERSION):
            raise SecretKeyError("webhook secret stored in an unknown format")
        raw = base64.b64decode(sealed.removeprefix(VERSION))
        try:
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], subscription_id.encode()
            )
        except InvalidTag as exc:
            raise SecretKeyError(
                "a webhook secret does not decrypt: the key changed, or the row was copied"
            ) from exc
        return plain.decode()


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(load_key(settings))
