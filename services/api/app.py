"""Assembling the API: the clients it shares, its error shape, its routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from services import payers
from services.api import actions, claims, errors, fhir, x12
from services.api import payers as payer_admin
from services.db import init_db, make_engine
from services.settings import Settings
from services.temporal import connect


def create_app(settings: Settings, *, client: Client | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.temporal = client or await connect(settings)
        engine = make_engine(settings.resolved_database_url)
        init_db(engine)
        payers.seed(engine)
        app.state.engine = engine
        yield
        engine.dispose()

    app = FastAPI(title="claimflow", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    errors.install(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for router in (claims.router, actions.router, fhir.router, x12.router):
        app.include_router(router)
    app.include_router(payer_admin.router)  # admins only, once auth is in (attach it here)
    return app
