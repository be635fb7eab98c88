"""claimflow's own Prometheus metrics, defined once and recorded where things happen.

The producer and the activities record in the worker, the projector in the consumer, intake
in the API and the inbox; each process serves its registry on ``/metrics``
(``services.observability``). Labels are codes and statuses, never ids or PHI, so their
number stays bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Publishing to Kafka takes a few ms on a healthy cluster and seconds when a broker is
# down; the buckets span both.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

TRANSITIONS = Counter(
    "claimflow_claim_transitions",
    "Claim transitions projected into the read model (once per claim and seq), by new status.",
    ["status"],
)
EVENTS_PUBLISHED = Counter(
    "claimflow_events_published",
    "Records acknowledged by Kafka (acks=all), by topic kind.",
    ["topic"],
)
PUBLISH_SECONDS = Histogram(
    "claimflow_publish_seconds",
    "Time from send to the broker's acknowledgement of one record.",
    ["topic"],
    buckets=_LATENCY_BUCKETS,
)
EVENT_LAG_SECONDS = Histogram(
    "claimflow_event_lag_seconds",
    "Time from a claim's transition (event time) to its row in the read model.",
    buckets=_LATENCY_BUCKETS,
)
DEAD_LETTERS = Counter(
    "claimflow_dead_letters",
    "Records the projector could not read and sent to the DLQ topic.",
)
FINDINGS = Counter(
    "claimflow_findings",
    "Coding and scrubbing findings, by stage, code and severity.",
    ["stage", "code", "severity"],
)
PAYER_MESSAGES = Counter(
    "claimflow_payer_messages_posted",
    "Payer messages (835 payments, 277CA and 999 statuses) posted, by outcome "
    "(delivered to the claim, or parked as unmatched).",
    ["outcome"],
)
INBOUND_UNITS = Counter(
    "claimflow_inbound_units",
    "Payer file units taken in (an ERA, a 277CA, a 999), by kind and outcome.",
    ["kind", "outcome"],
)
