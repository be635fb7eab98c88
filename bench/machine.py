"""What machine a benchmark ran on: recorded with every result, so runs can be compared.

Dependency-free, so every benchmark (with or without the stack) can import it.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """Enough about the machine to tell whether two result files are comparable."""
    cpu = "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        # A shared machine: the load when we started says how noisy the run may be.
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
