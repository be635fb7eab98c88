"""The local stack: the real Temporal, Kafka and (optionally) PostgreSQL servers we run on.

Everything a run leaves behind (databases, logs, pid files) is under ``settings.state_dir``,
so a test can run a whole stack of its own in a temporary dir on other ports, beside a
developer's ``make run``. Every function is idempotent: ``up`` on a running stack only checks
its health, ``down`` on a stopped one does nothing. That is what lets ``make run``, CI and
test fixtures all just call ``up`` without first asking what is running.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from services.settings import REPO_ROOT, Settings
from services.stack import kafka, temporal
from services.stack import postgres as pg
from services.stack.process import StackError

__all__ = ["StackError", "down", "reset", "status", "up"]


def up(settings: Settings, *, postgres: bool = False) -> None:
    """Start whatever is not running and return once every component answers real requests.

    Temporal and Kafka start in parallel: Kafka's JVM takes seconds, Temporal well under one,
    so waiting for them in turn would only add Temporal's time to Kafka's. PostgreSQL is
    opt-in because the default database is SQLite in the state dir.
    """
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stack-up") as pool:
        futures = [pool.submit(temporal.up, settings), pool.submit(kafka.up, settings)]
        errors = [exc for f in futures if (exc := f.exception()) is not None]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise StackError("\n".join(str(e) for e in errors))
    if postgres:
        pg.up(settings)


def down(settings: Settings) -> None:
    """Stop every component this state dir started; data stays for the next ``up``.

    PostgreSQL is stopped only if ``up`` started it (it may be a system service that others
    use).
    """
    errors: list[Exception] = []
    for stop in (kafka.down, temporal.down, pg.down):
        try:
            stop(settings)
        except Exception as exc:  # stop the others anyway, then report
            errors.append(exc)
    if errors:
        raise StackError("\n".join(str(e) for e in errors))


def status(settings: Settings) -> dict[str, str]:
    """Server name to "running" or "stopped" ("kafka": every node), and "database" to the
    state of the database in use (see ``overview`` for the full picture).

    Cheap: it reads pid files (and asks pg_lsclusters when PostgreSQL is the database).
    """
    from services.stack.overview import database  # imports services.apps

    return {
        temporal.NAME: "running" if temporal.is_running(settings) else "stopped",
        kafka.NAME: "running" if kafka.is_running(settings) else "stopped",
        "database": database(settings).state,
    }


def reset(settings: Settings) -> None:
    """``down``, then delete the state dir: every workflow, topic and log of this stack.

    PostgreSQL's data is not in the state dir and is kept; drop its databases explicitly.
    """
    down(settings)
    state = settings.state_dir.resolve()
    _refuse_dangerous(state)
    shutil.rmtree(state, ignore_errors=True)


def _refuse_dangerous(state: Path) -> None:
    """A mistyped CLAIMFLOW_STATE_DIR must not make ``reset`` delete the repo or a home dir."""
    if state == Path(state.anchor) or state == Path.home() or state in REPO_ROOT.parents:
        raise StackError(f"refusing to delete {state}: not a state dir")
    if state == REPO_ROOT or (state / ".git").exists():
        raise StackError(f"refusing to delete {state}: it is a repository, not a state dir")
