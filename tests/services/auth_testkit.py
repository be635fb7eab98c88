"""An API process alone (no worker, payer or consumer): for authentication and authorization
tests, which need the routes and the auth tables but no claim to get anywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from temporalio.client import Client

from claims.roles import Role
from services.api import create_app
from services.db import init_db, make_engine
from services.settings import Settings
from tests.support import TLS_CONTEXT, make_token, serve


class Api:
    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.url = url
        self.engine = make_engine(settings.resolved_database_url)
        init_db(self.engine)

    def token(self, *roles: Role, name: str | None = None) -> str:
        return make_token(self.settings, self.engine, name or "-".join(roles) or "none", roles)

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers=headers or {}, timeout=30, verify=TLS_CONTEXT
        )

    def as_roles(self, *roles: Role) -> httpx.AsyncClient:
        return self.client({"Authorization": f"Bearer {self.token(*roles)}"})


@asynccontextmanager
async def api_only(settings: Settings, client: Client) -> AsyncIterator[Api]:
    async with serve(create_app(settings, client=client), settings.api_port) as url:
        api = Api(settings, url)
        try:
            yield api
        finally:
            api.engine.dispose()
