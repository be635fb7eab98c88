"""The process table `make run` starts from: every app has its local ports."""

from __future__ import annotations

from pathlib import Path

from services import apps
from services.settings import Settings


def test_every_app_has_local_metrics_ports_and_they_do_not_clash(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    ports = []
    for name in apps.APPS:
        local = apps.local_metrics(settings, name)  # KeyError once stopped `make run`
        ports += [p for p in (local.metrics_port, local.temporal_sdk_metrics_port) if p]
    assert len(ports) == len(set(ports))
