"""Serving Prometheus metrics: ``/metrics`` on a small listener, and queue depths.

The worker, the consumer and the inbox have no HTTP app of their own, so they get a tiny
threaded WSGI listener (``metrics_port``) that answers ``/metrics`` and ``/health`` (the
probes of the Helm chart use it). Queue depths are read from the read model when scraped,
so they are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from services.inbound_store import UnmatchedPayerMessage
from services.readmodel import ClaimRecord

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


class ReadModelCollector(Collector):
    """Claims per status and unmatched payer messages, counted at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        claims = GaugeMetricFamily(
            "claimflow_claims", "Claims in the read model, by current status.", labels=["status"]
        )
        unmatched = GaugeMetricFamily(
            "claimflow_unmatched_payer_messages",
            "Payer messages that matched no open claim and wait for a person.",
        )
        try:
            with Session(self._engine) as session:
                rows = session.exec(
                    select(ClaimRecord.status, func.count()).group_by(ClaimRecord.status)
                ).all()
                waiting = session.exec(select(func.count()).select_from(UnmatchedPayerMessage))
                unmatched.add_metric([], float(waiting.one()))
        except Exception as exc:  # a scrape must not fail because the database blinked
            log.warning("read-model metrics unavailable: %s", exc)
            return
        for status, count in rows:
            claims.add_metric([status], float(count))
        yield claims
        yield unmatched


class _Merged(Collector):
    """The process-wide registry plus collectors of one app (e.g. the read model's)."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()
        for collector in self._collectors:
            yield from collector.collect()


def registry_with(*collectors: Collector) -> CollectorRegistry:
    """A registry serving the process's metrics and ``collectors`` (not registered globally,
    so that several apps in one process, as in the tests, each keep their own)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(*collectors))
    return registry


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        """Scrapes every few seconds would fill the log; stay silent."""


def metrics_wsgi_app(registry: CollectorRegistry = REGISTRY) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            result: Iterable[bytes] = metrics(environ, start_response)
            return result
        if path == "/health":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /metrics or /health\n"]

    return app


def serve_metrics(host: str, port: int) -> _ThreadingServer:
    """Serve ``/metrics`` and ``/health`` on a daemon thread; return the server."""
    server = make_server(
        host,
        port,
        metrics_wsgi_app(),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    return server
