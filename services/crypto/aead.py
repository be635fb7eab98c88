"""AES-256-GCM with the key id bound in: the one cipher both the codec and files use."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.crypto.keyring import KeyRing

NONCE_BYTES = 12


class DecryptionError(ValueError):
    """Ciphertext that does not decrypt: a wrong key, or bytes changed since encryption."""


def seal(
    ring: KeyRing, plaintext: bytes, context: bytes, kid: str | None = None
) -> tuple[str, bytes]:
    """(key id, nonce + ciphertext) under ``kid`` (default: the active key). ``context`` and
    the key id are authenticated too, so a ciphertext moved to another context or relabelled
    with another key id fails to open."""
    kid = kid or ring.active
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.key(kid)).encrypt(nonce, plaintext, context + b"|" + kid.encode())
    return kid, nonce + sealed


def open_sealed(ring: KeyRing, kid: str, sealed: bytes, context: bytes) -> bytes:
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        return AESGCM(ring.key(kid)).decrypt(nonce, body, context + b"|" + kid.encode())
    except InvalidTag as exc:
        raise DecryptionError(f"ciphertext under key {kid!r} does not authenticate") from exc


def seal_labelled(ring: KeyRing, plaintext: bytes, context: bytes) -> bytes:
    """One self-describing blob under the active key: the key id (length-prefixed), then
    the nonce and ciphertext. What stored files and
    columns (payer files, attachments, statements, patient details) keep."""
    kid, sealed = seal(ring, plaintext, context)
    label = kid.encode()
    return bytes([len(label)]) + label + sealed


def open_labelled(ring: KeyRing, blob: bytes, context: bytes) -> bytes:
    """The inverse of ``seal_labelled``; ``DecryptionError`` if altered or moved."""
    if not blob:
        raise DecryptionError("an empty blob is not a sealed one")
    size = blob[0]
    return open_sealed(ring, blob[1 : 1 + size].decode(), blob[1 + size :], context)
