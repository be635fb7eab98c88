"""The data keys that encrypt PHI at rest, and which of them encrypts today.

Keys come from the ``CLAIMFLOW_ENCRYPTION_KEYS`` setting (a secret store puts them there) or
from a key file (``CLAIMFLOW_KEY_FILE``, by default ``<state>/keys/data-keys.json``, created
with one fresh key, mode 0600, the first time a process needs it). Never from the repo.

Both hold the same JSON: ``{"active": "<key id>", "keys": {"<key id>": "<base64 32 bytes>"}}``.
Rotation adds a key and makes it active; old keys stay, so everything they encrypted still
decrypts. A process that meets a key id it does not know re-reads the key file once: a key
rotated by ``claimflow keys rotate`` is picked up without a restart.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from services.crypto.secret_files import read_or_create, replace_private
from services.settings import Settings

KEY_BYTES = 32  # AES-256


class UnknownKeyError(LookupError):
    """Ciphertext names a key this key ring does not have."""


def new_key_id() -> str:
    return f"k{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _fresh() -> dict[str, object]:
    kid = new_key_id()
    return {"active": kid, "keys": {kid: base64.b64encode(os.urandom(KEY_BYTES)).decode()}}


def _parse(raw: bytes | str, where: str) -> tuple[str, dict[str, bytes]]:
    try:
        doc = json.loads(raw)
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in doc["keys"].items()}
        active = str(doc["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}: not a key ring ({{active, keys}}): {exc}") from exc
    if active not in keys:
        raise ValueError(f"{where}: the active key {active!r} is not among its keys")
    for kid, key in keys.items():
        if len(key) != KEY_BYTES:
            raise ValueError(f"{where}: key {kid!r} is {len(key)} bytes, not {KEY_BYTES}")
    return active, keys


def render(active: str, keys: dict[str, bytes]) -> bytes:
    doc = {"active": active, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}}
    return json.dumps(doc, indent=2).encode() + b"\n"


@dataclass
class KeyRing:
    active: str
    keys: dict[str, bytes]
    # The key file, when the keys came from one (re-read for a key id we do not know).
    source: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, settings: Settings) -> KeyRing:
        if settings.encryption_keys is not None:
            active, keys = _parse(
                settings.encryption_keys.get_secret_value(), "CLAIMFLOW_ENCRYPTION_KEYS"
            )
            return cls(active, keys)
        path = settings.resolved_key_file
        raw = read_or_create(path, lambda: json.dumps(_fresh(), indent=2).encode() + b"\n")
        active, keys = _parse(raw, str(path))
        return cls(active, keys, source=path)

    @classmethod
    def for_settings(cls, settings: Settings) -> KeyRing:
        """The process's key ring for these settings, loaded once (files re-read on demand)."""
        secret = settings.encryption_keys.get_secret_value() if settings.encryption_keys else ""
        cache_key = (str(settings.resolved_key_file), secret)
        with _CACHE_LOCK:
            ring = _CACHE.get(cache_key)
            if ring is None:
                ring = _CACHE[cache_key] = cls.load(settings)
        return ring

    @classmethod
    def generate(cls) -> KeyRing:
        """A one-key ring for tests and tools that need no file."""
        kid = new_key_id()
        return cls(kid, {kid: os.urandom(KEY_BYTES)})

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active]

    def key(self, kid: str) -> bytes:
        found = self.keys.get(kid)
        if found is None and self.source is not None:
            with self._lock:
                active, keys = _parse(self.source.read_bytes(), str(self.source))
                self.keys = keys
                self.active = active
            found = self.keys.get(kid)
        if found is None:
            raise UnknownKeyError(f"no data key {kid!r} in the key ring")
        return found


_CACHE: dict[tuple[str, str], KeyRing] = {}
_CACHE_LOCK = threading.Lock()


def rotate(settings: Settings) -> tuple[str, bytes | None]:
    """Add a new active key. Returns (its id, the new ring's JSON when it is not in a file).

    With a key file, the file is replaced atomically and the JSON is not returned; with keys
    from settings, nothing is written: the operator stores the returned JSON in the secret
    store the setting comes from.
    """
    ring = KeyRing.load(settings)
    kid = new_key_id()
    keys = {**ring.keys, kid: os.urandom(KEY_BYTES)}
    if ring.source is None:
        return kid, render(kid, keys)
    replace_private(ring.source, render(kid, keys))
    return kid, None
