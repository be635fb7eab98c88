"""Taking in a payer's X12 file: keep it, read it, then post each unit of it, all or none.

1. The file's bytes are stored (``services.payer_files``) and the file recorded as
   received, before anything is read: nothing a payer sends is lost, even what cannot be
   read.
2. It is read liberally. One that cannot be read at all is recorded as refused with the
   segment and offset that stopped it (``Refused``). Deviations a liberal read tolerated
   are recorded with the file.
3. Each unit (an ERA, a 277CA or 999 transaction set):
   - one that does not balance (or holds a payment claimflow cannot take) is quarantined
     with its report; its identity is not taken, so a corrected resend is;
   - one whose identity (an ERA's payer id and trace number) was taken before is a
     duplicate, and nothing of it is posted again;
   - anything else is taken (the identity and the unit in one transaction) and handed to
     a PostingWorkflow by reference; the workflow reads it in pages.
4. The file is recorded as taken once every unit is handled (posted, quarantined or a
   duplicate).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from claims.x12.errors import X12Error, X12Finding
from claims.x12.inbound import InboundUnit, read_inbound
from events.contract import Actor
from events.metrics import INBOUND_UNITS
from services import inbound_store, payer_files, payments, x12_store
from services.crypto.keyring import KeyRing
from services.inbound_store import InboundUnitRecord, TakenKey, UnitPlan
from services.settings import Settings
from workflows.posting import PostingWorkflow, posting_workflow_id
from workflows.posting_messages import PostingInput

Outcome = Literal["posting", "quarantined", "duplicate"]


class UnitResult(BaseModel):
    # The unit's id: the stored file's id and the unit's place in it.
    file_id: str
    payer_file_id: str
    kind: str
    outcome: Outcome
    messages: int
    problems: list[str] = []
    # Deviations from the guide the liberal read tolerated (the file's, on every unit).
    findings: list[str] = []


class Refused(Exception):
    """The file could not be read at all; it is stored and recorded as refused."""

    def __init__(self, file_id: str, error: X12Error) -> None:
        super().__init__(str(error))
        self.file_id = file_id
        self.error = error


async def ingest(
    data: bytes,
    *,
    source: str,
    settings: Settings,
    engine: Engine,
    client: Client,
    actor: Actor | None = None,
) -> list[UnitResult]:
    """Raises ``Refused`` for a file that cannot be read (after storing and recording it).

    ``actor``: who uploaded the file (recorded in the posting workflow's input).
    """
    ring = KeyRing.for_settings(settings)
    stored = await asyncio.to_thread(payer_files.store, engine, ring, data)
    inbound_store.record_received(engine, stored.file_id, source=source, size=stored.size)
    findings: list[X12Finding] = []

    def read() -> list[InboundUnit]:
        sent = lambda group: x12_store.sent_transactions(engine, group)  # noqa: E731
        return read_inbound(
            data, sent=sent, findings=findings, page_size=settings.posting_page_size
        )

    try:
        units = await asyncio.to_thread(read)
    except X12Error as exc:
        inbound_store.record_refused(engine, stored.file_id, str(exc))
        raise Refused(stored.file_id, exc) from exc
    notes = [str(f) for f in findings]
    inbound_store.record_read(
        engine, stored.file_id, kind=units[0].kind, units=len(units), findings="\n".join(notes)
    )
    results = []
    for unit in units:
        result = await _take(unit, stored.file_id, settings, engine, client, actor)
        INBOUND_UNITS.labels(result.kind, result.outcome).inc()
        results.append(result.model_copy(update={"findings": notes}))
    inbound_store.complete_file_if_done(engine, stored.file_id)
    return results


async def _take(
    unit: InboundUnit,
    file_id: str,
    settings: Settings,
    engine: Engine,
    client: Client,
    actor: Actor | None,
) -> UnitResult:
    unit_id = inbound_store.unit_id(file_id, unit.n)
    problems = unit.problems + [
        f"no record of our {u} (sent by another system?)" for u in unit.unknown
    ]
    record = InboundUnitRecord(
        unit_id=unit_id, file_id=file_id, n=unit.n, kind=unit.kind, key=unit.key[:200],
        status="posting", messages=unit.message_count, report="\n".join(problems),
        plan=UnitPlan.of(unit).model_dump_json(),
    )  # fmt: skip
    result = UnitResult(
        file_id=unit_id, payer_file_id=file_id, kind=unit.kind, outcome="posting",
        messages=unit.message_count, problems=problems,
    )  # fmt: skip
    if unit.problems:
        record.status = "quarantined"
        inbound_store.add_unit(engine, record)
        return result.model_copy(update={"outcome": "quarantined"})
    previous = _claim(engine, record)
    if previous is not None:
        earlier = inbound_store.get_unit(engine, previous.unit_id)
        if earlier is not None and earlier.status == "posting":
            # Heals a crash between taking a unit and starting its posting: the start is
            # idempotent (the workflow id is the unit's), so it cannot post twice.
            await start_posting(earlier, settings, client)
        when = previous.taken_at.isoformat()
        record.status = "duplicate"
        record.report = f"{unit.key} was already taken on {when} ({previous.unit_id})"
        inbound_store.add_unit(engine, record)
        return result.model_copy(update={"outcome": "duplicate", "problems": [record.report]})
    if unit.payment is not None:
        payments.open_payment(engine, unit_id, unit.payment)
    await start_posting(record, settings, client, actor)
    return result


def _claim(engine: Engine, record: InboundUnitRecord) -> TakenKey | None:
    """Take the unit's identity and record it as posting, in one transaction; if the
    identity was taken before, return who took it (and record nothing)."""
    with Session(engine) as session:
        session.add(TakenKey(key=record.key, unit_id=record.unit_id))
        session.add(InboundUnitRecord.model_validate(record.model_dump()))
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
    with Session(engine) as session:
        found = session.get(TakenKey, record.key)
    if found is None:
        raise RuntimeError(f"could not record unit {record.unit_id}; retry the file")
    return found


async def start_posting(
    record: InboundUnitRecord, settings: Settings, client: Client, actor: Actor | None = None
) -> None:
    plan = UnitPlan.model_validate(json.loads(record.plan))
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            PostingWorkflow.run,
            PostingInput(file_id=record.unit_id, pages=len(plan.pages), actor=actor),
            id=posting_workflow_id(record.unit_id),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )


async def resume(settings: Settings, engine: Engine, client: Client) -> int:
    """Start the posting of every unit taken but not posted (after a crash between the
    two); idempotent. Returns how many were (re)started."""
    units = inbound_store.unfinished_units(engine)
    for record in units:
        await start_posting(record, settings, client)
    return len(units)
