"""The Temporal SDK runtime of a process: its own Prometheus metrics and its log output.

The SDK (its Rust core) serves its metrics (workflow and activity task latencies, poll
counts, schedule-to-start, sticky cache) on ``temporal_sdk_metrics_port`` when set, and
forwards its log lines into Python logging so they come out as the process's JSON lines,
not in the core's own format.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from services.observability.tracing import tracing_interceptors
from services.settings import Settings

if TYPE_CHECKING:  # imported when a runtime is made: processes without Temporal skip it
    from temporalio.runtime import Runtime


@functools.cache
def temporal_runtime(metrics_host: str, metrics_port: int | None) -> Runtime:
    """One runtime per process (and metrics address): each runtime starts its own threads."""
    from temporalio.runtime import (
        LogForwardingConfig,
        LoggingConfig,
        PrometheusConfig,
        Runtime,
        TelemetryConfig,
        TelemetryFilter,
    )

    metrics = None
    if metrics_port is not None:
        metrics = PrometheusConfig(
            bind_address=f"{metrics_host}:{metrics_port}",
            counters_total_suffix=True,
            durations_as_seconds=True,
        )
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            ),
            metrics=metrics,
        )
    )


def telemetry_options(settings: Settings) -> dict[str, Any]:
    """``Client.connect`` keyword arguments: the runtime and, if tracing, its interceptor."""
    return {
        "runtime": temporal_runtime(settings.metrics_host, settings.temporal_sdk_metrics_port),
        "interceptors": tracing_interceptors(settings),
    }
