"""The inbound folder of a file exchange: payer files dropped here are taken in.

A clearinghouse (or a person) drops 999, 277CA and 835 files into
``<x12_exchange_dir>/inbound``. Each is ingested like a file POSTed to the API; then an
encrypted copy is kept under ``<state>/x12/received`` and the plain file leaves the
exchange folder, with a ``.result`` note (no PHI: ids, outcomes, where the copy is) in
``done/``, or in ``failed/`` with the reason: a file is never read twice and never lost.
Files whose names start with a dot are still being written and are left alone. Without an
exchange folder (the default) the inbox has nothing to watch and says so once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import Client

from claims.x12.errors import X12Error
from services.inbound import ingest
from services.settings import Settings
from services.x12_files import NoExchangeFolder, exchange_dir, keep_copy

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
                path.read_bytes(),
                source=str(path),
                settings=settings,
                engine=engine,
                client=client,
            )
            _take_away(settings, path, done, json.dumps([r.model_dump() for r in results]))
        except X12Error as exc:
            # The reason goes to failed/; the log line keeps to where (a segment's content
            # could be PHI).
            log.warning("inbound file %s refused at segment %s", path.name, exc.segment_id)
            _take_away(settings, path, failed, str(exc))
        taken += 1
    return taken


def _take_away(settings: Settings, path: Path, folder: Path, note: str) -> None:
    """Keep the file encrypted in the state dir, leave a note, remove the plain file."""
    copy = keep_copy(settings, "received", f"{path.name}.x12", path.read_bytes())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{path.name}.result").write_text(f"{note}\nkept (encrypted) as {copy}\n")
    path.unlink()


async def watch(settings: Settings, engine: Engine, client: Client, *, every: float = 2.0) -> None:
    try:
        inbound = exchange_dir(settings) / "inbound"
    except NoExchangeFolder as exc:
        log.info("no inbound folder to watch: %s", exc)
        await asyncio.Event().wait()  # stay up (make run starts every app), doing nothing
        return
    inbound.mkdir(parents=True, exist_ok=True)
    while True:
        await take_folder(settings, engine, client)
        await asyncio.sleep(every)
