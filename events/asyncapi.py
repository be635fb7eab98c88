"""The AsyncAPI 3.0 document of the v1 topics, generated from the same models as the schemas.

A team starting a consumer reads it to learn what is on each topic, how records are keyed
and partitioned, what delivery guarantees it gets (at least once: de-duplicate on the
CloudEvents id), how long each topic keeps records, and which fields are PHI. The drift
test keeps it equal to the code; ``tests/events/test_asyncapi.py`` runs the AsyncAPI
project's own parser over it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from claims.status import ClaimStatus
from events import topics
from events.contract import (
    AdjustmentData,
    AlertKind,
    ClaimAlert,
    ClaimAlertData,
    ClaimEvent,
    ClaimEventData,
    StatementReady,
    StatementReadyData,
    make_alert,
    make_event,
    make_statement_ready,
)
from events.phi import CLASSIFICATION, LEGEND

CONTRACT_VERSION = "1.0.0"
KAFKA_BINDING = "0.5.0"
REF = "#/components/schemas/{model}"

DELIVERY = (
    "Delivery is **at least once**: a retried publish or a consumer restart can deliver a "
    "record again, so de-duplicate on the CloudEvents `id` (`<claim id>:<seq>`). Records of "
    "one claim share a partition (key = claim id) and arrive in `data.seq` order, 1, 2, 3 "
    "... with no gaps: a gap in what you have seen means you missed records, so re-read."
)
EVOLUTION = (
    "Within v1 changes are additive only: fields are never removed or renamed, never change "
    "type, and new fields are optional. A breaking change is a new `v2` event type on new "
    "`.v2` topics. Consumers ignore fields and event types they do not know."
)


def _classified(name: str, schema: dict[str, Any], models: dict[str, type[BaseModel]]) -> None:
    """Mark every property of a model's schema with its PHI class (``x-phi``)."""
    model = models.get(name)
    if model is None:
        return
    classes = CLASSIFICATION[model]
    for field, prop in schema.get("properties", {}).items():
        prop["x-phi"] = classes[field].value


def _schemas() -> dict[str, Any]:
    """Every model's schema under components, each property with its PHI class."""
    models = {model.__name__: model for model in CLASSIFICATION}
    components: dict[str, Any] = {}
    for model in (ClaimEvent, ClaimAlert, StatementReady):
        schema = model.model_json_schema(mode="serialization", ref_template=REF)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    for name, schema in components.items():
        _classified(name, schema, models)
    return components


def _example_event() -> dict[str, Any]:
    data = ClaimEventData(
        claim_id="01M8D30NME42C8SBHNJGA7MKP7",
        seq=6,
        status=ClaimStatus.DENIED,
        previous_status=ClaimStatus.ADJUDICATED,
        payer_id="SIMPAYER1",
        total_charge=Decimal("1450.00"),
        paid_amount=Decimal("0.00"),
        outstanding_amount=Decimal("0.00"),
        diagnosis_codes=("G43909",),
        procedure_codes=("70553",),
        adjustments=(
            AdjustmentData(group="CO", carc="197", amount=Decimal("1450.00"), rarcs=("N54",)),
        ),
    )
    event = make_event(time=dt.datetime(2026, 11, 26, 23, 28, 29, tzinfo=dt.UTC), data=data)
    result: dict[str, Any] = event.model_dump(mode="json")
    return result


def _example_alert() -> dict[str, Any]:
    alert = make_alert(
        time=dt.datetime(2026, 12, 27, 9, 0, tzinfo=dt.UTC),
        data=ClaimAlertData(
            claim_id="01M8D30NME42C8SBHNJGA7MKP7",
            alert_seq=1,
            kind=AlertKind.APPEAL_DEADLINE,
            status=ClaimStatus.DENIED,
            payer_id="SIMPAYER1",
            due=dt.datetime(2027, 1, 25, tzinfo=dt.UTC),
            days_left=30,
            message="appeal deadline in 30 days",
        ),
    )
    result: dict[str, Any] = alert.model_dump(mode="json")
    return result


def _example_statement() -> dict[str, Any]:
    zero = Decimal("0.00")
    event = make_statement_ready(
        time=dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC),
        data=StatementReadyData(
            statement_id="01M8E0Q2V6Z7R1N3K5T9W4Y8C2",
            patient_key="3f1c0a9e" * 8,
            claim_ids=("01M8D30NME42C8SBHNJGA7MKP7",),
            charged=Decimal("185.00"),
            insurance_paid=Decimal("82.00"),
            deductible=zero,
            coinsurance=Decimal("20.50"),
            copay=zero,
            non_covered=zero,
            other=zero,
            patient_responsibility=Decimal("20.50"),
            patient_paid=Decimal("10.00"),
            amount_due=Decimal("10.50"),
            document_url="/statements/01M8E0Q2V6Z7R1N3K5T9W4Y8C2",
        ),
    )
    result: dict[str, Any] = event.model_dump(mode="json")
    return result


KEYS = {
    "ClaimEvent": (
        "The claim id (CloudEvents subject): one claim's records share a partition and keep "
        "their order."
    ),
    "ClaimAlert": (
        "The claim id (CloudEvents subject): one claim's records share a partition and keep "
        "their order."
    ),
    "StatementReady": (
        "The patient key (an opaque keyed digest): one patient's statements share a "
        "partition and keep their order."
    ),
}


