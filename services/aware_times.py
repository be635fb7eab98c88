"""One base for the database tables: timestamps leave the process with their UTC offset.

SQLite hands back naive datetimes (claimflow writes every one in UTC); PostgreSQL hands
back aware ones. A table row answered by the API as it was read would say
``2026-12-01T16:30:07`` on SQLite: not an RFC 3339 date-time, and not what its OpenAPI
schema promises (the API fuzzer found it). Serialising through this base adds the offset
wherever it is missing, for every table at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import SerializerFunctionWrapHandler, field_serializer
from sqlmodel import SQLModel


class AwareTimes(SQLModel):
    @field_serializer("*", mode="wrap")
    def _aware(self, value: Any, handler: SerializerFunctionWrapHandler) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return handler(value)
