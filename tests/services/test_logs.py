"""The JSON log format: one object per record, claim and trace ids where known, no PHI."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, ValidationError

from services.observability.logs import JsonFormatter, configure_logging, current_claim_id, mask
from services.settings import Settings

CLAIM = "01M8RVQWMMAWTNHFRT8KS0QF4H"


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("claimflow.test", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_claim_id_from_a_temporal_activity_or_workflow_or_the_request() -> None:
    formatter = JsonFormatter("worker")
    from_activity = _record("published", temporal_activity={"workflow_id": f"claim-{CLAIM}"})
    line = json.loads(formatter.format(from_activity))
    assert (line["claim_id"], line["process"], line["message"]) == (CLAIM, "worker", "published")
    posting = _record("posted", temporal_workflow={"workflow_id": "inbound-835-1"})
    assert "claim_id" not in json.loads(formatter.format(posting))
    token = current_claim_id.set(CLAIM)
    try:
        assert json.loads(formatter.format(_record("request")))["claim_id"] == CLAIM
    finally:
        current_claim_id.reset(token)


def test_trace_and_span_ids_inside_a_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        line = json.loads(JsonFormatter("api").format(_record("inside")))
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in json.loads(JsonFormatter("api").format(_record("outside")))


class _Patient(BaseModel):
    last_name: str
    date_of_birth: int


def test_pydantic_echo_of_rejected_input_is_masked() -> None:
    try:
        _Patient.model_validate({"last_name": "Rivera", "date_of_birth": "1980-04-12"})
    except ValidationError as exc:
        text = str(exc)
    assert "1980-04-12" in text  # what pydantic would have logged
    assert "1980-04-12" not in mask(text)
    record = _record("refused: %s", text)
    try:
        raise ValueError(text)
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    line = JsonFormatter("api").format(record)
    assert "1980-04-12" not in line
    assert json.loads(line)["error"].startswith("Traceback")


def test_the_api_access_log_goes_through_the_json_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In a process whose logging is set up, an access line is a JSON record like any other."""
    from services.api import access_log

    root, access = logging.getLogger(), logging.getLogger("claimflow.access")
    saved = (root.handlers[:], root.level, access.handlers[:], access.level, access.propagate)
    try:
        access.handlers, access.propagate = [], True
        access.setLevel(logging.NOTSET)
        configure_logging(Settings(state_dir=tmp_path), "api")
        app = FastAPI()

        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}

        access_log.install(app)
        with TestClient(app) as client:
            assert client.get("/health", params={"q": "secret"}).status_code == 200
    finally:
        root.handlers, access.handlers = saved[0], saved[2]
        root.setLevel(saved[1])
        access.setLevel(saved[3])
        access.propagate = saved[4]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (record,) = [r for r in lines if r["logger"] == "claimflow.access"]
    assert record["process"] == "api" and record["level"] == "info"
    entry = json.loads(record["message"])
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/health", 200)
    assert "secret" not in record["message"]
