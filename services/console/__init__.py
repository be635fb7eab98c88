"""The console: server-rendered pages for the people who work the claims.

Pages and forms are served by the API process (Jinja2 templates, a small hand-written
stylesheet and script, plotly.js from the plotly package); live updates come from the API's
``/stream``. Everything the console does goes through the same functions as the API's
endpoints, behind the same sign-in and route x role table: a person signs in on
``/console/login`` (``POST /auth/login`` sets the session cookie), and a browser that opens
a page without a valid session is sent there (``SignInRedirect``). Who the viewer is and
what they may do comes from ``services.console.roles``.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import error
from services.console import billing, claim_page, pages
from services.console.render import HERE, templates

# Pages and forms: behind authorization (their routers carry it).
router = APIRouter()
router.include_router(pages.router)
router.include_router(claim_page.router)
router.include_router(billing.router)

# The sign-in page and the files every page loads: public, and no data in any of them.
public = APIRouter(tags=["console"])

STATIC = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "login.js": "text/javascript",
    "plotly.min.js": "text/javascript",
}


@public.get("/", include_in_schema=False)
async def root() -> Response:
    return RedirectResponse("/console", status_code=303)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/console"


@public.get("/console/login", response_class=HTMLResponse)
async def login_page(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> HTMLResponse:
    """The sign-in form (it posts to ``/auth/login``, which sets the session cookie)."""
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next)})


@public.get("/console/static/{name}")
async def static(name: str) -> Response:
    """The console's style sheet and scripts; plotly.js as shipped in the plotly package."""
    if name not in STATIC:
        raise error(404, f"no static file {name}", field="name")
    if name == "plotly.min.js":
        path = str(resources.files("plotly") / "package_data" / "plotly.min.js")
    else:
        path = str(HERE / "static" / name)
    return FileResponse(path, media_type=STATIC[name], headers={"cache-control": "max-age=3600"})


class SignInRedirect:
    """A browser opening a console page without a valid session goes to the sign-in page.

    Only for GETs under ``/console`` asking for HTML; API clients keep the 401 in the one
    error shape.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        wants_page = (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith("/console")
            and b"text/html" in headers.get(b"accept", b"")
        )
        if not wants_page:
            await self.app(scope, receive, send)
            return
        redirected = False

        async def sending(message: Message) -> None:
            nonlocal redirected
            if message["type"] == "http.response.start" and message["status"] == 401:
                redirected = True
                query = scope.get("query_string", b"").decode()
                back = scope["path"] + (f"?{query}" if query else "")
                location = f"/console/login?next={quote(back, safe='')}"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 303,
                        "headers": [(b"location", location.encode()), (b"content-length", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
            if not redirected:
                await send(message)

        await self.app(scope, receive, sending)
