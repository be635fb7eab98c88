"""Events as HTTP requests: the CloudEvents HTTP protocol binding, both content modes.

- structured (the default): the body is the whole event exactly as it is on Kafka,
  ``Content-Type: application/cloudevents+json; charset=utf-8``;
- binary: the body is the event's ``data``, ``Content-Type`` is its ``datacontenttype``, and
  every other attribute travels as a ``ce-<name>`` header.

Records are read leniently: anything with the CloudEvents attributes we route on (id, type,
subject) is delivered as it is, so an event type added after this code was written still
reaches the subscriptions that asked for it (by pattern), fields and all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    subject: str
    payer_id: str
    raw: bytes
    attributes: dict[str, Any]


def read_envelope(raw: bytes) -> Envelope | None:
    """The routing attributes of a record; None when it is not a CloudEvent of ours."""
    try:
        event = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(event, dict) or event.get("specversion") != "1.0":
        return None
    ids = [event.get(name) for name in ("id", "type", "subject")]
    if not all(isinstance(value, str) and value for value in ids):
        return None
    data = event.get("data")
    payer_id = data.get("payer_id") if isinstance(data, dict) else None
    return Envelope(
        id=event["id"],
        type=event["type"],
        subject=event["subject"],
        payer_id=payer_id if isinstance(payer_id, str) else "",
        raw=raw,
        attributes=event,
    )


def _header_value(value: Any) -> str:
    """Percent-encode what the binding says must be (space, ``"``, ``%``, non-ASCII)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return "".join(
        c if 0x21 <= ord(c) <= 0x7E and c not in '"%' else quote(c, safe="") for c in text
    )


def render(envelope: Envelope, mode: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of the POST for ``envelope`` in content ``mode``."""
    if mode == "structured":
        return {"content-type": STRUCTURED_CONTENT_TYPE}, envelope.raw
    headers: dict[str, str] = {}
    for name, value in envelope.attributes.items():
        if name in ("data", "data_base64", "datacontenttype") or value is None:
            continue
        headers[f"ce-{name}"] = _header_value(value)
    headers["content-type"] = envelope.attributes.get("datacontenttype", "application/json")
    body = json.dumps(envelope.attributes.get("data"), separators=(",", ":")).encode()
    return headers, body
