"""claimflow's own processes (payer simulator, worker, consumer, API) as managed children.

They run as separate processes, exactly as in production, under the same pid-file and log
discipline as the stack's servers, so ``make down`` can stop them and a test can SIGKILL
the worker mid-lifecycle and start it again.
"""

from __future__ import annotations

import functools
import json
import os
import ssl
import sys
from collections.abc import Iterable

from pydantic import SecretStr

from services.settings import REPO_ROOT, Settings
from services.stack import process

APPS: tuple[str, ...] = ("payer-sim", "worker", "consumer", "api", "inbox", "webhook-delivery")
# Secrets a setting holds go only to the app that uses them.
SECRET_OWNERS = {"payer_api_key": "payer-sim"}
# `make run`'s own foreground process: registered, so that `make down` can stop it too.
RUN = "run"


def child_env(settings: Settings, app: str | None = None) -> dict[str, str]:
    """The child's environment: this process's settings, made explicit."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        owner = SECRET_OWNERS.get(name)
        if value is None or (owner is not None and owner != app):
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        env[f"CLAIMFLOW_{name.upper()}"] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _health_url(settings: Settings, name: str) -> str | None:
    return {
        "api": f"{settings.api_url}/health",
        "payer-sim": f"{settings.payer_url}/health",
    }.get(name)


# One TLS context for every health poll: httpx would otherwise build one per request, loading
# the CA bundle (tens of milliseconds of CPU) ten times a second while a process starts.
# (httpx is imported here, not at the top: every CLI command imports this module.)
@functools.cache
def _tls_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1.0, verify=_tls_context()).status_code == 200
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
        pid = process.start(
            settings.state_dir,
            label,
            [sys.executable, "-m", "services", name],
            env=child_env(settings.model_copy(update={"instance": label}), name),
            cwd=REPO_ROOT,
        )
    url = _health_url(settings, name)
    if url is not None:
        process.wait_ready(settings.state_dir, label, lambda: _answers(url), timeout, f"GET {url}")
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
