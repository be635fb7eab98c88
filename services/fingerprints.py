"""The duplicate index: the duplicate key of every claim that scrubbed clean and still stands.

A claim leaves it when it is voided or written off (the workflow releases it): a new claim
for the same service is then a new claim, not a duplicate of a claim nobody pursues.

Written by the scrub activity, not by the event projector: the key is derived from the
claim's patient and lines, which events deliberately do not carry. Only the SHA-256 key is
stored, never the fields it is made of.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Field, Session, select

from claims.duplicates import DuplicateKey
from services.aware_times import AwareTimes


class ClaimFingerprint(AwareTimes, table=True):
    __tablename__ = "claim_fingerprints"

    claim_id: str = Field(primary_key=True, max_length=40)
    key: str = Field(index=True, max_length=80)


class SqlDuplicateIndex:
    """``activities.stages.DuplicateIndex`` on SQLModel."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, key: DuplicateKey) -> str | None:
        with Session(self._engine) as session:
            query = select(ClaimFingerprint.claim_id).where(ClaimFingerprint.key == key.digest)
            return session.exec(query.limit(1)).first()

    def register(self, claim_id: str, key: DuplicateKey) -> None:
        with Session(self._engine) as session:
            row = session.get(ClaimFingerprint, claim_id)
            if row is None:
                session.add(ClaimFingerprint(claim_id=claim_id, key=key.digest))
            else:
                row.key = key.digest
                session.add(row)
            session.commit()

    def release(self, claim_id: str) -> None:
        with Session(self._engine) as session:
            row = session.get(ClaimFingerprint, claim_id)
            if row is not None:
                session.delete(row)
                session.commit()
