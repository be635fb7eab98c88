"""One claim: its state, money, deadlines, coverage (the 271) and the patient's share, the
payer's decision, findings, timeline, attachments and alerts, and the action forms the
viewer's roles and the claim's status allow.

Every form posts here and goes through the same function as its API endpoint (noted per
route); a refusal re-renders the page with the reason, a success redirects back to it
(post/redirect/get), where live updates show what happens next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from claims.model import ULID_PATTERN
from claims.status import Action
from services import alerts_store, readmodel
from services.api import actions as actions_api
from services.api import coding
from services.api.attachments import upload
from services.api.claims import load_view
from services.api.deps import AttachmentsDep, EngineDep, SettingsDep, TemporalDep
from services.console import claim_money
from services.console.render import console_router, page
from services.console.roles import Task, require, viewer
from workflows.claim import ClaimWorkflow
from workflows.messages import (
    AppealRequest,
    VoidRequest,
    WriteOffDecision,
    WriteOffRequest,
    workflow_id,
)

router = console_router("/console/claims")


def _check_id(claim_id: str) -> None:
    if not re.fullmatch(ULID_PATTERN, claim_id):
        raise HTTPException(404, f"no claim {claim_id}")


def _timeline(engine: EngineDep, claim_id: str) -> list[dict[str, Any]]:
    rows = []
    for event in readmodel.claim_events(engine, claim_id):
        data = json.loads(event.payload)["data"]
        rows.append(
            {
                "seq": event.seq,
                "time": event.time,
                "status": event.status,
                "reason": data.get("reason"),
                # Who did it (absent: the payer, a deadline or the engine).
                "actor": (data.get("actor") or {}).get("name"),
            }
        )
    return rows


async def render(
    request: Request,
    claim_id: str,
    *,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    error: str | None = None,
    form: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    _check_id(claim_id)
    view = await load_view(client, engine, claim_id, settings.api_query_timeout_seconds)
    timeline = _timeline(engine, claim_id)
    row = readmodel.get_claim(engine, claim_id)
    sheet = None
    # A finished claim whose workflow is gone has no code editor.
    with contextlib.suppress(HTTPException):
        sheet = coding.sheet(*await coding.current_claim(client, claim_id))
    open_alerts, _ = alerts_store.list_alerts(engine, claim_id=claim_id, limit=20)
    temporal = (
        f"{settings.temporal_ui_base}/namespaces/{settings.temporal_namespace}"
        f"/workflows/{workflow_id(claim_id)}"
    )
    reports = [r for r in view.reports.values() if r.findings]
    held = view.reports.get("eligibility")
    return page(
        request,
        "claim.html",
        {
            "title": f"Claim {claim_id}",
            "view": view,
            "row": row,
            "timeline": timeline,
            "has_actor": any(t["actor"] for t in timeline),
            "sheet": sheet,
            "reports": reports,
            "attachments": store.for_claim(claim_id),
            "alerts": open_alerts,
            "hold_findings": held.findings if held else (),
            "elig": view.eligibility,
            "coverage": claim_money.coverage_headline(view.eligibility)
            if view.eligibility
            else None,
            "expected_share": (
                claim_money.expected_share_words(view.eligibility) if view.eligibility else None
            ),
            "patient": await asyncio.to_thread(claim_money.patient_money, engine, claim_id),
            "temporal_url": temporal,
            "error": error,
            "form": form,
            "Action": Action,
        },
        status_code=status_code,
    )


@router.get("/{claim_id}")
async def claim_page(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
) -> HTMLResponse:
    """GET /claims/{id}, /claims/{id}/events, /claims/{id}/codes, /claims/{id}/attachments."""
    return await render(
        request, claim_id, client=client, engine=engine, settings=settings, store=store
    )


def _problem(exc: HTTPException | ValidationError) -> tuple[str, int]:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
        ), 422
    detail = exc.detail
    if isinstance(detail, list):
        detail = "; ".join(f"{d.get('field')}: {d.get('msg')}" for d in detail)
    return str(detail), exc.status_code


async def act(
    request: Request,
    claim_id: str,
    form: str,
    send: Any,
    *,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
) -> Response:
    """Run ``send()``; back to the claim page, with the refusal if there was one."""
    try:
        await send()
    except (HTTPException, ValidationError) as exc:
        message, code = _problem(exc)
        return await render(
            request,
            claim_id,
            client=client,
            engine=engine,
            settings=settings,
            store=store,
            error=message,
            form=form,
            status_code=code,
        )
    return RedirectResponse(f"/console/claims/{claim_id}?done={form}", status_code=303)


@router.post("/{claim_id}/appeal")
async def appeal(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """POST /claims/{id}/attachments for each file, then POST /claims/{id}/appeal."""
    principal = viewer(request)
    require(principal, Action.APPEAL)
    chosen = [f for f in files or [] if f.filename]
    if chosen:
        require(principal, Task.UPLOAD_ATTACHMENT)

    async def send() -> None:
        request_body = AppealRequest(
            reason=reason, note=note.strip() or None, actor=principal.actor()
        )
        ids = []
        for f in chosen:
            data = await f.read(store.max_bytes + 1)
            ids.append((await upload(store, claim_id, f, data, principal.name)).attachment_id)
        request_body = request_body.model_copy(update={"attachments": tuple(ids)})
        await actions_api.send_appeal(client, store, claim_id, request_body)

    return await act(
        request, claim_id, "appeal", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


@router.post("/{claim_id}/void")
async def void(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """POST /claims/{id}/void."""
    principal = viewer(request)
    require(principal, Action.VOID)

    async def send() -> None:
        body = VoidRequest(reason=reason, actor=principal.actor())
        await actions_api.run_update(client, claim_id, ClaimWorkflow.void, body, Action.VOID)

    return await act(
        request, claim_id, "void", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


@router.post("/{claim_id}/write-off")
async def write_off(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """POST /claims/{id}/write-off."""
    principal = viewer(request)
    require(principal, Action.WRITE_OFF)

    async def send() -> None:
        body = WriteOffRequest(
            reason=reason,
            note=note.strip() or None,
            actor=principal.actor(),
            approval_threshold=settings.write_off_threshold,
        )
        await actions_api.run_update(
            client, claim_id, ClaimWorkflow.write_off, body, Action.WRITE_OFF
        )

    return await act(
        request, claim_id, "write_off", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


async def _decide_write_off(
    request: Request,
    claim_id: str,
    approve: bool,
    note: str,
    *,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
) -> Response:
    """POST /claims/{id}/write-off/approve or /reject (supervisors)."""
    principal = viewer(request)
    require(principal, Task.APPROVE_WRITE_OFF)
    update = ClaimWorkflow.approve_write_off if approve else ClaimWorkflow.reject_write_off

    async def send() -> None:
        decision = WriteOffDecision(note=note.strip() or None, actor=principal.actor())
        await actions_api.run_update(client, claim_id, update, decision, Action.WRITE_OFF)

    return await act(
        request, claim_id, "write_off_decision", send, client=client, engine=engine,
        settings=settings, store=store,
    )  # fmt: skip


@router.post("/{claim_id}/write-off/approve")
async def approve_write_off(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    return await _decide_write_off(
        request, claim_id, True, note, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


@router.post("/{claim_id}/write-off/reject")
async def reject_write_off(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
    note: Annotated[str, Form()] = "",
) -> Response:
    return await _decide_write_off(
        request, claim_id, False, note, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip


def _lines(form: Any, count: int) -> list[dict[str, Any]]:
    """The code editor's line fields (``line-<i>-<field>``) as LineCodes input."""
    lines = []
    for i in range(count):

        def get(name: str, i: int = i) -> str:
            return str(form.get(f"line-{i}-{name}") or "").strip()

        try:
            charge = Decimal(get("charge") or "0")
            units = Decimal(get("units") or "1")
        except InvalidOperation as exc:
            raise HTTPException(422, f"lines.{i}: charge and units must be numbers") from exc
        lines.append(
            {
                "procedure_code": get("procedure_code").upper(),
                "modifiers": [m for m in get("modifiers").upper().replace(",", " ").split() if m],
                "units": units,
                "diagnosis_pointers": [
                    int(p) for p in get("pointers").replace(",", " ").split() if p.isdigit()
                ],
                "charge": charge,
            }
        )
    return lines


@router.post("/{claim_id}/codes")
async def edit_codes(
    claim_id: str,
    request: Request,
    client: TemporalDep,
    engine: EngineDep,
    settings: SettingsDep,
    store: AttachmentsDep,
) -> Response:
    """POST /claims/{id}/codes: recode, correct or replace from the code editor."""
    form = await request.form()
    action = str(form.get("action") or "")
    if action not in ("recode", "correct", "replace"):
        raise HTTPException(422, "action: recode, correct or replace")
    principal = viewer(request)
    require(principal, Action(action))

    async def send() -> None:
        count = int(str(form.get("line_count") or "0") or 0)
        edit = coding.CodeEdit(
            action=action,
            diagnoses=[
                d.strip().upper().replace(".", "")
                for d in str(form.get("diagnoses") or "").replace(",", " ").split()
            ],
            lines=_lines(form, count),
            prior_authorization=str(form.get("prior_authorization") or "").strip() or None,
            note=str(form.get("note") or "").strip() or None,
        )
        await coding.send_edit(client, engine, claim_id, edit, principal, wait=False, timeout_s=0)

    return await act(
        request, claim_id, "codes", send, client=client, engine=engine, settings=settings,
        store=store,
    )  # fmt: skip
