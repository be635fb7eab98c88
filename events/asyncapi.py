"""The AsyncAPI 2.6 document of the v1 topics, generated from the same models as the schemas.

Consumers read it to learn what is on each topic, how records are keyed and what they must
do (de-duplicate on subject + seq); the drift test keeps it equal to the code.
"""

from __future__ import annotations

from typing import Any

from events import topics
from events.contract import ClaimAlert, ClaimEvent
from events.dead_letters import DeadLetter

KEY = {"type": "string", "description": "the claim id (CloudEvents subject)"}
DEDUPE = (
    "Delivery is at-least-once: de-duplicate on (subject, data.seq). Records of one claim "
    "share a partition (key = claim id) and arrive in seq order."
)


REF = "#/components/schemas/{model}"


def _message(
    name: str,
    model: type[ClaimEvent] | type[ClaimAlert],
    summary: str,
    components: dict[str, Any],
) -> dict[str, Any]:
    """The message, with the model's nested schemas moved to the shared components."""
    payload = model.model_json_schema(mode="serialization", ref_template=REF)
    components.update(payload.pop("$defs", {}))
    return {
        "name": name,
        "contentType": "application/cloudevents+json",
        "summary": summary,
        "bindings": {"kafka": {"key": KEY}},
        "payload": payload,
    }


def document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    event = _message("ClaimEvent", ClaimEvent, "One claim status transition.", components)
    alert = _message("ClaimAlert", ClaimAlert, "An alert about one claim.", components)
    letter_schema = DeadLetter.model_json_schema(mode="serialization", ref_template=REF)
    letter = {"name": "DeadLetter", "contentType": "application/json", "payload": letter_schema}
    return {
        "asyncapi": "2.6.0",
        "info": {
            "title": "claimflow claim events",
            "version": "1.0.0",
            "description": (
                "Every claim status change as a CloudEvents 1.0 structured JSON record. "
                "Within v1 changes are additive only. " + DEDUPE
            ),
        },
        "channels": {
            topics.LIFECYCLE: {
                "description": "History: every transition of every claim, append-only.",
                "subscribe": {"message": event},
            },
            topics.STATE: {
                "description": (
                    "Latest event per claim, compacted: read from the beginning to bootstrap "
                    "current state without replaying history."
                ),
                "subscribe": {"message": event},
                "bindings": {"kafka": {"topicConfiguration": {"cleanup.policy": ["compact"]}}},
            },
            topics.ALERTS: {
                "description": "Follow-up, appeal-deadline and unexpected-payer-message alerts.",
                "subscribe": {"message": alert},
            },
            topics.DLQ: {
                "description": (
                    "Records a consumer could not handle, whole (value_base64), with the "
                    "reason and the topic, partition and offset they came from; `claimflow "
                    "dlq replay` sends them back to that topic once the cause is fixed."
                ),
                "subscribe": {"message": letter},
            },
        },
        "components": {"schemas": components},
    }
