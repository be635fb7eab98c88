"""``activities.delivery.PageSource`` on the stored payer files and the inbound tables.

A page of an 835 is read from the stored file by byte range (its first 4 KiB for the
delimiters, then the page's claim payments): posting an ERA of any size reads each byte
about once. A 277CA or 999 unit is read from its whole file, kept for the next pages in a
small per-process cache (they are small next to ERAs).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Engine

from activities.delivery import PageOfMessages
from claims.payer_messages import PayerMessage
from claims.x12.inbound import SentTransactions, era_page_messages, page_messages
from services import inbound_store, payer_files, payments
from services.crypto.keyring import KeyRing


class SqlPageSource:
    def __init__(self, engine: Engine, ring: KeyRing, sent: SentTransactions) -> None:
        self._engine = engine
        self._ring = ring
        self._sent = sent
        self._whole = functools.lru_cache(maxsize=2)(self._read_whole)

    def _read_whole(self, file_id: str) -> bytes:
        return payer_files.read(self._engine, self._ring, file_id)

    def read_page(self, unit_id: str, page: int) -> PageOfMessages:
        record = inbound_store.get_unit(self._engine, unit_id)
        if record is None:
            raise LookupError(f"no inbound unit {unit_id}")
        plan = inbound_store.plan_of(record)
        where = plan.page(page)
        messages: list[PayerMessage]
        if plan.kind == "835":
            assert plan.payment is not None
            head = payer_files.read_range(self._engine, self._ring, record.file_id, 0, 4096)
            body = payer_files.read_range(
                self._engine, self._ring, record.file_id, where.start, where.end
            )
            messages = era_page_messages(
                head, body, key=plan.key, page=where, paid_with=plan.payment
            )
        else:
            data = self._whole(record.file_id)
            messages = page_messages(data, kind=plan.kind, unit=plan.n, page=where,
                                     sent=self._sent)  # fmt: skip
        return PageOfMessages(source=unit_id, messages=messages)

    def delivered(self, unit_id: str, page: int, messages: Sequence[PayerMessage]) -> None:
        payments.book_claim_payments(self._engine, messages)

    def finish(self, unit_id: str, *, delivered: int, unmatched: int) -> None:
        file_id = inbound_store.finish_unit(
            self._engine, unit_id, delivered=delivered, unmatched=unmatched
        )
        inbound_store.complete_file_if_done(self._engine, file_id)
