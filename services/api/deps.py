"""What a route needs from the process, as FastAPI dependencies.

The Temporal client, the database engine and the settings are made once by the app's
lifespan and kept on ``app.state``; routes ask for them by type, so a router never reaches
into another module's globals and a test can build an app around its own clients.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine
from temporalio.client import Client

from services.attachments import AttachmentStore
from services.crypto.keyring import KeyRing
from services.settings import Settings


def _temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


TemporalDep = Annotated[Client, Depends(_temporal)]
EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]


def _keyring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.keyring
    return ring


KeyRingDep = Annotated[KeyRing, Depends(_keyring)]


def _attachments(request: Request) -> AttachmentStore:
    """The attachment store, made on first use (with the process's data key ring)."""
    store: AttachmentStore | None = getattr(request.app.state, "attachments", None)
    if store is None:
        store = AttachmentStore(_settings(request), _engine(request), _keyring(request))
        request.app.state.attachments = store
    return store


AttachmentsDep = Annotated[AttachmentStore, Depends(_attachments)]


# Where a page starts. Bounded: databases keep offsets in 64 bits, and a larger one is a
# 422 naming the parameter, not a 500 from the driver (found by the API fuzzer).
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Rows to skip.")]
