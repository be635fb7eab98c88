"""Assembling the API: the clients it shares, its error shape, its guards, its routers.

Every router but sign-in carries the ``authorize`` dependency (``services.auth.policy``);
``check_routes`` refuses to start an app with a route the route x role table does not
cover. Around the routes, outermost first: the audit log (every write request, whatever
its outcome), the body size limit (413 before a large body is read), CORS for the codec
routes only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from temporalio.client import Client

from services import console, payers
from services.api import (
    access_log,
    actions,
    admin,
    alerts,
    analytics,
    attachments,
    auth,
    claims,
    codec,
    coding,
    eligibility,
    errors,
    fhir,
    live,
    payer_messages,
    queues,
    statements,
    webhooks,
    x12,
)
from services.api import payers as payer_admin
from services.api.limits import BodyLimitMiddleware
from services.auth.audit import AuditMiddleware
from services.auth.authenticate import Authenticator
from services.auth.policy import check_routes
from services.crypto.keyring import KeyRing
from services.db import init_db, make_engine
from services.observability import install_observability
from services.observability.logs import silence_phi_loggers
from services.settings import Settings
from services.temporal import connect

ROUTERS = (
    auth.router,
    claims.router,
    actions.router,
    coding.router,
    attachments.router,
    eligibility.router,
    fhir.router,
    x12.router,
    payer_messages.router,
    alerts.router,
    queues.router,
    analytics.router,
    live.router,
    codec.router,
    admin.router,
    webhooks.router,
    payer_admin.router,
    console.router,
    console.public,
    statements.router,
)


def create_app(settings: Settings, *, client: Client | None = None) -> FastAPI:
    silence_phi_loggers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        init_db(engine, auto_migrate=settings.auto_migrate)
        payers.seed(engine)
        app.state.engine = engine
        app.state.authenticator = Authenticator(settings, engine)
        app.state.temporal = client or await connect(settings)
        yield
        engine.dispose()

    app = FastAPIOffline(title="claimflow", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_observability(app, settings)
    app.state.keyring = KeyRing.for_settings(settings)
    errors.install(app)
    access_log.install(app)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    for router in ROUTERS:
        app.include_router(router, responses=errors.ERROR_RESPONSES)
    check_routes(app)
    app.add_middleware(codec.CodecCors, origins=settings.codec_cors_origins)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(console.SignInRedirect)
    return app
