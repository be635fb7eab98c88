"""The published JSON Schemas of the v1 contract, generated from the models.

They are checked in so other teams can read them without running Python, and a test fails
when the models and the files drift apart. Regenerate with ``claimflow schema write``.
Each released contract version keeps a copy of its event schemas under ``v1/<version>/``
(``claimflow schema release VERSION``), and every later change is checked against them
(``events.evolution``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from claims.model import Claim
from events import asyncapi, evolution
from events.contract import ClaimAlert, ClaimEvent, StatementReady

SCHEMA_DIR = Path(__file__).parent


def generated() -> dict[str, dict[str, Any]]:
    return {
        "claim.v1.json": Claim.model_json_schema(mode="validation"),
        "claim-event.v1.json": ClaimEvent.model_json_schema(mode="serialization"),
        "claim-alert.v1.json": ClaimAlert.model_json_schema(mode="serialization"),
        "statement-ready.v1.json": StatementReady.model_json_schema(mode="serialization"),
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


def release(version: str) -> list[Path]:
    """Keep the current event schemas as release ``version``; refuse a breaking change."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or parts[0] != "1":
        raise ValueError(f"release {version!r}: a v1 release is numbered 1.MINOR.PATCH")
    target = evolution.RELEASES_DIR / version
    if target.exists():
        raise ValueError(f"release {version} exists already: released schemas never change")
    current = generated()
    problems = evolution.check_against_releases(current)
    if problems:
        lines = [f"{where}: {b}" for where, breaks in problems.items() for b in breaks]
        raise ValueError("breaking changes, release them as v2 instead:\n" + "\n".join(lines))
    target.mkdir(parents=True)
    paths = []
    for name in evolution.EVENT_SCHEMAS:
        path = target / name
        path.write_text(render(current[name]))
        paths.append(path)
    return paths
