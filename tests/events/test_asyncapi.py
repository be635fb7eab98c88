"""The AsyncAPI 3.0 document: the AsyncAPI project's own parser accepts it, and it tells a
consumer what it needs (topics, keys, partitioning, delivery, retention, compaction)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from events import asyncapi, topics
from events.schemas import SCHEMA_DIR, render
from services.settings import REPO_ROOT

TOOL = REPO_ROOT / "tools" / "asyncapi"


def parse(path: Path) -> tuple[int, dict[str, Any]]:
    """Run @asyncapi/parser (installed by `make install`) over a document."""
    node = shutil.which("node")
    if node is None or not (TOOL / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("the AsyncAPI parser is not installed: run `make install` (needs node, npm)")
    result = subprocess.run(
        [node, str(TOOL / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=TOOL,
    )
    return result.returncode, json.loads(result.stdout)


def test_the_parser_accepts_the_checked_in_document() -> None:
    code, report = parse(SCHEMA_DIR / "asyncapi.json")
    assert report["parsed"] and report["version"] == "3.0.0"
    assert code == 0, report["findings"]


def test_the_parser_rejects_a_broken_document(tmp_path: Path) -> None:
    """Proof that the check can fail: a channel pointing at a message that does not exist."""
    doc = copy.deepcopy(asyncapi.document())
    doc["channels"]["lifecycle"]["messages"]["ClaimEvent"]["$ref"] = "#/components/messages/Nope"
    path = tmp_path / "broken.json"
    path.write_text(render(doc))
    code, report = parse(path)
    assert code == 1
    assert any(f["severity"] == "error" for f in report["findings"])


def test_the_document_says_what_a_consumer_needs() -> None:
    doc = asyncapi.document()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {spec.name for spec in topics.ALL_TOPICS}
    state = doc["channels"]["state"]["bindings"]["kafka"]
    assert state["topicConfiguration"]["cleanup.policy"] == ["compact"]
    lifecycle = doc["channels"]["lifecycle"]["bindings"]["kafka"]
    assert lifecycle["topicConfiguration"] == {"cleanup.policy": ["delete"], "retention.ms": -1}
    assert lifecycle["partitions"] == topics.DEFAULT_PARTITIONS
    key = doc["components"]["messages"]["ClaimEvent"]["bindings"]["kafka"]["key"]
    assert "claim id" in key["description"]
    assert "at least once" in doc["info"]["description"]
    assert "de-duplicate on the CloudEvents `id`" in doc["info"]["description"]
    assert {op["action"] for op in doc["operations"].values()} == {"receive"}
