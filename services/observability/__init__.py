"""Metrics, traces and logs for every claimflow process, switched on by settings.

A process calls ``start_process_observability`` first thing (logging, tracing, and the
``/metrics`` listener of processes without an HTTP app); the HTTP apps call
``install_observability`` on their FastAPI app (``/metrics``, request spans, the claim id of
the request in its log lines). ``telemetry_options`` is what ``services.temporal.connect``
adds for the Temporal SDK (its runtime's metrics and the tracing interceptor).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from claims.model import ULID_PATTERN
from services.observability.logs import configure_logging, current_claim_id
from services.observability.metrics import ReadModelCollector, registry_with, serve_metrics
from services.observability.runtime import telemetry_options
from services.observability.tracing import configure_tracing, flush_on_sigterm, tracing_enabled
from services.settings import Settings

if TYPE_CHECKING:  # the worker, consumer and inbox need no web framework at start
    from fastapi import FastAPI

__all__ = ["install_observability", "start_process_observability", "telemetry_options"]

log = logging.getLogger(__name__)

_CLAIM_PATH = re.compile(rf"^/claims/({ULID_PATTERN.strip('^$')})(?:/|$)")


def start_process_observability(
    settings: Settings, process: str, *, handles_sigterm: bool = False
) -> logging.Handler:
    """Logging, tracing and (if ``metrics_port`` is set) the metrics listener.

    ``handles_sigterm``: the process's framework (uvicorn, faust) already shuts down cleanly
    on SIGTERM; otherwise, when tracing, SIGTERM is turned into a clean exit so the last
    spans are exported.
    """
    handler = configure_logging(settings, process)
    if configure_tracing(settings, process) is not None and not handles_sigterm:
        flush_on_sigterm()
    if settings.metrics_port is not None:
        serve_metrics(settings.metrics_host, settings.metrics_port)
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, settings.metrics_port)
    return handler


class _ClaimLogContext:
    """Puts the claim id of a ``/claims/{id}...`` request where the log formatter finds it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        match = _CLAIM_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        token = current_claim_id.set(match.group(1) if match else None)
        try:
            await self.app(scope, receive, send)
        finally:
            current_claim_id.reset(token)


def install_observability(
    app: FastAPI, settings: Settings, *, process: str = "api", read_model: bool = True
) -> None:
    """``GET /metrics`` (with the read model's queue depths if ``read_model``), request
    spans when tracing is on, and claim ids in the request's log lines."""
    from fastapi import Response

    collectors: list[Collector] = []
    if read_model:
        from services.db import make_engine

        collectors.append(ReadModelCollector(make_engine(settings.resolved_database_url)))
    registry = registry_with(*collectors)

    # A plain def: FastAPI runs it on its thread pool, so the read-model queries of a
    # scrape never block the event loop.
    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(_ClaimLogContext)
    if tracing_enabled(settings):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="/health,/metrics")
