"""Rendering console pages: one Jinja2 environment, the filters the templates share, and the
frame every page gets (who is viewing, the queue sizes in the navigation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from claims.reason_codes import carc_description, rarc_description
from services.auth.policy import AUTHORIZED
from services.console.roles import claim_actions, may, viewer

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def money(value: Decimal | float | int | None) -> str:
    if value is None:
        return "—"
    return f"${Decimal(value):,.2f}"


def when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def day(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def days_left(value: dt.datetime | None) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - dt.datetime.now(dt.UTC)).days


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def reason_title(reason: str) -> str:
    return carc_description(reason) or "no description on file"


def rarc_title(code: str) -> str:
    return rarc_description(code) or "no description on file"


templates.env.filters.update(
    money=money, when=when, day=day, percent=percent, reason_title=reason_title
)
templates.env.globals.update(
    days_left=days_left,
    rarc_title=rarc_title,
    carc_description=carc_description,
    rarc_description=rarc_description,
)


def page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    principal = viewer(request)
    frame = {
        "viewer": principal.name,
        "roles": sorted(r.value for r in principal.roles),
        "may": lambda what: may(principal, what),
        "claim_actions": lambda status: claim_actions(principal, status),
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, name, {**frame, **context}, status_code=status_code)


def refusal_text(exc: HTTPException) -> str:
    """A refusal's message for a page: the one error shape's ``msg``s, or its text."""
    detail = exc.detail
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return str(detail)


def console_router(prefix: str) -> APIRouter:
    """A router of console pages and forms: behind authorization, and documented as pages
    (a form redirects to a page) while their errors stay JSON, in the shape every route
    shares."""
    return APIRouter(
        prefix=prefix,
        tags=["console"],
        dependencies=AUTHORIZED,
        responses={200: {"description": "An HTML page.", "content": {"text/html": {}}}},
    )
