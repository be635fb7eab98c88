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

from services.settings import REPO_ROOT, Settings, secret_value
from services.stack import process

APPS: tuple[str, ...] = ("payer-sim", "worker", "consumer", "api", "inbox", "webhook-delivery")


def child_env(settings: Settings) -> dict[str, str]:
    """The child's environment: this process's settings, made explicit."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"CLAIMFLOW_{name.upper()}"] = str(secret_value(value))
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


def start(settings: Settings, name: str, *, timeout: float = 60.0) -> int:
    """Start one app unless it runs already; wait for its health endpoint if it has one."""
    pid = process.read_pid(settings.state_dir, name)
    if pid is None:
        pid = process.start(
            settings.state_dir,
            name,
            [sys.executable, "-m", "services", name],
            env=child_env(settings),
            cwd=REPO_ROOT,
        )
    url = _health_url(settings, name)
    if url is not None:
        process.wait_ready(settings.state_dir, name, lambda: _answers(url), timeout, f"GET {url}")
    return pid


# make run's metrics endpoints, (own /metrics, Temporal SDK's): the processes share one
# machine, so each needs its own ports. In a cluster every pod uses the chart's two ports.
LOCAL_METRICS: dict[str, tuple[int | None, int | None]] = {
    "payer-sim": (None, 9476),  # its own /metrics is on its HTTP port
    "worker": (9464, 9474),
    "consumer": (9465, None),  # no Temporal client
    "api": (None, 9475),  # its own /metrics is on its HTTP port
    "inbox": (9466, 9477),
    "webhook-delivery": (9467, None),  # a Kafka consumer; no Temporal client
}


def local_metrics(settings: Settings, name: str) -> Settings:
    """``settings`` with this process's local metrics ports, unless some were chosen."""
    if settings.metrics_port is not None or settings.temporal_sdk_metrics_port is not None:
        return settings
    own, sdk = LOCAL_METRICS[name]
    return settings.model_copy(update={"metrics_port": own, "temporal_sdk_metrics_port": sdk})


def start_all(settings: Settings, names: Iterable[str] = APPS) -> None:
    for name in names:
        start(local_metrics(settings, name), name)


def stop_all(settings: Settings, names: Iterable[str] = APPS) -> None:
    for name in reversed(tuple(names)):
        process.stop(settings.state_dir, name)