def _message(name: str, title: str, summary: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "summary": summary,
        "contentType": "application/cloudevents+json",
        "payload": {"$ref": REF.format(model=name)},
        "headers": {
            "type": "object",
            "description": "Kafka record headers, copies of envelope attributes for routing.",
            "properties": {
                "ce_type": {"type": "string", "description": "the CloudEvents type"},
                "ce_id": {"type": "string", "description": "the CloudEvents id"},
            },
        },
        "correlationId": {
            "description": "The CloudEvents id: the de-duplication key.",
            "location": "$message.payload#/id",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": KEYS[name]},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [{"name": example["type"], "payload": example}],
    }


def _dead_letter() -> dict[str, Any]:
    return {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record no consumer could read, with where it came from.",
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": ["reason", "consumer", "topic", "partition", "offset", "failed_at"],
            "properties": {
                "reason": {"type": "string", "x-phi": "none"},
                "consumer": {
                    "type": "string",
                    "description": "The consumer that could not handle the record.",
                    "x-phi": "none",
                },
                "topic": {"type": "string", "x-phi": "none"},
                "partition": {"type": "integer", "x-phi": "none"},
                "offset": {"type": "integer", "x-phi": "none"},
                "key": {"type": ["string", "null"], "x-phi": "none"},
                "value": {
                    "type": ["string", "null"],
                    "description": "The record as text (undecodable bytes replaced).",
                    "x-phi": "health",
                },
                "value_base64": {
                    "type": ["string", "null"],
                    "description": "The record exactly, for `claimflow dlq replay`.",
                    "x-phi": "health",
                },
                "headers": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "The record's headers, values base64.",
                    "x-phi": "none",
                },
                "failed_at": {"type": "string", "format": "date-time", "x-phi": "none"},
            },
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "the original record's key"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


CHANNELS: dict[str, tuple[str, str]] = {
    # channel id: (topic, message id)
    "lifecycle": (topics.LIFECYCLE, "ClaimEvent"),
    "state": (topics.STATE, "ClaimEvent"),
    "alerts": (topics.ALERTS, "ClaimAlert"),
    "statements": (topics.STATEMENTS, "StatementReady"),
    "dlq": (topics.DLQ, "DeadLetter"),
}

OPERATIONS: dict[str, str] = {
    "lifecycle": "Follow every claim transition (history, in order per claim).",
    "state": (
        "Bootstrap current state: read from the beginning, keep the record with the highest "
        "seq per claim, then follow the lifecycle topic."
    ),
    "alerts": "Follow deadline and SLA alerts.",
    "statements": (
        "Send patient statements: each record names a statement ready to send and its "
        "amounts; fetch the document from `GET /statements/{statement_id}` (biller or "
        "supervisor credential). De-duplicate on the CloudEvents `id`."
    ),
    "dlq": "Inspect records no consumer could read.",
}


def _channel(spec: topics.TopicSpec, message: str) -> dict[str, Any]:
    config: dict[str, Any] = {"cleanup.policy": ["compact" if spec.compacted else "delete"]}
    if spec.retention_ms is not None:
        config["retention.ms"] = spec.retention_ms
    return {
        "address": spec.name,
        "title": spec.name,
        "description": spec.description,
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
        "bindings": {
            "kafka": {
                "topic": spec.name,
                "partitions": topics.DEFAULT_PARTITIONS,
                "replicas": 1,
                "topicConfiguration": config,
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def document() -> dict[str, Any]:
    specs = {spec.name: spec for spec in topics.ALL_TOPICS}
    legend = "\n".join(f"- `{phi.value}`: {text}" for phi, text in LEGEND.items())
    return {
        "asyncapi": "3.0.0",
        "id": "urn:claimflow:claim-events",
        "info": {
            "title": "claimflow claim events",
            "version": CONTRACT_VERSION,
            "description": (
                "Every claim status change as a CloudEvents 1.0 structured JSON record.\n\n"
                f"{DELIVERY}\n\n{EVOLUTION}\n\n"
                "Partitions: topics are created with "
                f"{topics.DEFAULT_PARTITIONS} partitions and replication 1 locally "
                "(settings `CLAIMFLOW_TOPIC_PARTITIONS`, `..._REPLICATION_FACTOR`, "
                "`..._MIN_INSYNC_REPLICAS`; 3/3/2 in production). Depend on the key, never "
                "on the partition count.\n\n"
                "Every payload property carries `x-phi`, its PHI class. Events never carry "
                "direct identifiers (names, birth dates, member ids, addresses, account "
                f"numbers).\n{legend}"
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker of `make run`; a deployment's brokers are settings.",
            }
        },
        "channels": {
            channel: _channel(specs[topic], message)
            for channel, (topic, message) in CHANNELS.items()
        },
        "operations": {
            f"receive-{channel}": {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": OPERATIONS[channel],
                "description": DELIVERY,
                "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
            }
            for channel, (_, message) in CHANNELS.items()
        },
        "components": {
            "messages": {
                "ClaimEvent": _message(
                    "ClaimEvent",
                    "Claim event",
                    "One claim status transition.",
                    _example_event(),
                ),
                "ClaimAlert": _message(
                    "ClaimAlert",
                    "Claim alert",
                    "An alert about one claim.",
                    _example_alert(),
                ),
                "StatementReady": _message(
                    "StatementReady",
                    "Statement ready",
                    "A patient statement was generated and can be sent (ids and amounts only).",
                    _example_statement(),
                ),
                "DeadLetter": _dead_letter(),
            },
            "schemas": _schemas(),
        },
    }
