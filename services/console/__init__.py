"""The console: server-rendered pages for the people who work the claims.

Pages and forms are served by the API process (Jinja2 templates, a small hand-written
stylesheet and script, plotly.js from the plotly package); live updates come from the API's
``/stream``. Everything the console does goes through the same functions as the API's
endpoints. Who the viewer is comes from ``services.console.roles.viewer_roles``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse, Response

from services.console import claim_page, pages
from services.console.render import HERE

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(claim_page.router)

STATIC = {
    "console.css": "text/css",
    "console.js": "text/javascript",
}


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/console", status_code=303)


@router.get("/console/static/plotly.min.js")
async def plotly_js() -> Response:
    """plotly.js as shipped inside the installed plotly package."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return FileResponse(
        str(path), media_type="text/javascript", headers={"cache-control": "max-age=86400"}
    )


@router.get("/console/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404, f"no static file {name}")
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])
