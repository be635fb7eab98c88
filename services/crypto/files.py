"""Files at rest with PHI in them (X12 copies, quarantined payer files): encrypted, 0600.

One format and one function pair for every such file, so whatever stores a payer file
(intake, the inbound folder, quarantine, paged posting) plugs into the same thing:

    CFENC1 <key id length: 1 byte> <key id> <nonce: 12 bytes> <AES-256-GCM ciphertext + tag>

The header (magic and key id) is authenticated with the content, so a file cannot be
relabelled with another key or truncated without ``decrypt_bytes`` noticing.
"""

from __future__ import annotations

from pathlib import Path

from services.crypto.aead import DecryptionError, open_sealed, seal
from services.crypto.keyring import KeyRing
from services.crypto.secret_files import write_private

MAGIC = b"CFENC1"
CONTEXT = b"claimflow-file-v1"


def is_encrypted(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def encrypt_bytes(ring: KeyRing, data: bytes) -> bytes:
    kid = ring.active
    header = MAGIC + bytes([len(kid.encode())]) + kid.encode()
    _, sealed = seal(ring, data, CONTEXT + header, kid)
    return header + sealed


def decrypt_bytes(ring: KeyRing, blob: bytes) -> bytes:
    """The plaintext; ``DecryptionError`` if it is not ours, truncated or altered."""
    if not is_encrypted(blob) or len(blob) < len(MAGIC) + 1:
        raise DecryptionError("not a claimflow encrypted file (no CFENC1 header)")
    size = blob[len(MAGIC)]
    end = len(MAGIC) + 1 + size
    header, sealed = blob[:end], blob[end:]
    return open_sealed(ring, header[len(MAGIC) + 1 :].decode(), sealed, CONTEXT + header)


def write_encrypted(ring: KeyRing, path: Path, data: str | bytes) -> Path:
    """Encrypt ``data`` into ``path`` (mode 0600, renamed into place, never half-written)."""
    raw = data.encode() if isinstance(data, str) else data
    return write_private(path, encrypt_bytes(ring, raw))


def read_decrypted(ring: KeyRing, path: Path) -> bytes:
    return decrypt_bytes(ring, path.read_bytes())
