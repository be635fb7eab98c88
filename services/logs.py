"""Logging without PHI.

pyx12 logs whole segments (names, member ids, birth dates) when it validates or walks a
file; its loggers are kept out of every handler claimflow's processes have (the X12
validator still collects them itself, in memory, to explain a rejection). Our own log lines
name files, ids, statuses and codes, never a claim's demographics.
"""

from __future__ import annotations

import logging

PHI_LOGGERS = ("pyx12",)


def quiet_phi_loggers() -> None:
    for name in PHI_LOGGERS:
        logger = logging.getLogger(name)
        logger.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def configure(level: int = logging.INFO) -> None:
    """A process's logging: one line per record, PHI loggers kept out."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_phi_loggers()
