"""Attachments (appeal letters, records, authorizations): stored encrypted, read by id.

This is the ONE place claimflow keeps uploaded files. Everything else holds only an
attachment's opaque id (``att_<ULID>``): the appeal request in Temporal's history, the
appeal packet, the console's links. The bytes and the file's name (names often hold PHI)
are encrypted with the data key ring (``services.crypto``: AES-256-GCM, the key id stored
with each blob so keys can rotate, the attachment id authenticated so a blob copied onto
another id does not open) before they touch the disk; files are 0600; the database row
holds only the id, the claim, the type, the size and a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, LargeBinary
from sqlmodel import Field, Session, col, select
from ulid import ULID

from services.aware_times import AwareTimes
from services.crypto.aead import open_labelled, seal_labelled
from services.crypto.keyring import KeyRing
from services.crypto.secret_files import write_private
from services.settings import Settings

ID_PREFIX = "att_"
NAME_MAX = 200


def _context(attachment_id: str, part: str) -> bytes:
    return f"attachment|{attachment_id}|{part}".encode()


class AttachmentRecord(AwareTimes, table=True):
    __tablename__ = "attachments"

    attachment_id: str = Field(primary_key=True, max_length=40)
    claim_id: str = Field(index=True, max_length=40)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    # The file's name, encrypted like its bytes (a name such as "smith-j-records.pdf" is PHI).
    name_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The signed-in person's name (never PHI).
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
    def __init__(self, settings: Settings, engine: Engine, ring: KeyRing | None = None) -> None:
        self._dir = settings.state_dir / "attachments"
        self._engine = engine
        self._ring = ring or KeyRing.for_settings(settings)
        self.max_bytes = settings.attachment_max_bytes

    def _info(self, row: AttachmentRecord) -> AttachmentInfo:
        name = open_labelled(self._ring, row.name_sealed, _context(row.attachment_id, "name"))
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
        # Written aside and renamed into place, 0600: never half a file under the real name.
        write_private(
            self._dir / f"{attachment_id}.bin",
            seal_labelled(self._ring, data, _context(attachment_id, "data")),
        )
        row = AttachmentRecord(
            attachment_id=attachment_id,
            claim_id=claim_id,
            content_type=(content_type or "application/octet-stream")[:100],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            name_sealed=seal_labelled(self._ring, name.encode(), _context(attachment_id, "name")),
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
        return info, open_labelled(self._ring, blob, _context(attachment_id, "data"))

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
