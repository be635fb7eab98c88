"""Attachments (appeal letters, records, authorizations): stored encrypted, read by id.

This is the ONE place claimflow keeps uploaded files. Everything else holds only an
attachment's opaque id (``att_<ULID>``): the appeal request in Temporal's history, the
appeal packet, the console's links. The bytes and the file's name (names often hold PHI)
are encrypted before they touch the disk; the database row holds only the id, the claim, the
type, the size and a digest.

The seam for the security work is ``file_cipher``: it returns the ``FileCipher`` used for
every file. Today that is ``LocalKeyCipher`` (AES-256-GCM with one key in a 0600 file under
the state dir, made on first use); replace ``file_cipher`` with the crypto module's helper
(key ids, rotation, a KMS) and nothing else changes. Blobs carry a format tag so that files
written before the switch remain readable only by the cipher that wrote them: re-encrypt or
keep the old key id readable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, LargeBinary
from sqlmodel import Field, Session, SQLModel, col, select
from ulid import ULID

from services.settings import Settings

ID_PREFIX = "att_"
NAME_MAX = 200


class FileCipher(Protocol):
    """Encrypts files at rest. ``context`` binds a blob to what it is (its attachment id):
    a blob copied onto another id does not decrypt."""

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes: ...

    def decrypt(self, blob: bytes, *, context: bytes) -> bytes: ...


class LocalKeyCipher:
    """AES-256-GCM under one local key (phase 1; see the module docstring)."""

    TAG = b"CFA1"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_file(cls, path: Path) -> LocalKeyCipher:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(AESGCM.generate_key(bit_length=256))
        return cls(path.read_bytes())

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return self.TAG + nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, blob: bytes, *, context: bytes) -> bytes:
        if not blob.startswith(self.TAG):
            raise ValueError("not a blob this cipher wrote")
        nonce, sealed = blob[4:16], blob[16:]
        return self._aead.decrypt(nonce, sealed, context)


def file_cipher(settings: Settings) -> FileCipher:
    """THE SEAM: the cipher every stored file goes through (the security work replaces it)."""
    return LocalKeyCipher.from_file(settings.state_dir / "keys" / "attachments.key")


class AttachmentRecord(SQLModel, table=True):
    __tablename__ = "attachments"

    attachment_id: str = Field(primary_key=True, max_length=40)
    claim_id: str = Field(index=True, max_length=40)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    # The file's name, encrypted like its bytes (a name such as "smith-j-records.pdf" is PHI).
    name_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Filled once requests carry a signed-in person (the security work).
    uploaded_by: str | None = Field(default=None, max_length=120)


class AttachmentInfo(BaseModel):
    attachment_id: str
    claim_id: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class AttachmentError(ValueError):
    """An upload refused: ``field`` and ``rule`` say which and why."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


class AttachmentStore:
    def __init__(
        self, settings: Settings, engine: Engine, cipher: FileCipher | None = None
    ) -> None:
        self._dir = settings.state_dir / "attachments"
        self._engine = engine
        self._cipher = cipher or file_cipher(settings)
        self.max_bytes = settings.attachment_max_bytes

    def _info(self, row: AttachmentRecord) -> AttachmentInfo:
        name = self._cipher.decrypt(row.name_sealed, context=row.attachment_id.encode())
        return AttachmentInfo(
            attachment_id=row.attachment_id,
            claim_id=row.claim_id,
            name=name.decode("utf-8"),
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_at=row.uploaded_at,
        )

    def save(
        self,
        *,
        claim_id: str,
        name: str,
        content_type: str,
        data: bytes,
        uploaded_by: str | None = None,
    ) -> AttachmentInfo:
        name = Path(name.replace("\\", "/")).name.strip()
        if not name:
            raise AttachmentError("file", "name_required", "the file has no name")
        if len(name) > NAME_MAX:
            raise AttachmentError("file", "name_too_long", f"file names are {NAME_MAX} at most")
        if not data:
            raise AttachmentError("file", "empty", f"{name} is empty")
        if len(data) > self.max_bytes:
            raise AttachmentError(
                "file", "too_large", f"{name} is over the limit of {self.max_bytes} bytes"
            )
        attachment_id = f"{ID_PREFIX}{ULID()}"
        context = attachment_id.encode()
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / f"{attachment_id}.bin"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(self._cipher.encrypt(data, context=context))
        tmp.replace(path)  # never half a file under the real name
        row = AttachmentRecord(
            attachment_id=attachment_id,
            claim_id=claim_id,
            content_type=(content_type or "application/octet-stream")[:100],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            name_sealed=self._cipher.encrypt(name.encode("utf-8"), context=context),
            uploaded_at=dt.datetime.now(dt.UTC),
            uploaded_by=uploaded_by,
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
        return self._info(row)

    def get(self, attachment_id: str) -> AttachmentInfo | None:
        with Session(self._engine) as session:
            row = session.get(AttachmentRecord, attachment_id)
        return None if row is None else self._info(row)

    def read(self, attachment_id: str) -> tuple[AttachmentInfo, bytes]:
        """The attachment and its bytes; KeyError if there is no such attachment."""
        info = self.get(attachment_id)
        if info is None:
            raise KeyError(attachment_id)
        blob = (self._dir / f"{attachment_id}.bin").read_bytes()
        return info, self._cipher.decrypt(blob, context=attachment_id.encode())

    def for_claim(self, claim_id: str) -> list[AttachmentInfo]:
        with Session(self._engine) as session:
            rows = session.exec(
                select(AttachmentRecord)
                .where(AttachmentRecord.claim_id == claim_id)
                .order_by(col(AttachmentRecord.uploaded_at))
            )
            return [self._info(r) for r in rows]

    def unknown_for_claim(self, claim_id: str, ids: tuple[str, ...]) -> list[int]:
        """Positions in ``ids`` that name no attachment of this claim."""
        with Session(self._engine) as session:
            rows = session.exec(
                select(AttachmentRecord.attachment_id).where(
                    col(AttachmentRecord.attachment_id).in_(ids),
                    AttachmentRecord.claim_id == claim_id,
                )
            )
            known = set(rows)
        return [i for i, a in enumerate(ids) if a not in known]
