"""Taking in a payer's X12 file: read it, check it, then post it, all of a unit or none.

For each unit of the file (an ERA, a 277CA, a 999):
- one that was taken before (same ERA trace number, same file) is refused as a duplicate;
- an ERA that does not balance is quarantined: the file is kept with its report under the
  state dir and nothing of it is posted;
- anything else is handed to a PostingWorkflow, which delivers every message to its claim
  or to the unmatched queue.
A file that cannot be read at all is refused with the segment and offset that stopped it.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from claims.x12.inbound import InboundUnit, read_inbound
from events.contract import Actor
from events.metrics import INBOUND_UNITS
from services import inbound_store, x12_store
from services.crypto.files import write_encrypted
from services.crypto.keyring import KeyRing
from services.crypto.secret_files import write_private
from services.settings import Settings
from workflows.posting import PostingInput, PostingWorkflow, posting_workflow_id

Outcome = Literal["posting", "quarantined", "duplicate"]


class UnitResult(BaseModel):
    file_id: str
    kind: str
    outcome: Outcome
    messages: int
    problems: list[str] = []


@dataclass(frozen=True)
class _Intake:
    settings: Settings
    engine: Engine
    client: Client
    actor: Actor | None


async def ingest(
    data: bytes,
    *,
    source: str,
    settings: Settings,
    engine: Engine,
    client: Client,
    actor: Actor | None = None,
) -> list[UnitResult]:
    """Raises ``claims.x12.errors.X12Error`` for a file that cannot be read.

    ``actor``: who uploaded the file (recorded in the posting workflow's input).
    """
    units = read_inbound(data, sent=lambda group: x12_store.sent_transactions(engine, group))
    intake = _Intake(settings, engine, client, actor)
    results = [await _take(unit, data, source, intake) for unit in units]
    for result in results:
        INBOUND_UNITS.labels(result.kind, result.outcome).inc()
    return results


async def _take(unit: InboundUnit, data: bytes, source: str, intake: _Intake) -> UnitResult:
    problems = unit.problems + [
        f"no record of our {u} (sent by another system?)" for u in unit.unknown
    ]
    outcome: Outcome = "quarantined" if unit.problems else "posting"
    record = inbound_store.InboundFile(
        file_id=unit.file_id,
        kind=unit.kind,
        status=outcome,
        source=source[:300],
        messages=len(unit.messages),
        report="\n".join(problems),
    )
    if not inbound_store.record_file(intake.engine, record):
        previous = inbound_store.get_file(intake.engine, unit.file_id)
        when = previous.received_at.isoformat() if previous else "before"
        if previous is not None and previous.status == "posting":
            # Heals a crash between recording the unit and starting its posting: the start
            # is idempotent (the id is never reused), so it cannot post twice.
            await _post(unit, intake)
        return UnitResult(
            file_id=unit.file_id,
            kind=unit.kind,
            outcome="duplicate",
            messages=len(unit.messages),
            problems=[f"{unit.file_id} was already taken on {when}; nothing posted again"],
        )
    if outcome == "quarantined":
        # The file is PHI: encrypted (claimflow x12 show decrypts it); the report is not.
        quarantine_dir = intake.settings.state_dir / "quarantine"
        ring = KeyRing.for_settings(intake.settings)
        write_encrypted(ring, quarantine_dir / f"{unit.file_id}.x12", data)
        write_private(quarantine_dir / f"{unit.file_id}.report.txt", "\n".join(problems) + "\n")
    else:
        await _post(unit, intake)
    return UnitResult(
        file_id=unit.file_id,
        kind=unit.kind,
        outcome=outcome,
        messages=len(unit.messages),
        problems=problems,
    )


async def _post(unit: InboundUnit, intake: _Intake) -> None:
    with suppress(WorkflowAlreadyStartedError):
        await intake.client.start_workflow(
            PostingWorkflow.run,
            PostingInput(file_id=unit.file_id, messages=unit.messages, actor=intake.actor),
            id=posting_workflow_id(unit.file_id),
            task_queue=intake.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
