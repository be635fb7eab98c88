"""The payer simulator behind a file exchange (``CLAIMFLOW_PAYER_GATEWAY=file``).

It plays the clearinghouse on the other side of claimflow's exchange folder: it picks up
the 270 files claimflow leaves in ``outbound/`` and drops each one's 271 into ``inbound/``,
where claimflow's inbox takes it like every other payer file. A picked-up 270 leaves the
folder (a clearinghouse takes what it collects); a silent member's question is picked up
and never answered, as a payer that does not answer. A 270 that cannot be read is renamed
``*.unreadable`` and left for a person. Files are written aside and renamed into place, so
the inbox never reads half a 271. 837P files are left alone: the simulator answers claims
over HTTP (``/x12/837``), and the tests play the clearinghouse for them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from claims.x12.errors import X12Error
from services.crypto.secret_files import write_private
from services.payersim.eligibility import answer_270_file

log = logging.getLogger(__name__)


def answer_folder(exchange: Path, *, today: dt.date | None = None) -> int:
    """Answer every 270 waiting in ``exchange/outbound``; return how many were picked up."""
    outbound, inbound = exchange / "outbound", exchange / "inbound"
    taken = 0
    for path in sorted(outbound.glob("270-*.x12")):
        try:
            answer = answer_270_file(path.read_bytes(), today=today)
        except X12Error as exc:
            log.warning("270 file %s cannot be read (%s): set aside", path.name, exc)
            path.rename(path.with_name(f"{path.name}.unreadable"))
            continue
        if answer is not None:
            write_private(inbound / f"271-{path.stem.removeprefix('270-')}.x12", answer)
        path.unlink(missing_ok=True)
        taken += 1
    return taken


async def watch(exchange: Path, *, every: float = 0.5) -> None:
    """Answer the folder every ``every`` seconds until cancelled; no bad round stops it."""
    while True:
        try:
            await asyncio.to_thread(answer_folder, exchange)
        except Exception:  # noqa: BLE001 - e.g. the folder is unreadable for a moment
            log.exception("payer simulator: answering the exchange folder failed; again soon")
        await asyncio.sleep(every)
