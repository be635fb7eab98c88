"""The inbound folder of a file exchange: payer files dropped here are taken in.

A clearinghouse (or a person) drops 999, 277CA and 835 files into ``<state>/x12/inbound``.
Each is ingested like a file POSTed to the API, then moved to ``done/`` with a ``.result``
next to it, or to ``failed/`` with the reason: a file is never read twice and never lost.
Files whose names start with a dot are still being written and are left alone.
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
                path.read_bytes(),
                source=str(path),
                settings=settings,
                engine=engine,
                client=client,
            )
            _move(path, done, json.dumps([r.model_dump() for r in results], indent=2))
        except X12Error as exc:
            # The reason is written to failed/ beside the file; the log line keeps to where
            # (a segment's content could be PHI).
            log.warning("inbound file %s refused at segment %s", path.name, exc.segment_id)
            _move(path, failed, str(exc))
        taken += 1
    return taken


def _move(path: Path, folder: Path, note: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{path.name}.result").write_text(note + "\n")
    path.replace(folder / path.name)


async def watch(settings: Settings, engine: Engine, client: Client, *, every: float = 2.0) -> None:
    (settings.x12_dir / "inbound").mkdir(parents=True, exist_ok=True)
    while True:
        await take_folder(settings, engine, client)
        await asyncio.sleep(every)
