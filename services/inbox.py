"""The inbound folder of a file exchange: payer files dropped here are taken in.

A clearinghouse (or a person) drops 999, 277CA and 835 files into
``<x12_exchange_dir>/inbound`` (outside the state dir: the clearinghouse connection owns
it). Each is ingested like a file POSTed to the API: its bytes are stored, encrypted, in
the database (``services.payer_files``) and the plain dropped copy is removed, then a note
of what became of it (no PHI: ids and outcomes) is left in ``done/`` (or ``failed/`` with
the reason, when it could not be read) under a name made safe from whatever the sender
chose. A file is never read twice and never lost. Without an exchange folder (the
default) the inbox has nothing to watch and says so once.

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
from services.x12_files import NoExchangeFolder, exchange_dir

log = logging.getLogger(__name__)


async def take_folder(settings: Settings, engine: Engine, client: Client) -> int:
    """Ingest every file waiting in the inbound folder; return how many were taken."""
    inbound = exchange_dir(settings) / "inbound"
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
            # The reason goes to failed/; the log line keeps to where (a segment's content
            # could be PHI).
            where = exc.error.segment_id
            log.warning("inbound file %s refused at segment %s (stored as %s)",
                        path.name, where, exc.file_id)  # fmt: skip
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
    await resume(settings, engine, client)
    try:
        inbound = exchange_dir(settings) / "inbound"
    except NoExchangeFolder as exc:
        log.info("no inbound folder to watch: %s", exc)
        await asyncio.Event().wait()  # stay up (make run starts every app), doing nothing
        return
    inbound.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            await take_folder(settings, engine, client)
        except Exception:  # noqa: BLE001 - e.g. the folder itself is unreadable for a moment
            log.exception("inbox round failed; trying again")
        await asyncio.sleep(every)
