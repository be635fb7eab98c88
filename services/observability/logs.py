"""Structured logs: one JSON object per line, with the claim and trace they belong to.

Each record says when, how bad, which process and logger, the message, and where known the
claim id (from the Temporal activity or workflow that logged it, the API request's path, or an
explicit ``extra={"claim_id": ...}``) and the trace and span ids, so a log line leads to the
trace and the claim. PHI must never reach a log: pyx12 logs segment contents (names, member
ids, birth dates) when it validates, so its loggers are cut off here, and pydantic's echo of
rejected input (``input_value=...``) is masked in every message and traceback.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from typing import Any

from opentelemetry import trace

from services.settings import Settings

# The claim a request or task is about, for log records that do not carry one themselves.
current_claim_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "claimflow_claim_id", default=None
)

# Loggers that can print PHI: they are silenced whatever the configured level.
PHI_LOGGERS = ("pyx12",)
# Chatty loggers kept at WARNING: an access log line per request says nothing a trace
# does not, and at INFO would drown the rest.
QUIET_LOGGERS = ("uvicorn.access", "kafka", "aiokafka", "faust", "mode")

_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.MULTILINE)
_WORKFLOW_PREFIX = "claim-"


def mask(text: str) -> str:
    """Hide the input pydantic echoes in validation errors: it can be a patient's record."""
    return _INPUT_VALUE.sub("input_value=<masked>", text)


def claim_id_of(record: logging.LogRecord) -> str | None:
    explicit = getattr(record, "claim_id", None)
    if explicit:
        return str(explicit)
    # temporalio's workflow and activity loggers put their info on the record.
    for attr in ("temporal_activity", "temporal_workflow"):
        info = getattr(record, attr, None)
        if isinstance(info, dict):
            workflow_id = str(info.get("workflow_id", ""))
            if workflow_id.startswith(_WORKFLOW_PREFIX):
                return workflow_id.removeprefix(_WORKFLOW_PREFIX)
    return current_claim_id.get()


class JsonFormatter(logging.Formatter):
    def __init__(self, process: str) -> None:
        super().__init__()
        self._process = process

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "process": self._process,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        claim_id = claim_id_of(record)
        if claim_id:
            out["claim_id"] = claim_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            out["trace_id"] = format(span.trace_id, "032x")
            out["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            out["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """The human-readable alternative (``CLAIMFLOW_LOG_FORMAT=text``), masked the same way."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


# The name of the handler ``configure_logging`` puts on the root logger.
HANDLER_NAME = "claimflow"


def log_handler(settings: Settings, process: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter(process) if settings.log_format == "json" else TextFormatter()
    )
    return handler


def silence_phi_loggers() -> None:
    """Keep pyx12's records (whole segments: names, member ids) away from every handler.

    Detached, not disabled: the X12 validator still attaches its own in-memory handler
    for the length of a validation, to explain a rejection (``claims.x12.validate``).
    """
    for name in PHI_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False


def logging_configured() -> bool:
    """Whether this process's records already go through ``configure_logging``'s handler."""
    return any(h.get_name() == HANDLER_NAME for h in logging.getLogger().handlers)


def configure_logging(settings: Settings, process: str) -> logging.Handler:
    """Make the root logger write this process's records as configured; return the handler.

    faust re-initialises logging when its worker starts, so the consumer hands it this
    handler again (``services.consumer``).
    """
    handler = log_handler(settings, process)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    silence_phi_loggers()
    return handler
