"""The one place payer files' bytes are written and read: a blob store in the database.

Every 835, 277CA and 999 a payer sends is kept here, by an opaque id (a ULID), from the
moment it is received: the posting workflow is handed that id, never the contents, and
reads the file back in pages. The database (SQLite or PostgreSQL, shared by the API, the
inbox and the worker) is the store, so every process sees the same files and a file is
never half-written: its chunks and its row commit in one transaction.

Files are kept in chunks of ``CHUNK`` bytes so a page of a large ERA is read without
reading the whole file.

Payer files hold PHI (patient names, member ids), so every chunk is encrypted at rest with
the data key ring (``services.crypto``: AES-256-GCM, a fresh nonce per chunk, the key id
stored with it, the file id and chunk number authenticated, so a chunk moved to another
file or place does not open). ``_seal`` and ``_open`` are the only functions that see a
chunk on its way to and from the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import Column, DateTime, Engine, LargeBinary
from sqlmodel import Field, Session, col, select
from ulid import ULID

from services.aware_times import AwareTimes
from services.crypto.aead import open_labelled, seal_labelled
from services.crypto.keyring import KeyRing

CHUNK = 1 << 20


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PayerFileRecord(AwareTimes, table=True):
    __tablename__ = "payer_files"

    file_id: str = Field(primary_key=True, max_length=26)
    size: int
    sha256: str = Field(index=True, max_length=64)
    chunks: int
    stored_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PayerFileChunk(AwareTimes, table=True):
    __tablename__ = "payer_file_chunks"

    file_id: str = Field(primary_key=True, max_length=26)
    n: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    size: int
    sha256: str


def _context(file_id: str, n: int) -> bytes:
    return f"payer-file|{file_id}|{n}".encode()


def _seal(ring: KeyRing, file_id: str, n: int, chunk: bytes) -> bytes:
    """Chunk ``n`` of ``file_id`` as it is written (``seal_labelled``: key id, nonce,
    ciphertext)."""
    return seal_labelled(ring, chunk, _context(file_id, n))


def _open(ring: KeyRing, file_id: str, n: int, blob: bytes) -> bytes:
    """The inverse of ``_seal``; ``DecryptionError`` if the chunk was altered or moved."""
    return open_labelled(ring, blob, _context(file_id, n))


def store(engine: Engine, ring: KeyRing, data: bytes) -> StoredFile:
    """Keep ``data``; return its new id. All of it is stored, or none of it."""
    file_id = str(ULID())
    digest = hashlib.sha256(data).hexdigest()
    count = max(1, -(-len(data) // CHUNK))
    with Session(engine) as session:
        session.add(PayerFileRecord(file_id=file_id, size=len(data), sha256=digest, chunks=count))
        for n in range(count):
            chunk = data[n * CHUNK : (n + 1) * CHUNK]
            sealed = _seal(ring, file_id, n, chunk)
            session.add(PayerFileChunk(file_id=file_id, n=n, data=sealed))
        session.commit()
    return StoredFile(file_id, len(data), digest)


def read(engine: Engine, ring: KeyRing, file_id: str) -> bytes:
    """The whole file; ``LookupError`` if there is no such file."""
    return read_range(engine, ring, file_id, 0, None)


def read_range(engine: Engine, ring: KeyRing, file_id: str, start: int, end: int | None) -> bytes:
    """Bytes ``start`` to ``end`` (exclusive; None: to the end) of the file, reading only
    the chunks that hold them."""
    with Session(engine) as session:
        record = session.get(PayerFileRecord, file_id)
        if record is None:
            raise LookupError(f"no payer file {file_id}")
        stop = record.size if end is None else min(end, record.size)
        if start >= stop:
            return b""
        first, last = start // CHUNK, (stop - 1) // CHUNK
        rows = session.exec(
            select(PayerFileChunk)
            .where(PayerFileChunk.file_id == file_id)
            .where(col(PayerFileChunk.n) >= first)
            .where(col(PayerFileChunk.n) <= last)
            .order_by(col(PayerFileChunk.n))
        ).all()
    data = b"".join(_open(ring, file_id, row.n, row.data) for row in rows)
    return data[start - first * CHUNK : stop - first * CHUNK]


def info(engine: Engine, file_id: str) -> PayerFileRecord | None:
    with Session(engine) as session:
        return session.get(PayerFileRecord, file_id)
