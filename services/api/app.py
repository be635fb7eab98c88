"""Assembling the API: the clients it shares, its error shape, its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from temporalio.client import Client

from services import console
from services.api import (
    access_log,
    actions,
    alerts,
    analytics,
    attachments,
    claims,
    coding,
    errors,
    fhir,
    live,
    payer_messages,
    queues,
    x12,
)
from services.db import init_db, make_engine
from services.settings import Settings
from services.temporal import connect


def create_app(settings: Settings, *, client: Client | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.temporal = client or await connect(settings)
        engine = make_engine(settings.resolved_database_url)
        init_db(engine)
        app.state.engine = engine
        yield
        engine.dispose()

    app = FastAPIOffline(title="claimflow", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    errors.install(app)
    access_log.install(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for router in (
        claims.router,
        actions.router,
        coding.router,
        attachments.router,
        fhir.router,
        x12.router,
        payer_messages.router,
        alerts.router,
        queues.router,
        analytics.router,
        live.router,
        console.router,
    ):
        app.include_router(router)
    return app
