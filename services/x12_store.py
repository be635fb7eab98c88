"""What claimflow must remember about the X12 it sends.

Control numbers: ISA13 and GS06 must be unique per sender, across restarts, so they are a
persisted counter, not a clock or a random number. Sent transactions: a 999 names only our
GS06 and ST02s, so which claims went in which transaction set is kept to map it back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, text
from sqlmodel import Field, Session, SQLModel, select


class ControlNumber(SQLModel, table=True):
    __tablename__ = "x12_control_numbers"

    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class SentTransaction(SQLModel, table=True):
    __tablename__ = "x12_sent_transactions"

    group_control_number: str = Field(primary_key=True, max_length=9)
    transaction_control_number: str = Field(primary_key=True, max_length=9)
    claim_id: str = Field(primary_key=True, max_length=40)


INTERCHANGE = "interchange"
GROUP = "group"


def next_number(engine: Engine, name: str) -> int:
    """The next value of counter ``name``, 1 .. 999999999, then round again.

    One atomic UPDATE ... RETURNING, so concurrent submissions (the worker's threads, or
    several workers) can never draw the same number: a read-then-write would.
    """
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO x12_control_numbers (name, value) VALUES (:name, 0) "
                "ON CONFLICT (name) DO NOTHING"
            ),
            {"name": name},
        )
        value = conn.execute(
            text(
                "UPDATE x12_control_numbers SET value = value % 999999999 + 1 "
                "WHERE name = :name RETURNING value"
            ),
            {"name": name},
        ).scalar_one()
    return int(value)


def record_sent(engine: Engine, group: int, transactions: Mapping[str, Sequence[str]]) -> None:
    with Session(engine) as session:
        for st02, claim_ids in transactions.items():
            for claim_id in claim_ids:
                key = (str(group), st02, claim_id)
                if session.get(SentTransaction, key) is None:
                    session.add(
                        SentTransaction(
                            group_control_number=str(group),
                            transaction_control_number=st02,
                            claim_id=claim_id,
                        )
                    )
        session.commit()


def sent_transactions(engine: Engine, group: str) -> dict[str, list[str]]:
    """``claims.x12.inbound.SentTransactions`` for a 999: ST02 -> claim ids of group GS06."""
    # GS06 may come back zero-padded or not; it is a number.
    with Session(engine) as session:
        rows = session.exec(
            select(SentTransaction).where(
                SentTransaction.group_control_number
                == str(int(group) if group.isdigit() else group)
            )
        ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.transaction_control_number, []).append(row.claim_id)
    return found
