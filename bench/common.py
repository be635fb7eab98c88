"""What the stack benchmarks share: their own stack, machine facts, statistics, result files.

The benchmarks run on a stack of their own (Temporal on 37233, Kafka on 39092, state in
``.state/bench/``) so they never collide with ``make run`` (7233/9092) or the test suite
(17233/19092) that other people may be running on the same machine. The machine is small and
shared, so every figure that matters is a ratio of two things measured side by side in one
run, repeated in interleaved rounds and summarised as median and spread.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.machine import machine  # noqa: F401  (re-exported to the stack benchmarks)
from services import stack
from services.settings import REPO_ROOT, Settings

ROOT = REPO_ROOT
RESULTS = ROOT / "bench" / "results"
STATE_DIR = ROOT / ".state" / "bench"


def bench_settings() -> Settings:
    """The benchmark stack's settings: non-default ports, no UI, state under .state/bench.

    ``CLAIMFLOW_BENCH_PORT_OFFSET`` moves every port, for two checkouts benchmarking on one
    machine (as ``CLAIMFLOW_TEST_PORT_OFFSET`` does for the test stack)."""
    off = int(os.environ.get("CLAIMFLOW_BENCH_PORT_OFFSET", "0"))
    return Settings(
        state_dir=STATE_DIR,
        temporal_port=37233 + off,
        temporal_http_port=37243 + off,
        temporal_metrics_port=37244 + off,
        temporal_ui_port=38233 + off,  # not opened: the UI is off
        temporal_ui=False,
        kafka_port=39092 + off,
        kafka_controller_port=39093 + off,
    )


@contextmanager
def running_stack(
    settings: Settings, *, keep: bool = False, fresh: bool = False
) -> Iterator[Settings]:
    """``stack.up`` for the benchmark, ``stack.down`` after it even when it fails.

    ``keep`` leaves the stack running for a quick re-run while iterating on a benchmark;
    ``services.stack.down(bench_settings())`` (or a later run without it) stops it.
    ``fresh`` first deletes the benchmark's state dir: every run keeps its workflow
    histories in Temporal's SQLite file (about 100 MB per lifecycle run), and a growing
    file is a slowly changing baseline.
    """
    if fresh:
        stack.reset(settings)
    stack.up(settings)
    try:
        yield settings
    finally:
        if not keep:
            stack.down(settings)


def proc_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (0 if there is none)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and spread of per-round figures; spread is (max - min) / median."""
    med = statistics.median(values)
    return {
        "median": round(med, 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "spread": round((max(values) - min(values)) / med, 3) if med else 0.0,
        "rounds": len(values),
    }


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 90, 99)) -> dict[str, float]:
    """Nearest-rank percentiles (no interpolation: p99 of 1800 samples is a real sample)."""
    if not values:
        return {}
    ordered = sorted(values)
    out: dict[str, float] = {}
    for p in points:
        rank = max(1, -(-p * len(ordered) // 100))  # ceil(p/100 * n)
        out[f"p{p}"] = round(ordered[rank - 1], 4)
    out["max"] = round(ordered[-1], 4)
    out["n"] = len(ordered)
    return out


def command_line(script: str) -> str:
    """The exact command that produced a result, as one would type it from the repo root."""
    return shlex.join([".venv/bin/python", f"bench/{script}", *sys.argv[1:]])


def write_result(name: str, result: dict[str, Any], out: Path | None = None) -> Path:
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"wrote {shown}")
    return path
