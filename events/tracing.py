"""Trace context across Kafka: W3C ``traceparent`` in record headers.

The publish activity runs inside the workflow's trace (the Temporal SDK's interceptor carries
it through workflow and activity headers); writing the context into each record's headers
lets the projector continue the same trace, so one claim's path from the API request to its
read-model row is one trace. With no tracer provider configured these are no-ops: nothing
is injected and spans are not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

tracer = trace.get_tracer("claimflow.events")


def inject_headers() -> list[tuple[str, bytes]]:
    """The current trace context as Kafka record headers (empty outside a trace)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(key, value.encode()) for key, value in carrier.items()]


def extract_context(headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None) -> Context:
    """The trace context a producer wrote into a record's headers."""
    pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
    carrier = {
        key: value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for key, value in pairs
    }
    return propagate.extract(carrier)
