"""Replay: every checked-in history must replay on the current ClaimWorkflow code.

The histories under ``histories/`` were recorded from the workflow tests
(``CLAIMFLOW_RECORD_HISTORIES=1 pytest tests/workflows/test_claim_workflow.py``). A code change
that would make running workflows take a different path on replay fails here, in CI, before
it can strand a claim in production. Such a change must go behind ``workflow.patched``.
Histories are only ever added: an old one stays for as long as workflows of that shape may
still be running.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.claim import ClaimWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert len(HISTORIES) >= 5


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_on_current_code(path: Path) -> None:
    replayer = Replayer(workflows=[ClaimWorkflow], data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    await replayer.replay_workflow(history)
