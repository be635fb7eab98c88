"""OpenTelemetry traces, exported over OTLP/HTTP when an endpoint is configured.

Off by default: with no ``CLAIMFLOW_OTEL_EXPORTER_OTLP_ENDPOINT`` no tracer provider is set,
the OpenTelemetry API stays a no-op, the Temporal client gets no tracing interceptor and the
API is not instrumented, so tracing costs nothing until it is wanted.
"""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from services.settings import Settings

if TYPE_CHECKING:  # the SDK and exporter are imported only when tracing is on
    from opentelemetry.sdk.trace import TracerProvider

# Spans leave at most this often; short, because a claim's trace is followed within seconds.
EXPORT_DELAY_MS = 1000


def tracing_enabled(settings: Settings) -> bool:
    return bool(settings.otel_exporter_otlp_endpoint)


def service_name(settings: Settings, process: str) -> str:
    return f"{settings.otel_service_name}-{process}"


def configure_tracing(settings: Settings, process: str) -> TracerProvider | None:
    """Install this process's tracer provider; None (and nothing installed) when off."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name(settings, process)})
    )
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=EXPORT_DELAY_MS))
    trace.set_tracer_provider(provider)
    return provider


def flush_on_sigterm() -> None:
    """Exit through Python's shutdown on SIGTERM, so spans still batched are exported.

    The default SIGTERM action ends the process at once; ``sys.exit`` unwinds (the Temporal
    worker shuts down in its ``async with``) and runs the tracer provider's exit hook.
    """

    def _exit(*_: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, _exit)


def tracing_interceptors(settings: Settings) -> list[Any]:
    """The Temporal SDK's OpenTelemetry interceptor for the client (and so the worker)."""
    if not tracing_enabled(settings):
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]
