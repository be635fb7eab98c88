"""The published JSON Schemas of the v1 contract, generated from the models.

They are checked in so other teams can read them without running Python, and a test fails
when the models and the files drift apart. Regenerate with ``claimflow schema write``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from claims.model import Claim
from events import asyncapi
from events.contract import ClaimAlert, ClaimEvent

SCHEMA_DIR = Path(__file__).parent


def generated() -> dict[str, dict[str, Any]]:
    return {
        "claim.v1.json": Claim.model_json_schema(mode="validation"),
        "claim-event.v1.json": ClaimEvent.model_json_schema(mode="serialization"),
        "claim-alert.v1.json": ClaimAlert.model_json_schema(mode="serialization"),
        "asyncapi.json": asyncapi.document(),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write() -> list[Path]:
    paths = []
    for name, schema in generated().items():
        path = SCHEMA_DIR / name
        path.write_text(render(schema))
        paths.append(path)
    return paths
