"""claimflow's own processes (payer simulator, worker, consumer, API) as managed children.

They run as separate processes, exactly as in production, under the same pid-file and log
discipline as the stack's servers, so ``make down`` can stop them and a test can SIGKILL
the worker mid-lifecycle and start it again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

import httpx

from services.settings import REPO_ROOT, Settings
from services.stack import process

APPS: tuple[str, ...] = ("payer-sim", "worker", "consumer", "api", "inbox")
# `make run`'s own foreground process: registered, so that `make down` can stop it too.
RUN = "run"


def child_env(settings: Settings) -> dict[str, str]:
    """The child's environment: this process's settings, made explicit."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"CLAIMFLOW_{name.upper()}"] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _health_url(settings: Settings, name: str) -> str | None:
    return {
        "api": f"{settings.api_url}/health",
        "payer-sim": f"{settings.payer_url}/health",
    }.get(name)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def start(
    settings: Settings, name: str, *, timeout: float = 60.0, instance: str | None = None
) -> int:
    """Start one app unless it runs already; wait for its health endpoint if it has one.

    ``instance`` runs another process of the same kind under its own name (a second worker
    or projector, e.g. ``worker-2``): its own pid file and log, the same settings otherwise.
    """
    label = instance or name
    pid = process.read_pid(settings.state_dir, label)
    if pid is None:
        env = child_env(settings.model_copy(update={"instance": label}))
        pid = process.start(
            settings.state_dir,
            label,
            [sys.executable, "-m", "services", name],
            env=env,
            cwd=REPO_ROOT,
        )
    url = _health_url(settings, name)
    if url is not None:
        process.wait_ready(settings.state_dir, label, lambda: _answers(url), timeout, f"GET {url}")
    return pid


def start_all(settings: Settings, names: Iterable[str] = APPS) -> None:
    for name in names:
        start(settings, name)


def stop_all(settings: Settings, names: Iterable[str] = APPS) -> None:
    for name in reversed(tuple(names)):
        process.stop(settings.state_dir, name)
