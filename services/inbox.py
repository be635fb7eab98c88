"""The inbound folder of a file exchange: payer files dropped here are taken in.

A clearinghouse (or a person) drops 999, 277CA and 835 files into ``<state>/x12/inbound``.
Each is ingested like a file POSTed to the API: its bytes are stored in the database
(``services.payer_files``) and the dropped copy is removed, then a note of what became of
it is left in ``done/`` (or ``failed/`` with the reason, when it could not be read) under
a name made safe from whatever the sender chose. A file is never read twice and never lost.

No one bad file stops the inbox: a file that cannot be read is refused and recorded; one
that fails for any other reason (the database or Temporal is down) is left where it is and
tried again next round. Files whose names start with a dot are still being written and are
left alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client

from services.inbound import Refused, ingest, resume
from services.inbound_store import safe_name
from services.settings import Settings

log = logging.getLogger(__name__)


async def take_folder(settings: Settings, engine: Engine, client: Client) -> int:
    """Ingest every file waiting in the inbound folder; return how many were taken."""
    inbound = settings.x12_dir / "inbound"
    done, failed = inbound / "done", inbound / "failed"
    taken = 0
    for path in sorted(p for p in inbound.glob("*") if p.is_file()):
        if path.name.startswith("."):
            continue
        try:
            results = await ingest(
                path.read_bytes(), source=path.name, settings=settings, engine=engine,
                client=client,
            )  # fmt: skip
            _leave_note(path, done, json.dumps([r.model_dump() for r in results], indent=2))
        except Refused as exc:
            log.warning("inbound file %s refused (stored as %s): %s", path.name, exc.file_id, exc)
            _leave_note(path, failed, f"stored as {exc.file_id}; refused: {exc}")
        except Exception:  # noqa: BLE001 - one file must not stop the inbox; retried next round
            log.exception("inbound file %s could not be taken now; it stays for the next round",
                          path.name)  # fmt: skip
            continue
        taken += 1
    return taken


def _leave_note(path: Path, folder: Path, note: str) -> None:
    """The file's bytes are in the store now: the dropped copy (PHI at rest) goes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{safe_name(path.name)}.result").write_text(note + "\n")
    path.unlink(missing_ok=True)


async def watch(settings: Settings, engine: Engine, client: Client, *, every: float = 2.0) -> None:
    (settings.x12_dir / "inbound").mkdir(parents=True, exist_ok=True)
    await resume(settings, engine, client)
    while True:
        try:
            await take_folder(settings, engine, client)
        except Exception:  # noqa: BLE001 - e.g. the folder itself is unreadable for a moment
            log.exception("inbox round failed; trying again")
        await asyncio.sleep(every)
